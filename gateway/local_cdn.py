"""The local CDN: CloudFront's job for HLS packages, done by the gateway when there is none.

``GET``/``HEAD /hls/videos/{video_id}/{path}`` streams ``hls/videos/{video_id}/{path}`` from S3
to a browser whose CloudFront signed cookies (set at play) grant that path, or whose signed URL
does (a poster in the student's library), checked exactly as CloudFront checks them. It is on only when ``CLOUDFRONT_PUBLIC_KEY_PEM`` is set, so dev and test
play the same cookie-guarded URLs as production.
"""

from __future__ import annotations

import re
import time
from contextlib import aclosing
from pathlib import PurePosixPath

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from gateway import cdn_cookies, keys
from gateway.exceptions import ApiError, BadRequest, Forbidden, NotFound
from storage.object_keys import hls_prefix

ROUTE = r"/hls/videos/{video_id:\d+}/{path:.+}"

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
    ".key": "application/octet-stream",
}
# "private": the bytes are cookie-guarded, so no shared cache may keep them. Playlists may be
# rewritten (a re-transcode); segments, keys and thumbnails never change once written.
PLAYLIST_CACHE = "private, max-age=5"
IMMUTABLE_CACHE = "private, max-age=86400, immutable"
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


class RangeNotSatisfiable(ApiError):
    """416: the requested range starts past the end of the object."""

    status = 416


def object_path(raw: str) -> str:
    """The path below the video's prefix, refusing anything that could climb out of it."""
    parts = raw.split("/")
    if any(p in {"", ".", ".."} for p in parts) or "\\" in raw or "\x00" in raw:
        raise BadRequest("invalid_path")
    return raw


def byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte, inclusive, of a single ``Range``; None to send the whole object.

    A malformed or multi-range header is ignored (RFC 9110 allows it; players ask for one
    range). A range starting past the end raises :class:`RangeNotSatisfiable`.
    """
    match = _RANGE.fullmatch(header) if header else None
    if match is None or match.group(1) == match.group(2) == "":
        return None
    start, end = match.group(1), match.group(2)
    if start == "":  # "bytes=-n": the last n bytes
        first, last = max(0, size - int(end)), size - 1
        if int(end) == 0 or size == 0:
            raise _unsatisfiable(size)
    else:
        first, last = int(start), size - 1 if end == "" else min(int(end), size - 1)
        if end != "" and int(end) < first:
            return None
        if first >= size:
            raise _unsatisfiable(size)
    return first, last


def _unsatisfiable(size: int) -> RangeNotSatisfiable:
    return RangeNotSatisfiable("range_not_satisfiable",
                               headers={"Content-Range": f"bytes */{size}"})


def content_type(path: str) -> str:
    """The HLS file's media type by extension (unknown ones as opaque bytes)."""
    return CONTENT_TYPES.get(PurePosixPath(path).suffix.lower(), "application/octet-stream")


class LocalCdn:
    """Serves HLS files to requests whose signed cookies verify with one public key."""

    def __init__(self, public_key: RSAPublicKey, key_pair_id: str) -> None:
        self.public_key = public_key
        self.key_pair_id = key_pair_id

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """GET/HEAD of one file of a video's HLS package."""
        path = object_path(request.match_info["path"])
        key = hls_prefix(int(request.match_info["video_id"])) + path
        try:
            # The path that is served is the one that is checked: "/" + the S3 key.
            # A signed URL (a poster in the library, before any play set cookies) or cookies.
            signed = cdn_cookies.from_url_query(request.query) or request.cookies
            cdn_cookies.verify(signed, request_path="/" + key, now=time.time(),
                               public_key=self.public_key, key_pair_id=self.key_pair_id)
        except cdn_cookies.CookieError as exc:
            raise Forbidden(exc.reason) from None
        store = request.app[keys.OBJECTS]
        size = await store.size(key)
        if size is None:
            raise NotFound("Not found.")
        span = byte_range(request.headers.get("Range", ""), size)
        first, last = span or (0, size - 1)
        response = web.StreamResponse(status=206 if span else 200, headers={
            "Content-Type": content_type(path),
            "Cache-Control": PLAYLIST_CACHE if path.endswith(".m3u8") else IMMUTABLE_CACHE,
            "Accept-Ranges": "bytes",
            "X-Content-Type-Options": "nosniff",
        })
        if span:
            response.headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        response.content_length = last - first + 1
        if request.method == "HEAD":
            await response.prepare(request)
            await response.write_eof()
            return response
        chunks = store.iter_bytes(key, first=first if span else None, last=last)
        async with aclosing(chunks):
            # The first chunk before the headers: an object gone since the HEAD is still a 404.
            head = await anext(chunks, b"")
            await response.prepare(request)
            try:
                if head:
                    await response.write(head)
                async for chunk in chunks:
                    await response.write(chunk)
                await response.write_eof()
            except ConnectionResetError:
                pass  # the player moved on (ABR switch, seek): routine, not an error
        return response


async def _disabled(request: web.Request) -> web.StreamResponse:
    raise NotFound("local CDN is off: CLOUDFRONT_PUBLIC_KEY_PEM is not set")


def setup_routes(app: web.Application) -> None:
    """Add the HLS route; the public key is loaded now, so a bad PEM stops the start."""
    settings = app[keys.SETTINGS]
    if settings.cloudfront_public_key_pem:
        cdn = LocalCdn(cdn_cookies.load_public_key(settings.cloudfront_public_key_pem),
                       settings.cloudfront_key_pair_id)
        app.router.add_get(ROUTE, cdn.serve)
    else:
        app.router.add_get(ROUTE, _disabled)
