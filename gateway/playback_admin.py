"""Admin views of playback: sessions (live and past) with revoke, and students' devices."""

from __future__ import annotations

from aiohttp import web

from gateway import keys
from gateway.api import Api
from gateway.crud import row_id
from gateway.exceptions import Conflict, ServiceUnavailable
from gateway.pagination import page_body, page_request
from gateway.responses import json_response, no_content
from gateway.session_client import ActorTimeout
from gateway.tenancy import Caller, manager
from gateway.validation import query_int, query_text
from storage.playback_sessions import Device, PlaybackSession, PlaybackSessionRepository
from streams.exceptions import PublishError

STATUSES = ("ACTIVE", "ENDED", "REVOKED", "EXPIRED")


def _repo(request: web.Request) -> PlaybackSessionRepository:
    return PlaybackSessionRepository(request.app[keys.DB])


async def _ask_actor(request: web.Request, who: Caller, kind: str, user_id: str,
                     **fields: object) -> None:
    client = request.app[keys.SESSIONS]
    cmd = client.command(kind, tenant=who.tenant, tenant_id=who.tenant_id, user_id=user_id,
                         **fields)
    try:
        await client.ask(cmd, request.app[keys.SETTINGS].play_reply_timeout_seconds)
    except (ActorTimeout, PublishError):
        raise ServiceUnavailable("session_service_unavailable", retry_after=2) from None


async def list_sessions(request: web.Request) -> web.Response:
    """Sessions newest first; filters ``user``, ``video``, ``status``."""
    who = await manager(request)
    status = query_text(request, "status", choices=STATUSES)
    page = page_request(request)
    count, rows = await _repo(request).list(
        who.tenant_id, user=query_text(request, "user"),
        video=query_int(request, "video", minimum=1), status=status,
        limit=page.size, offset=page.offset)
    return json_response(page_body(request, page, count, rows))


async def revoke_session(request: web.Request) -> web.Response:
    """Revoke a live session: its next heartbeat answers 409 session_revoked."""
    who = await manager(request)
    session = await _repo(request).get(who.tenant_id, request.match_info["session_id"])
    if session.status != "ACTIVE":
        raise Conflict(f"The session is already {session.status}.")
    await _ask_actor(request, who, "revoke", session.user_id, session_id=session.session_id,
                     reason="admin")
    return json_response({"status": "revoked"})


async def list_devices(request: web.Request) -> web.Response:
    """Devices students played from, most recent first; filter ``user``."""
    who = await manager(request)
    return json_response(await _repo(request).devices(who.tenant_id, query_text(request, "user")))


async def forget_device(request: web.Request) -> web.Response:
    """Free a device's place (its live sessions are revoked)."""
    who = await manager(request)
    device = await _repo(request).device(who.tenant_id, row_id(request))
    await _ask_actor(request, who, "forget_device", device.user_id, device_id=device.device_id)
    await _repo(request).delete_device(who.tenant_id, device.id)
    return no_content()


def register(api: Api) -> None:
    """Register the playback admin endpoints."""
    base = "/api/v1/media/playback-sessions/"
    api.add("GET", base, list_sessions, summary="List playback sessions", tag="playback-admin",
            response=PlaybackSession, paginated=True,
            query=("user", "video", "status", "page", "page_size"))
    api.add("POST", base + r"{session_id:[0-9a-f]{32}}/revoke/", revoke_session,
            summary="Revoke a live session", tag="playback-admin", errors=(409, 503))
    api.add("GET", "/api/v1/media/devices/", list_devices, summary="List students' devices",
            tag="playback-admin", response=list[Device], query=("user",))
    api.add("DELETE", r"/api/v1/media/devices/{id:\d+}/", forget_device,
            summary="Forget a device", tag="playback-admin", status=204, errors=(503,))
