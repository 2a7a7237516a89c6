"""``GET /api/v1/media/my-videos/``: the caller's own library, for the student player.

The videos list answers what a video is; this answers how the caller may watch it: the
enrollment ``play/`` needs, their rule and their progress. A caller without a student profile
gets an empty list.
"""

from __future__ import annotations

from aiohttp import web

from gateway import keys
from gateway.api import Api
from gateway.pagination import page_body, page_request
from gateway.responses import json_response
from gateway.tenancy import anyone
from storage.library import LibraryItem, LibraryRepository


async def my_videos(request: web.Request) -> web.Response:
    """A page of the caller's library, in class-session and video order."""
    who = await anyone(request)
    page = page_request(request)
    count, items = await LibraryRepository(request.app[keys.DB]).list(
        who.tenant_id, who.principal.sub, limit=page.size, offset=page.offset)
    return json_response(page_body(request, page, count, items))


def register(api: Api) -> None:
    """Register the library operation."""
    api.add("GET", "/api/v1/media/my-videos/", my_videos, tag="playback",
            summary="The caller's videos with the enrollment to play them, rule and progress",
            response=LibraryItem, paginated=True, query=("page", "page_size"),
            roles="anyone; a student sees the videos of their class sessions")
