"""Uploads straight to S3: presigned PUT, presigned multipart (resumable), complete, form upload.

``complete`` creates the video UPLOADED and records its transcode request in the same
transaction (outbox), so an accepted upload is never left without one. It is idempotent per
``file_key``.

Sizes are bound end to end: the declared ``size`` must fit the academy's
``max_source_bytes``; it is signed into the presigned PUT (and each part's URL) as
``Content-Length``, so S3 refuses a body of any other size; ``complete`` reads the stored size
back and refuses (400 naming ``size``) one that differs from a declared size or is over the
limit, removing the object.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
import msgspec
from aiohttp import web

from gateway import keys, sources
from gateway.api import Api
from gateway.exceptions import BadRequest, Conflict
from gateway.fields import SINGLE_LINE, Key, Name
from gateway.rate_limits import admit_caller
from gateway.responses import json_response
from gateway.tenancy import Caller, manager
from gateway.validation import FieldErrors, read_body
from gateway.video_views import VideoOut, present
from gateway.videos import Id, Title, repo, request_transcode, require_session
from policy.rate_limits import RouteClass
from policy.source_limits import SourceLimits, size_problem
from storage import object_keys
from storage.exceptions import ObjectStoreError
from storage.videos import Video

PRESIGN_SECONDS = 3600
Size = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
UploadId = Annotated[str, msgspec.Meta(min_length=1, max_length=1024, pattern=SINGLE_LINE)]
FileKey = Annotated[str, msgspec.Meta(min_length=1, max_length=500, pattern=SINGLE_LINE)]


class PresignIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A single-PUT upload to prepare."""

    session: Id
    filename: Name
    content_type: Annotated[str, msgspec.Meta(max_length=100,
                                              pattern=r"^video/[\w.+-]+$(?![\s\S])")] | None = None
    size: Size  # bytes; signed into the PUT, so S3 takes exactly this many


class PresignOut(msgspec.Struct):
    """Where to PUT the file, and the key to complete with."""

    upload_url: str
    file_key: str
    expires_in: int


class MultipartIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A multipart upload to start, or (with upload_id and file_key) to resume."""

    session: Id
    filename: Name
    size: Size
    upload_id: UploadId | None = None
    file_key: FileKey | None = None


class PartUrl(msgspec.Struct):
    """Where to PUT one part."""

    part_number: int
    url: str


class MultipartOut(msgspec.Struct):
    """The upload's key and id, its part size and a URL per part."""

    file_key: str
    upload_id: str
    part_size: int
    parts: list[PartUrl]


class PartDone(msgspec.Struct, forbid_unknown_fields=True):
    """A part the browser uploaded, with the ETag S3 answered."""

    part_number: Annotated[int, msgspec.Meta(ge=1, le=sources.MAX_PARTS)]
    etag: Key


class CompleteIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """An uploaded object to turn into a video (multipart: with upload_id and parts)."""

    session: Id
    title: Title
    file_key: FileKey
    upload_id: UploadId | None = None
    parts: list[PartDone] | None = None
    size: Size | None = None  # the size declared at presign: the stored object must match


def part_lengths(size: int, part_size: int) -> list[tuple[int, int]]:
    """(part number, exact length) of every part of an upload of ``size`` bytes."""
    return [(n, min(part_size, size - (n - 1) * part_size))
            for n in range(1, sources.part_count(size, part_size) + 1)]


async def source_limits(request: web.Request, who: Caller) -> SourceLimits:
    """The caller's academy's bounds on an uploaded source."""
    return SourceLimits.of(await request.app[keys.TENANT_SETTINGS].get(who.tenant_id))


def _check_file(filename: str, size: int, limits: SourceLimits) -> str:
    try:
        ext = sources.extension_of(filename)
        sources.check_size(size)
    except sources.SourceError as exc:
        field = "filename" if "type" in str(exc) else "size"
        raise FieldErrors({field: [str(exc)]}) from exc
    problem = size_problem(size, limits)
    if problem:
        raise FieldErrors({"size": [problem]})
    return ext


def _check_key(who: Caller, file_key: str) -> None:
    if not file_key.startswith(object_keys.tenant_uploads_prefix(who.tenant_id)) or \
            ".." in file_key:
        raise FieldErrors({"file_key": ["Not an upload key of this academy."]})


async def presign(request: web.Request) -> web.Response:
    """A presigned PUT for one file, under the tenant's upload prefix."""
    who = await manager(request)
    body = await read_body(request, PresignIn)
    ext = _check_file(body.filename, body.size, await source_limits(request, who))
    await admit_caller(request, RouteClass.UPLOAD, who)
    await require_session(request, who, body.session)
    key = object_keys.upload_key(who.tenant_id, body.session, ext)
    # Content-Length is a signed header: S3 refuses a body of any other size.
    url = await request.app[keys.OBJECTS].presign(
        "put_object", PRESIGN_SECONDS, Key=key,
        ContentType=body.content_type or sources.VIDEO_TYPES[ext], ContentLength=body.size)
    return json_response(msgspec.structs.asdict(PresignOut(url, key, PRESIGN_SECONDS)))


