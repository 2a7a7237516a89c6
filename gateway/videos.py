"""``/api/v1/media/videos/``: list, create from a link, retrieve, change, delete, policy, retry.

Uploads (presign, multipart, complete, form upload) are in :mod:`gateway.uploads`.
Students may list and retrieve the videos of class sessions they are enrolled in; every other
operation is for managers.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

import asyncpg
import msgspec
from aiohttp import web

from gateway import keys, sources
from gateway.api import Api
from gateway.auth import Role
from gateway.crud import row_id
from gateway.exceptions import BadRequest, NotFound
from gateway.fields import Name as Title
from gateway.fields import OptionalUrl, Url
from gateway.pagination import page_body, page_request
from gateway.responses import json_response, no_content
from gateway.tenancy import Caller, anyone, manager
from gateway.validation import FieldErrors, changes, partial, query_int, query_text, read_body
from gateway.video_views import VideoOut, present, present_to
from storage import deletions, object_keys, outbox
from storage.videos import Video, VideoFilter, VideoRepository
from streams import topics
from streams.schemas import TranscodeRequestV1

Speed = Annotated[float, msgspec.Meta(ge=0.25, le=4.0)]
Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
STATUSES = ("PENDING", "UPLOADED", "PROCESSING", "READY", "FAILED")


class PolicyIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A video's default playback policy (per-enrollment permissions may override it)."""

    allow_skip: bool = False
    max_speed: Speed = 1.0
    show_watermark: bool = True


class VideoIn(PolicyIn, kw_only=True):
    """A video from a YouTube id or an external URL (uploads go through presign/complete)."""

    session: Id
    title: Title
    youtube_id: Annotated[str, msgspec.Meta(pattern=r"^(?:[A-Za-z0-9_-]{11})?$(?![\s\S])")] = ""
    external_url: OptionalUrl = ""
    order: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None


class VideoChange(PolicyIn, kw_only=True):
    """Fields an admin may change on a video."""

    session: Id
    title: Title
    order: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class UrlIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The admin front end's add-url body."""

    session: Id
    title: Title
    url: Url


class Accepted(msgspec.Struct):
    """A request accepted for background work."""

    detail: str


VideoPatch = partial(VideoChange)
PolicyPatch = partial(PolicyIn)
_COLUMN = {"session": "session_id"}  # API field -> column where they differ


def repo(request: web.Request) -> VideoRepository:
    """The video repository of this app."""
    return VideoRepository(request.app[keys.DB])


def _visible_to(who: Caller) -> str | None:
    return who.principal.sub if who.principal.role is Role.STUDENT else None


async def require_session(request: web.Request, who: Caller, session_id: int) -> None:
    """400 naming ``session`` unless the class session is the caller's tenant's."""
    if not await repo(request).session_exists(who.tenant_id, session_id):
        raise FieldErrors({"session": [f'Invalid pk "{session_id}" - object does not exist.']})


async def list_videos(request: web.Request) -> web.Response:
    """Videos ordered by (order, id), filtered by session, status and title search."""
    who = await anyone(request)
    f = VideoFilter(session_id=query_int(request, "session", minimum=1),
                    status=query_text(request, "status", choices=STATUSES),
                    search=query_text(request, "search"), visible_to_user=_visible_to(who))
    page = page_request(request)
    count, rows = await repo(request).list(who.tenant_id, f, limit=page.size, offset=page.offset)
    settings = request.app[keys.SETTINGS]
    manager = who.principal.is_manager
    return json_response(page_body(request, page, count,
                                   [present_to(v, settings, manager=manager) for v in rows]))


async def retrieve_video(request: web.Request) -> web.Response:
    """One video (students: only one they may watch)."""
    who = await anyone(request)
    video = await repo(request).get(who.tenant_id, row_id(request),
                                    visible_to_user=_visible_to(who))
    return json_response(present_to(video, request.app[keys.SETTINGS],
                                    manager=who.principal.is_manager))


async def _create_linked(request: web.Request, who: Caller, body: VideoIn) -> web.Response:
    if bool(body.youtube_id) == bool(body.external_url):
        raise FieldErrors({"non_field_errors": ["Give exactly one of youtube_id, external_url."]})
    if body.external_url:
        try:
            sources.external_url(body.external_url)
        except sources.SourceError as exc:
            raise FieldErrors({"external_url": [str(exc)]}) from exc
    await require_session(request, who, body.session)
    videos = repo(request)
    async with request.app[keys.DB].acquire() as conn, conn.transaction():
        order = body.order if body.order is not None else \
            await videos.next_order(conn, who.tenant_id, body.session)
        video = await videos.insert(conn, who.tenant_id, {
            "session_id": body.session, "title": body.title, "order": order, "status": "READY",
            "youtube_id": body.youtube_id, "external_url": body.external_url,
            "allow_skip": body.allow_skip, "max_speed": body.max_speed,
            "show_watermark": body.show_watermark, "processing_progress": 100})
    return json_response(present(video, request.app[keys.SETTINGS]), status=201)


async def create_video(request: web.Request) -> web.Response:
    """Create a video from ``youtube_id`` or ``external_url``: READY at once."""
    who = await manager(request)
    return await _create_linked(request, who, await read_body(request, VideoIn))


async def add_url(request: web.Request) -> web.Response:
    """The front end's add-url: a YouTube URL becomes youtube_id, anything else external_url."""
    who = await manager(request)
    body = await read_body(request, UrlIn)
    try:
        yt = sources.youtube_id(body.url)
        link = "" if yt else sources.external_url(body.url)
    except sources.SourceError as exc:
        raise FieldErrors({"url": [str(exc)]}) from exc
    return await _create_linked(request, who, VideoIn(
        session=body.session, title=body.title, youtube_id=yt or "", external_url=link))


