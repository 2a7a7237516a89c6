"""``/api/v1/media/video-progress/``: how far each enrollment got in each video.

Managers read the whole tenant; a student reads only the rows of their own enrollments (other
rows are absent from lists and 404 on retrieve). ``update_progress/``: an admin sets the row;
a student may only move their resume point, never raise progress or completion beyond what the
server observed from position samples.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from aiohttp import web

from gateway import keys
from gateway.api import Api
from gateway.catalog import Id
from gateway.crud import filter_values, row_id
from gateway.pagination import page_body, page_request
from gateway.responses import json_response
from gateway.tenancy import Caller, anyone
from gateway.validation import read_body
from storage.progress import ProgressRepository, VideoProgress

FILTERS = {"video": int, "enrollment": int}


class ProgressIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body of ``update_progress`` as the seed front end sends it."""

    video: Id
    enrollment: Id
    progress: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    last_position: Annotated[int, msgspec.Meta(ge=0, le=2**31 - 1)]  # seconds
    completed: bool


def _repo(request: web.Request) -> ProgressRepository:
    return ProgressRepository(request.app[keys.DB])


def _own_rows_of(who: Caller) -> str | None:
    # None reads the whole tenant; a student's user id narrows reads to their enrollments.
    return None if who.principal.is_manager else who.principal.sub


async def list_progress(request: web.Request) -> web.Response:
    """A page of progress rows, filtered by video and enrollment."""
    who = await anyone(request)
    page = page_request(request)
    count, rows = await _repo(request).list(
        who.tenant_id, filter_values(request, FILTERS), user_id=_own_rows_of(who),
        limit=page.size, offset=page.offset)
    return json_response(page_body(request, page, count, rows))


async def retrieve_progress(request: web.Request) -> web.Response:
    """One progress row (a student's own only)."""
    who = await anyone(request)
    row = await _repo(request).get(who.tenant_id, row_id(request), user_id=_own_rows_of(who))
    return json_response(row)


async def update_progress(request: web.Request) -> web.Response:
    """Admins: create or overwrite the row. Students: move the resume point only."""
    who = await anyone(request)
    body = await read_body(request, ProgressIn)
    if not who.principal.is_manager:
        row = await _repo(request).resume_at(who.tenant_id, body.video, body.enrollment,
                                             who.principal.sub, body.last_position)
        return json_response(row)
    row = await _repo(request).record(
        who.tenant_id, body.video, body.enrollment, progress=body.progress,
        last_position=body.last_position, completed=body.completed)
    return json_response(row)


def register(api: Api) -> None:
    """Register the progress operations (and the front end's ``/lectures/`` alias)."""
    base = "/api/v1/media/video-progress/"
    tag = "video-progress"
    both = "managers; students see their own enrollments' rows"
    api.add("GET", base, list_progress, summary="List video progress", tag=tag,
            response=VideoProgress, paginated=True, query=("page", "page_size", *FILTERS),
            roles=both)
    api.add("GET", base + r"{id:\d+}/", retrieve_progress, summary="Retrieve video progress",
            tag=tag, response=VideoProgress, roles=both)
    for prefix in (base, "/api/v1/lectures/video-progress/"):
        api.add("POST", prefix + "update_progress/", update_progress, tag=tag,
                summary="Record the progress of an enrollment in a video", body=ProgressIn,
                response=VideoProgress,
                roles="managers set it; students only move their own resume point",
                errors=(404,))  # a student's: no such row of their own
