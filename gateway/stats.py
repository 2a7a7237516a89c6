"""``GET .../videos/{id}/stats/``: who in the class watched how much of a video (managers only).

Served at the admin path, the seed's nested lecture/session path and the admin front end's
``/api/v1/lectures/`` alias, by one handler.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from gateway import keys
from gateway.api import Api
from gateway.crud import row_id
from gateway.exceptions import NotFound
from gateway.responses import json_response
from gateway.tenancy import manager
from gateway.video_views import VideoOut, present
from storage.stats import StatsRepository, VideoStatsStudent, VideoStatsSummary
from storage.videos import VideoRepository


@dataclass(frozen=True, slots=True)
class VideoStats:
    """``VideoStats`` of the admin front end's ``videos.ts``."""

    video: VideoOut
    stats: VideoStatsSummary
    students: list[VideoStatsStudent]


async def video_stats(request: web.Request) -> web.Response:
    """The stats of one video; on the nested path only if it is that lecture's and session's."""
    who = await manager(request)
    video_id = row_id(request, "pk" if "pk" in request.match_info else "id")
    pool = request.app[keys.DB]
    # Two statements whatever the class size: the class (404 if not the tenant's), the video.
    standing = await StatsRepository(pool).class_stats(who.tenant_id, video_id)
    video = await VideoRepository(pool).get(who.tenant_id, video_id)
    if "session_id" in request.match_info and (
            standing.session_id != row_id(request, "session_id")
            or standing.lecture_id != row_id(request, "lecture_id")):
        raise NotFound("Not found.")
    body = VideoStats(present(video, request.app[keys.SETTINGS]), standing.summary(),
                      standing.students)
    return json_response(body)


def register(api: Api) -> None:
    """Register the stats paths."""
    for path in (r"/api/v1/media/videos/{id:\d+}/stats/",
                 r"/api/v1/lectures/videos/{id:\d+}/stats/",
                 r"/api/v1/media/lectures/{lecture_id:\d+}/sessions/{session_id:\d+}/videos/"
                 r"{pk:\d+}/stats/"):
        api.add("GET", path, video_stats, summary="Watching stats of a video's class",
                tag="stats", response=VideoStats)
