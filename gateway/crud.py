"""List / create / retrieve / PATCH / DELETE for a tenant-scoped table, manager-only.

A JSON list body on create makes many rows in one transaction (imports of a whole class).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from aiohttp import web

from gateway import keys
from gateway.api import Api
from gateway.pagination import page_body, page_request
from gateway.responses import json_response, no_content
from gateway.tenancy import manager
from gateway.validation import (
    FieldErrors, changes, partial, query_int, query_text, read_body, read_one_or_many,
)
from storage.tables import TableSpec, TenantTable

MAX_BULK = 5000  # objects in one create request


def filter_values(request: web.Request, filters: Mapping[str, type]) -> dict[str, Any]:
    """Query-string filters: integer ids or strings, validated (400 names the filter)."""
    out: dict[str, Any] = {}
    for name, kind in filters.items():
        if kind is int:
            value = query_int(request, name, minimum=1)
            if value is not None:
                out[name] = value
        elif (text := query_text(request, name)) is not None:
            out[name] = text
    return out


def row_id(request: web.Request, name: str = "id") -> int:
    """The integer id in the path (routes only match digits); 404 beyond bigint."""
    value = int(request.match_info[name])
    if value > 2**63 - 1:
        raise web.HTTPNotFound()
    return value


def register_crud(api: Api, prefix: str, spec: TableSpec[Any], model: type[msgspec.Struct],
                  *, filters: Mapping[str, type], tag: str) -> None:
    """Register the five operations of one resource under ``prefix`` (ends with '/')."""
    patch_model = partial(model)

    def table(request: web.Request) -> TenantTable[Any]:
        return TenantTable(request.app[keys.DB], spec)

    async def list_rows(request: web.Request) -> web.Response:
        who = await manager(request)
        page = page_request(request)
        count, rows = await table(request).list(who.tenant_id, filter_values(request, filters),
                                                limit=page.size, offset=page.offset)
        return json_response(page_body(request, page, count, rows))

    async def create(request: web.Request) -> web.Response:
        who = await manager(request)
        items, many = await read_one_or_many(request, model, MAX_BULK)
        rows = await table(request).create_many(
            who.tenant_id, [msgspec.structs.asdict(i) for i in items])
        return json_response(rows if many else rows[0], status=201)

    async def retrieve(request: web.Request) -> web.Response:
        who = await manager(request)
        return json_response(await table(request).get(who.tenant_id, row_id(request)))

    async def update(request: web.Request) -> web.Response:
        who = await manager(request)
        patch = await read_body(request, patch_model)
        values = changes(patch)
        if not values:
            raise FieldErrors({"non_field_errors": ["Send at least one field to change."]})
        return json_response(await table(request).update(who.tenant_id, row_id(request), values))

    async def delete(request: web.Request) -> web.Response:
        who = await manager(request)
        await table(request).delete(who.tenant_id, row_id(request))
        return no_content()

    item = prefix + r"{id:\d+}/"
    query = ("page", "page_size", *filters)
    api.add("GET", prefix, list_rows, summary=f"List {tag}", tag=tag, response=spec.row,
            paginated=True, query=query)
    many = Annotated[list[model], msgspec.Meta(min_length=1, max_length=MAX_BULK)]  # type: ignore[valid-type]
    api.add("POST", prefix, create, summary=f"Create one or many {tag}", tag=tag,
            body=model | many, response=spec.row | list[spec.row], status=201)
    api.add("GET", item, retrieve, summary=f"Retrieve one of {tag}", tag=tag, response=spec.row)
    api.add("PATCH", item, update, summary=f"Change one of {tag}", tag=tag, body=patch_model,
            response=spec.row)
    api.add("DELETE", item, delete, summary=f"Delete one of {tag}", tag=tag, status=204)
