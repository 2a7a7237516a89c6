"""``GET /api/v1/media/my-videos/``: the caller's own library, for the student player, and
``GET /api/v1/media/me/``: who the caller is (the player's header shows the student's name).

The videos list answers what a video is; this answers how the caller may watch it: the
enrollment ``play/`` needs, their rule and their progress. A caller without a student profile
gets an empty list. Posters come as CDN URLs signed for the poster alone: the video's cookies
are set only at play, and the list is shown before.
"""

from __future__ import annotations

import time

import msgspec
from aiohttp import web

from gateway import cdn, keys
from gateway.api import Api
from gateway.pagination import page_body, page_request
from gateway.responses import json_response
from gateway.tenancy import anyone
from storage.library import LibraryItem, LibraryRepository


async def my_videos(request: web.Request) -> web.Response:
    """A page of the caller's library, in class-session and video order."""
    who = await anyone(request)
    page = page_request(request)
    now = time.time()
    count, items = await LibraryRepository(request.app[keys.DB]).list(
        who.tenant_id, who.principal.sub, limit=page.size, offset=page.offset,
        poster_url=lambda key: cdn.signed_url(request, key, now))
    return json_response(page_body(request, page, count, items))


class MeOut(msgspec.Struct):
    """Who the caller is, as the player's header shows it."""

    user_id: str
    role: str
    name: str  # the student profile's name; "" without one


async def me(request: web.Request) -> web.Response:
    """The caller's user id, role and (for a student) name."""
    who = await anyone(request)
    name = await LibraryRepository(request.app[keys.DB]).student_name(who.tenant_id,
                                                                       who.principal.sub)
    body = MeOut(who.principal.sub, who.principal.role.value, name)
    return json_response(msgspec.to_builtins(body))


def register(api: Api) -> None:
    """Register the library operation."""
    api.add("GET", "/api/v1/media/my-videos/", my_videos, tag="playback",
            summary="The caller's videos with the enrollment to play them, rule and progress",
            response=LibraryItem, paginated=True, query=("page", "page_size"),
            roles="anyone; a student sees the videos of their class sessions")
    api.add("GET", "/api/v1/media/me/", me, tag="playback", response=MeOut,
            summary="The caller: user id, role and student name", roles="anyone")