async def _update(request: web.Request, model: type[msgspec.Struct]) -> web.Response:
    who = await manager(request)
    values = changes(await read_body(request, model))
    if not values:
        raise FieldErrors({"non_field_errors": ["Send at least one field to change."]})
    if "session" in values:
        await require_session(request, who, values["session"])
    video = await repo(request).update(who.tenant_id, row_id(request),
                                       {_COLUMN.get(k, k): v for k, v in values.items()})
    return json_response(present(video, request.app[keys.SETTINGS]))


async def patch_video(request: web.Request) -> web.Response:
    """Change title, order, class session or policy."""
    return await _update(request, VideoPatch)


async def set_policy(request: web.Request) -> web.Response:
    """Change the default playback policy (seek, max speed, watermark)."""
    return await _update(request, PolicyPatch)


async def delete_video(request: web.Request) -> web.Response:
    """Delete the row now; its S3 objects are removed in the background."""
    who = await manager(request)
    async with request.app[keys.DB].acquire() as conn, conn.transaction():
        video = await repo(request).delete(conn, who.tenant_id, row_id(request))
        if video.file_key:
            await deletions.enqueue(conn, who.tenant_id, video.file_key)
        await deletions.enqueue(conn, who.tenant_id, object_keys.hls_prefix(video.id))
    request.app[keys.DELETIONS_WAKE].set()
    return no_content()


async def request_transcode(conn: asyncpg.Connection, who: Caller, video: Video, reason: str) -> None:
    """Record a transcode request for ``video`` in the caller's transaction (outbox)."""
    message = TranscodeRequestV1(
        request_id=str(uuid.uuid4()), tenant=who.tenant, tenant_id=who.tenant_id,
        video_id=video.id, source_key=video.file_key, reason=reason, requested_at=time.time())
    await outbox.enqueue(conn, who.tenant_id, topics.TRANSCODE_REQUESTS.name,
                         topics.video_key(who.tenant, video.id), message)


async def retry_video(request: web.Request) -> web.Response:
    """Transcode again a FAILED (or stuck UPLOADED) upload: 202."""
    who = await manager(request)
    videos = repo(request)
    async with request.app[keys.DB].acquire() as conn, conn.transaction():
        video = await videos.get(who.tenant_id, row_id(request))
        if video.status not in ("FAILED", "UPLOADED") or not video.file_key:
            raise BadRequest(f"Cannot retry video in status {video.status}")
        video = await videos.update(who.tenant_id, video.id, {
            "status": "UPLOADED", "error_reason": "", "processing_progress": 0}, conn)
        await request_transcode(conn, who, video, "retry")
    request.app[keys.OUTBOX_WAKE].set()
    return json_response(msgspec.to_builtins(Accepted("Video reprocessing started")), status=202)


async def download_video(request: web.Request) -> web.Response:
    """302 to a short-lived presigned GET of the uploaded source."""
    who = await manager(request)
    video = await repo(request).get(who.tenant_id, row_id(request))
    if not video.file_key:
        raise NotFound("This video has no uploaded file.")
    url = await request.app[keys.OBJECTS].presign(
        "get_object", 300, Key=video.file_key,
        ResponseContentDisposition=f'attachment; filename="video-{video.id}.'
                                   f'{video.file_key.rsplit(".", 1)[-1]}"')
    raise web.HTTPFound(url)


async def retrieve_nested(request: web.Request) -> web.Response:
    """The seed's nested path: 404 unless the video is in that session of that lecture."""
    who = await manager(request)
    video = await repo(request).get(who.tenant_id, row_id(request, "pk"))
    lecture = await repo(request).lecture_of_session(who.tenant_id, video.session_id)
    if video.session_id != int(request.match_info["session_id"]) or \
            lecture != int(request.match_info["lecture_id"]):
        raise NotFound("Not found.")
    return json_response(present(video, request.app[keys.SETTINGS]))


def register(api: Api) -> None:
    """Register the video operations (admin paths and the front end's /lectures/ aliases)."""
    for base in ("/api/v1/media/videos/", "/api/v1/lectures/videos/"):
        item = base + r"{id:\d+}/"
        tag = "videos"
        api.add("GET", base, list_videos, summary="List videos", tag=tag, response=VideoOut,
                paginated=True, query=("session", "status", "search", "page", "page_size"),
                roles="managers; students see their enrolled sessions' videos")
        api.add("POST", base, create_video, summary="Create a video from a link", tag=tag,
                body=VideoIn, response=VideoOut, status=201)
        api.add("POST", base + "add-url/", add_url, summary="Create a video from a URL",
                tag=tag, body=UrlIn, response=VideoOut, status=201)
        api.add("GET", item, retrieve_video, summary="Retrieve a video", tag=tag,
                response=VideoOut, roles="managers; students for their enrolled sessions")
        api.add("PATCH", item, patch_video, summary="Change a video", tag=tag, body=VideoPatch,
                response=VideoOut)
        api.add("DELETE", item, delete_video, summary="Delete a video (S3 clean-up follows)",
                tag=tag, status=204)
        api.add("POST", item + "set-policy/", set_policy, summary="Set the playback policy",
                tag=tag, body=PolicyPatch, response=VideoOut)
        api.add("POST", item + "retry/", retry_video, summary="Transcode a failed upload again",
                tag=tag, response=Accepted, status=202)
        api.add("GET", item + "download/", download_video,
                summary="Download the source (302 to S3)", tag=tag, status=302)
    api.add("GET", r"/api/v1/media/lectures/{lecture_id:\d+}/sessions/{session_id:\d+}/videos/"
            r"{pk:\d+}/", retrieve_nested, summary="Retrieve a video by its lecture and session",
            tag="videos", response=VideoOut)