async def presign_multipart(request: web.Request) -> web.Response:
    """Start (or resume) a multipart upload and presign a PUT URL for every part."""
    who = await manager(request)
    body = await read_body(request, MultipartIn)
    ext = _check_file(body.filename, body.size, await source_limits(request, who))
    await admit_caller(request, RouteClass.UPLOAD, who)
    await require_session(request, who, body.session)
    store = request.app[keys.OBJECTS]
    if body.upload_id:
        if not body.file_key:
            raise FieldErrors({"file_key": ["Required to resume an upload."]})
        _check_key(who, body.file_key)
        key, upload_id = body.file_key, body.upload_id
    else:
        key = object_keys.upload_key(who.tenant_id, body.session, ext)
        upload_id = await store.start_multipart(key, sources.VIDEO_TYPES[ext])
    part_size = sources.part_size_for(body.size)
    # Each part's exact length is signed, so the parts add up to the declared size at most.
    parts = [PartUrl(n, await store.presign("upload_part", PRESIGN_SECONDS, Key=key,
                                             UploadId=upload_id, PartNumber=n,
                                             ContentLength=length))
             for n, length in part_lengths(body.size, part_size)]
    out = MultipartOut(key, upload_id, part_size, parts)
    return json_response(msgspec.to_builtins(out))


async def create_uploaded(request: web.Request, who: Caller, session: int, title: str,
                          file_key: str, size: int, reason: str) -> tuple[Video, bool]:
    """The video of an uploaded object, created UPLOADED with its transcode request.

    Returns (video, created); a second call for the same key returns the first video.
    """
    videos = repo(request)
    try:
        async with request.app[keys.DB].acquire() as conn, conn.transaction():
            existing = await videos.by_file_key(conn, who.tenant_id, file_key)
            if existing is not None:
                return existing, False
            order = await videos.next_order(conn, who.tenant_id, session)
            video = await videos.insert(conn, who.tenant_id, {
                "session_id": session, "title": title, "order": order, "status": "UPLOADED",
                "file_key": file_key, "file_size": size})
            await request_transcode(conn, who, video, reason)
    except asyncpg.UniqueViolationError:
        # A concurrent complete of the same key won the race: answer its video.
        async with request.app[keys.DB].acquire() as conn:
            found = await videos.by_file_key(conn, who.tenant_id, file_key)
        assert found is not None
        return found, False
    except asyncpg.ForeignKeyViolationError as exc:
        raise FieldErrors({"session": [f'Invalid pk "{session}" - object does not exist.']}) \
            from exc
    request.app[keys.OUTBOX_WAKE].set()
    return video, True


async def _check_stored_size(request: web.Request, who: Caller, file_key: str, size: int,
                             declared: int | None) -> None:
    """400 naming ``size`` (and the object removed) when the stored size is not acceptable."""
    problem = size_problem(size, await source_limits(request, who))
    if problem is None and declared is not None and declared != size:
        problem = f"The stored file has {size} bytes, not the {declared} declared."
    if problem is None:
        return
    try:
        await request.app[keys.OBJECTS].delete(file_key)
    except ObjectStoreError:  # the refusal stands; the object is only wasted space
        pass
    raise FieldErrors({"size": [problem]})


async def complete(request: web.Request) -> web.Response:
    """HEAD the uploaded object (409 if missing or empty), then create the video: 201."""
    who = await manager(request)
    body = await read_body(request, CompleteIn)
    _check_key(who, body.file_key)
    await admit_caller(request, RouteClass.UPLOAD, who)
    store = request.app[keys.OBJECTS]
    async with request.app[keys.DB].acquire() as conn:
        existing = await repo(request).by_file_key(conn, who.tenant_id, body.file_key)
    if existing is not None:
        return json_response(present(existing, request.app[keys.SETTINGS]))
    if body.upload_id:
        if not body.parts:
            raise FieldErrors({"parts": ["Required with upload_id."]})
        parts = sorted((p.part_number, p.etag) for p in body.parts)
        try:
            await store.complete_multipart(body.file_key, body.upload_id, parts)
        except ObjectStoreError as exc:
            # A retried complete whose first call assembled the object already is fine.
            if not await store.size(body.file_key):
                raise BadRequest(f"The multipart upload could not be completed: {exc}") from exc
    size = await store.size(body.file_key)
    if not size:
        raise Conflict("S3 object not found")
    await _check_stored_size(request, who, body.file_key, size, body.size)
    video, created = await create_uploaded(request, who, body.session, body.title,
                                           body.file_key, size, "complete")
    return json_response(present(video, request.app[keys.SETTINGS]),
                         status=201 if created else 200)


def register(api: Api) -> None:
    """Register the upload operations (admin paths and the front end's aliases)."""
    for base in ("/api/v1/media/videos/", "/api/v1/lectures/videos/"):
        api.add("POST", base + "presign/", presign, summary="Presign a single PUT upload",
                tag="uploads", body=PresignIn, response=PresignOut, rate_limited="upload")
        api.add("POST", base + "presign-multipart/", presign_multipart,
                summary="Start or resume a multipart upload", tag="uploads", body=MultipartIn,
                response=MultipartOut, rate_limited="upload")
        api.add("POST", base + "complete/", complete, summary="Create the video of an upload",
                tag="uploads", body=CompleteIn, response=VideoOut, status=201, also=(200,),
                errors=(409,), rate_limited="upload")  # 200: this file_key was completed before
