"""``GET /api/v1/media/videos/{id}/hls-key/``: the AES-128 key of an encrypted HLS package.

The key URI in an encrypted video's playlists points here. The 16 bytes are served only to a
player with a **live** playback session for that video, proven by the playback token that
``play/`` and ``refresh/`` return, sent as the ``X-Playback-Token`` header or the ``token``
query parameter (hls.js: ``xhrSetup`` adds either for key URLs). The CDN cookies cannot serve
here: browsers scope them to ``/hls/videos/{id}/``. A session that ended, expired or was revoked
gets 403 at once, even with an unexpired token; the response is never cached.
"""

from __future__ import annotations

import logging
import time

from aiohttp import web

from config.exceptions import SettingsError
from gateway import keys, playback_tokens, session_recall
from gateway.api import Api
from gateway.crud import row_id
from gateway.exceptions import Forbidden, NotFound, Unauthorized
from storage.hls_keys import HlsKeys, KeyUnreadable

log = logging.getLogger(__name__)
TOKEN_HEADER = "X-Playback-Token"
ROUTE = r"/api/v1/media/videos/{id:\d+}/hls-key/"  # = storage.hls_keys.key_path (unit-tested)


async def hls_key(request: web.Request) -> web.Response:
    """The video's HLS key, for a live playback session of that video."""
    app = request.app
    settings = app[keys.SETTINGS]
    video_id = row_id(request)
    token = request.headers.get(TOKEN_HEADER) or request.query.get("token")
    if not token:
        raise Unauthorized("playback_token_required")
    now = time.time()
    claims = playback_tokens.verify(token, app[keys.PLAYBACK_KEYS], now=now)
    if claims.video_id != video_id:
        raise Unauthorized("video_mismatch")
    header = request.headers.get("Authorization")
    if header:  # optional, as for events: when sent it must be the token's user
        principal = app[keys.AUTHENTICATOR].authenticate(header)
        if principal.sub != claims.user_id or principal.tenant != claims.tenant:
            raise Unauthorized("user_mismatch")
    if not await session_recall.is_live(app, claims, now):
        raise Forbidden("session_not_active")
    try:
        key = await HlsKeys(app[keys.DB], settings.hls_key_encryption_key()).load(
            claims.tenant_id, video_id)
    except (SettingsError, KeyUnreadable) as exc:
        log.error("HLS key unavailable", extra={"video_id": video_id, "reason": str(exc)})
        key = None
    if key is None:
        raise NotFound("Not found.")
    return web.Response(body=key, content_type="application/octet-stream", headers={
        "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def register(api: Api) -> None:
    """Register the key endpoint."""
    api.add("GET", ROUTE, hls_key, summary="The AES-128 key of an encrypted HLS package",
            tag="playback", query=("token",), media_type="application/octet-stream",
            roles="a live playback session of the video: its playback token in "
                  "X-Playback-Token or ?token=; Authorization optional")
