"""``/api/v1/media/video-permissions/``: who may watch a video how (managers only).

CRUD like the seed's ``VideoPermissionViewSet`` plus ``bulk/``, which sets one rule (and
optional overrides) for many enrollments of a video in one transaction.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from aiohttp import web

from gateway import keys
from gateway.api import Api
from gateway.catalog import Id
from gateway.crud import filter_values, row_id
from gateway.pagination import page_body, page_request
from gateway.responses import json_response, no_content
from gateway.tenancy import manager
from gateway.validation import FieldErrors, changes, partial, read_body
from storage.permissions import PermissionRepository, VideoPermission

Rule = Literal["free", "once", "blocked"]
Speed = Annotated[float, msgspec.Meta(ge=0.25, le=4.0)]
FILTERS = {"video": int, "enrollment": int}
MAX_BULK = 5000


class Overrides(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Playback settings of one enrollment; a null override keeps the video's default."""

    allow_skip_override: bool | None = None
    max_speed_override: Speed | None = None
    show_watermark_override: bool | None = None
    block_speed_control: bool = False
    block_seek: bool = False
    is_override: bool = False


class PermissionIn(Overrides, kw_only=True):
    """A permission to create (the seed model's defaults)."""

    video: Id
    enrollment: Id
    rule: Rule = "once"


PermissionPatch = partial(PermissionIn)


class BulkIn(partial(Overrides), kw_only=True):  # type: ignore[misc]
    """One rule for many enrollments; overrides not sent stay as they are on existing rows."""

    video: Id
    enrollments: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=MAX_BULK)]
    rule: Rule


PermissionList = list[VideoPermission]


def _repo(request: web.Request) -> PermissionRepository:
    return PermissionRepository(request.app[keys.DB])


async def list_permissions(request: web.Request) -> web.Response:
    """A page of the tenant's permissions, filtered by video and enrollment."""
    who = await manager(request)
    page = page_request(request)
    count, rows = await _repo(request).list(who.tenant_id, filter_values(request, FILTERS),
                                            limit=page.size, offset=page.offset)
    return json_response(page_body(request, page, count, rows))


async def create_permission(request: web.Request) -> web.Response:
    """Create one permission; 400 if the video x enrollment already has one."""
    who = await manager(request)
    body = await read_body(request, PermissionIn)
    row = await _repo(request).create(who.tenant_id, msgspec.structs.asdict(body))
    return json_response(row, status=201)


async def retrieve_permission(request: web.Request) -> web.Response:
    """One permission."""
    who = await manager(request)
    return json_response(await _repo(request).get(who.tenant_id, row_id(request)))


async def update_permission(request: web.Request) -> web.Response:
    """Change some fields of one permission."""
    who = await manager(request)
    values = changes(await read_body(request, PermissionPatch))
    if not values:
        raise FieldErrors({"non_field_errors": ["Send at least one field to change."]})
    return json_response(await _repo(request).update(who.tenant_id, row_id(request), values))


async def delete_permission(request: web.Request) -> web.Response:
    """Delete one permission (the video's default rule, free, applies again)."""
    who = await manager(request)
    await _repo(request).delete(who.tenant_id, row_id(request))
    return no_content()


async def bulk_permissions(request: web.Request) -> web.Response:
    """Upsert the permission of every listed enrollment on one video; answer the rows."""
    who = await manager(request)
    body = await read_body(request, BulkIn)
    values = {k: v for k, v in changes(body).items() if k not in ("video", "enrollments")}
    rows = await _repo(request).upsert_many(who.tenant_id, body.video, body.enrollments, values)
    return json_response(rows)


def register(api: Api) -> None:
    """Register the permission operations."""
    base = "/api/v1/media/video-permissions/"
    item = base + r"{id:\d+}/"
    tag = "video-permissions"
    api.add("GET", base, list_permissions, summary="List video permissions", tag=tag,
            response=VideoPermission, paginated=True,
            query=("page", "page_size", *FILTERS))
    api.add("POST", base, create_permission, summary="Create a video permission", tag=tag,
            body=PermissionIn, response=VideoPermission, status=201)
    api.add("POST", base + "bulk/", bulk_permissions, tag=tag, body=BulkIn,
            summary="Create or update the permissions of many enrollments on a video",
            response=PermissionList)
    api.add("GET", item, retrieve_permission, summary="Retrieve a video permission", tag=tag,
            response=VideoPermission)
    api.add("PATCH", item, update_permission, summary="Change a video permission", tag=tag,
            body=PermissionPatch, response=VideoPermission)
    api.add("DELETE", item, delete_permission, summary="Delete a video permission", tag=tag,
            status=204)
