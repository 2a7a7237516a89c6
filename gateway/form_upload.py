"""``videos/upload/``: the seed front end's multipart form (``session`` then ``files``).

Each file is streamed to S3 as a multipart upload, one part at a time, so memory holds at most
one part (8 MiB) whatever the file size; then it becomes a video exactly like ``complete``.
A file over the academy's ``max_source_bytes`` is refused (413) as soon as that many bytes
arrived, and its parts are discarded.
"""

from __future__ import annotations

import os
from urllib.parse import unquote

from aiohttp import BodyPartReader, MultipartReader, web

from gateway import fields, keys, sources
from gateway.api import Api
from gateway.exceptions import BadRequest, PayloadTooLarge
from gateway.rate_limits import admit_caller
from gateway.responses import json_response
from gateway.tenancy import Caller, manager
from gateway.uploads import create_uploaded, source_limits
from gateway.validation import FieldErrors
from gateway.video_views import VideoOut, present
from gateway.videos import require_session
from policy.rate_limits import RouteClass
from policy.source_limits import SourceLimits, human_bytes
from storage import object_keys
from storage.objects import ObjectStore

_READ_BYTES = 1024 * 1024


async def _session_field(request: web.Request, who: Caller, part: BodyPartReader) -> int:
    raw = (await part.text()).strip()
    if not raw.isdigit() or not 0 < int(raw) < 2**63:
        raise FieldErrors({"session": ["A valid integer is required."]})
    session = int(raw)
    await require_session(request, who, session)
    return session


async def _stream_to_s3(store: ObjectStore, key: str, content_type: str,
                        part: BodyPartReader, limits: SourceLimits) -> int:
    """Copy one form file to S3 part by part; return its size. Aborts the upload on failure."""
    upload_id = await store.start_multipart(key, content_type)
    try:
        done: list[tuple[int, str]] = []
        buffer = bytearray()
        total = 0
        while chunk := await part.read_chunk(_READ_BYTES):
            total += len(chunk)
            if total > min(sources.MAX_UPLOAD_BYTES, limits.max_bytes):
                raise PayloadTooLarge(
                    f"{part.filename}: larger than this academy's limit of "
                    f"{human_bytes(min(sources.MAX_UPLOAD_BYTES, limits.max_bytes))} per video.")
            buffer += chunk
            if len(buffer) >= sources.MIN_PART_BYTES:
                done.append((len(done) + 1, await store.upload_part(
                    key, upload_id, len(done) + 1, bytes(buffer))))
                buffer.clear()
        if total == 0:
            raise FieldErrors({"files": [f"{part.filename}: the file is empty."]})
        if buffer:
            done.append((len(done) + 1, await store.upload_part(
                key, upload_id, len(done) + 1, bytes(buffer))))
        await store.complete_multipart(key, upload_id, done)
        return total
    except BaseException:
        await store.abort_multipart(key, upload_id)
        raise


async def _next_part(reader: MultipartReader) -> object:
    try:
        return await reader.next()
    except ValueError as exc:  # aiohttp's parser reports malformed framing as ValueError
        raise BadRequest(f"Malformed multipart body: {exc}.") from exc


async def upload(request: web.Request) -> web.Response:
    """Upload one or many files for a class session: 201 with the created videos."""
    who = await manager(request)
    if not request.content_type.startswith("multipart/form-data"):
        raise BadRequest("Send multipart/form-data with a session field, then files.")
    try:
        reader = await request.multipart()
    except ValueError as exc:  # no or bad boundary
        raise BadRequest(f"Malformed multipart body: {exc}.") from exc
    store = request.app[keys.OBJECTS]
    limits = await source_limits(request, who)
    session: int | None = None
    created = []
    while (part := await _next_part(reader)) is not None:
        if not isinstance(part, BodyPartReader):
            raise BadRequest("Nested multipart bodies are not supported.")
        if part.name == "session":
            session = await _session_field(request, who, part)
        elif part.name == "files":
            if session is None:
                raise FieldErrors({"session": ["Send the session field before the files."]})
            # Browsers and aiohttp percent-encode quotes and spaces in the form's filename.
            filename = unquote(part.filename or "video")
            if len(filename) > fields.MAX_NAME or not fields.is_single_line(filename):
                raise FieldErrors({"files": ["A file name must be one line of at most "
                                             f"{fields.MAX_NAME} characters."]})
            try:
                ext = sources.extension_of(filename)
            except sources.SourceError as exc:
                raise FieldErrors({"files": [str(exc)]}) from exc
            if not created:  # charged once, before the first transfer to S3
                await admit_caller(request, RouteClass.UPLOAD, who)
            key = object_keys.upload_key(who.tenant_id, session, ext)
            size = await _stream_to_s3(store, key, sources.VIDEO_TYPES[ext], part, limits)
            title = os.path.splitext(os.path.basename(filename))[0][:255] or "video"
            video, _ = await create_uploaded(request, who, session, title, key, size, "upload")
            created.append(present(video, request.app[keys.SETTINGS]))
        else:
            await part.release()  # unknown fields are ignored, as a form post would
    if not created:
        raise FieldErrors({"files": ["Send at least one file."]})
    return json_response(created, status=201)


def register(api: Api) -> None:
    """Register the form upload (admin path and the front end's alias)."""
    for base in ("/api/v1/media/videos/", "/api/v1/lectures/videos/"):
        api.add("POST", base + "upload/", upload, summary="Upload files (multipart form)",
                tag="uploads", response=VideoOut, status=201, rate_limited="upload")
