"""The player's session endpoints: ``play/``, ``refresh/``, ``heartbeat/``, ``end/``.

``play`` checks access and policy here, then asks the user's session actor (over Kafka) to
admit the stream under the tenant's limits. ``heartbeat`` answers from the Redis read model
the actor maintains, and tells the actor the player is still there; when Redis has no entry
(restarted empty), it asks the actor instead (:mod:`gateway.session_recall`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from aiohttp import web

from config.tenant_settings import TenantSettings, effective
from gateway import cdn, keys, playback_tokens
from gateway.api import Api
from gateway.crud import row_id
from gateway.exceptions import Conflict, ServiceUnavailable, Unauthorized, error_for
from gateway.fields import Key, Token
from gateway.rate_limits import admit, admit_caller
from gateway.responses import json_response
from gateway.session_client import ActorTimeout
from gateway.session_recall import recall
from gateway.tenancy import Caller, anyone
from gateway.validation import read_body
from gateway.video_views import public_url
from policy.playback import PlayContext, effective_policy, event_rules, refusal
from policy.rate_limits import RouteClass
from policy.user_agent import clean_user_agent
from storage import object_keys
from storage.access import play_context
from storage.device_agents import remember
from streams.exceptions import PublishError


class PlayIn(msgspec.Struct, kw_only=True):
    """The seed's play body (extra fields a player sends are ignored)."""

    enrollment_id: Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]
    device_id: Key


class TokenIn(msgspec.Struct, kw_only=True):
    """A refresh/heartbeat/end body: the token (the seed front end adds session_id)."""

    token: Token
    position: Annotated[float, msgspec.Meta(ge=0, le=10**7)] | None = None


class PlayOut(msgspec.Struct):
    """A granted (or refreshed) session."""

    token: str
    session_id: str
    expires_at: int
    policy: dict[str, Any]
    play_url: str
    # When the CDN cookies set with this response expire (None: no CDN cookies); heartbeats
    # renew them, so a player beats at least three times per cookie lifetime.
    cdn_expires_at: int | None = None


class StatusOut(msgspec.Struct):
    """``{"status": "ended"}``."""

    status: str


class HeartbeatOut(msgspec.Struct):
    """``{"status": "ok", "cdn_expires_at": ...}``: the session lives, cookies renewed."""

    status: str
    cdn_expires_at: int | None = None


async def _context(request: web.Request, who: Caller, video_id: int,
                   enrollment_id: int) -> tuple[PlayContext, TenantSettings]:
    ctx = await play_context(request.app[keys.DB], who.tenant_id, video_id, who.principal.sub,
                             enrollment_id)
    if ctx is None:
        raise error_for(404, "Not found.")
    refused = refusal(ctx)
    if refused is not None:
        raise error_for(refused.status, refused.code)
    return ctx, effective(request.app[keys.SETTINGS].tenant_defaults, ctx.tenant_overrides)


def _play_url(request: web.Request, ctx: PlayContext) -> str:
    if ctx.youtube_id:
        return f"https://www.youtube.com/watch?v={ctx.youtube_id}"
    if ctx.external_url:
        return ctx.external_url
    return public_url(request.app[keys.SETTINGS], object_keys.master_playlist(ctx.video_id))


def _granted(request: web.Request, claims: playback_tokens.PlaybackClaims, ctx: PlayContext,
             tenant: TenantSettings, now: float) -> web.Response:
    ttl = tenant.playback_ttl_seconds
    token = playback_tokens.sign(claims, request.app[keys.PLAYBACK_KEYS], now=now,
                                 ttl_seconds=ttl)
    expires_at = int(now) + ttl
    cdn_expires_at = cdn.cookie_expiry(request, now, ttl)
    body = PlayOut(token, claims.session_id, expires_at, claims.policy, _play_url(request, ctx),
                   cdn_expires_at)
    response = json_response(msgspec.to_builtins(body))
    if cdn_expires_at is not None:
        cdn.set_cookies(request, response, ctx.video_id, cdn_expires_at)
    return response


async def play(request: web.Request) -> web.Response:
    """Admit a stream: 200 with a token, or the seed's 403/404/409 codes."""
    who = await anyone(request)
    video_id = row_id(request)
    body = await read_body(request, PlayIn)
    await admit_caller(request, RouteClass.PLAY, who)
    ctx, tenant = await _context(request, who, video_id, body.enrollment_id)
    assert ctx.enrollment_id is not None
    client = request.app[keys.SESSIONS]
    cmd = client.command(
        "play", tenant=who.tenant, tenant_id=who.tenant_id, user_id=who.principal.sub,
        session_id=uuid.uuid4().hex, request_id=uuid.uuid4().hex, device_id=body.device_id,
        video_id=video_id, enrollment_id=ctx.enrollment_id,
        limits={"max_sessions": tenant.max_sessions, "max_devices": tenant.max_devices,
                "device_window_days": tenant.device_window_days, "on_limit": tenant.on_limit,
                "session_idle_seconds": tenant.session_idle_seconds})
    # Before the actor admits it: a database error refuses the play rather than a granted one.
    await remember(request.app[keys.DB], who.tenant_id, who.principal.sub, body.device_id,
                   clean_user_agent(request.headers.get("User-Agent")),
                   datetime.fromtimestamp(cmd.issued_at, UTC))
    try:
        reply = await client.ask(cmd, request.app[keys.SETTINGS].play_reply_timeout_seconds)
    except ActorTimeout:
        # The actor may still grant it later: cancel, so it is undone rather than left live.
        await client.tell(client.command("cancel", tenant=who.tenant, tenant_id=who.tenant_id,
                                         user_id=who.principal.sub, request_id=cmd.request_id))
        raise ServiceUnavailable("session_service_unavailable", retry_after=2) from None
    except PublishError:
        # Kafka did not acknowledge in time, but the play may still reach the actor later:
        # a cancel follows it (same key and producer, so in order), without holding the answer;
        # if it is lost too, a grant that comes anyway ends when the session idles.
        client.tell_soon(client.command("cancel", tenant=who.tenant, tenant_id=who.tenant_id,
                                        user_id=who.principal.sub, request_id=cmd.request_id))
        raise ServiceUnavailable("session_service_unavailable", retry_after=2) from None
    if not reply.granted:
        raise Conflict(reply.reason)
    claims = playback_tokens.PlaybackClaims(
        tenant=who.tenant, tenant_id=who.tenant_id, user_id=who.principal.sub,
        video_id=video_id, enrollment_id=ctx.enrollment_id, device_id=body.device_id,
        session_id=reply.session_id, policy=effective_policy(ctx, tenant, who.principal.sub),
        duration=ctx.duration, rules=event_rules(tenant), started_at=cmd.issued_at)
    return _granted(request, claims, ctx, tenant, cmd.issued_at)


async def _claims(request: web.Request, token: str, now: float,
                  check_video: bool = True) -> tuple[Caller, playback_tokens.PlaybackClaims]:
    principal = request.app[keys.AUTHENTICATOR].authenticate(request.headers.get("Authorization"))
    claims = playback_tokens.verify(token, request.app[keys.PLAYBACK_KEYS], now=now)
    if check_video and claims.video_id != row_id(request):
        raise Unauthorized("video_mismatch")
    if claims.user_id != principal.sub or claims.tenant != principal.tenant:
        raise Unauthorized("user_mismatch")
    # The tenant's id from the signed token, not PostgreSQL: heartbeat/ and end/ keep working
    # while the database is away, also on a gateway that never saw the tenant before.
    return Caller(principal, claims.tenant_id), claims


def _not_live(status: str) -> Conflict:
    return Conflict("session_revoked" if status == "REVOKED" else "session_not_active")


async def heartbeat(request: web.Request) -> web.Response:
    """200 with renewed CDN cookies while the session lives; 409 session_revoked /
    session_not_active (and no cookies) otherwise."""
    body = await read_body(request, TokenIn)
    now = time.time()
    who, claims = await _claims(request, body.token, now, check_video=False)
    await admit(request, RouteClass.HEARTBEAT, tenant=who.tenant, tenant_id=who.tenant_id,
                user=claims.user_id, now=now)
    status = await request.app[keys.LIVE].touch(claims.session_id, claims.user_id, now)
    if status == "MISSING":
        # Redis lost the entry: the actor decides, touches the session and writes it back.
        if not await recall(request.app, tenant=who.tenant, tenant_id=who.tenant_id,
                            user_id=claims.user_id, session_id=claims.session_id):
            raise _not_live(status)
    elif status != "ACTIVE":
        raise _not_live(status)
    else:
        client = request.app[keys.SESSIONS]
        try:
            await client.tell(client.command(
                "heartbeat", tenant=who.tenant, tenant_id=who.tenant_id,
                user_id=claims.user_id, session_id=claims.session_id))
        except PublishError:
            raise ServiceUnavailable("session_service_unavailable", retry_after=2) from None
    cdn_expires_at = cdn.cookie_expiry(request, now,
                                       playback_tokens.lifetime_seconds(body.token))
    response = json_response(msgspec.to_builtins(HeartbeatOut("ok", cdn_expires_at)))
    if cdn_expires_at is not None:
        # The token's video, not the path's: the path is not checked on heartbeats.
        cdn.set_cookies(request, response, claims.video_id, cdn_expires_at)
    return response


async def refresh(request: web.Request) -> web.Response:
    """A new token and cookies for the same live session (access checked again)."""
    body = await read_body(request, TokenIn)
    now = time.time()
    who, claims = await _claims(request, body.token, now)
    await admit(request, RouteClass.REFRESH, tenant=who.tenant, tenant_id=who.tenant_id,
                user=claims.user_id, now=now)
    view = await request.app[keys.LIVE].view(claims.session_id)
    # No entry (Redis lost it): the actor's answer below decides, and writes it back.
    if view is not None and view.status != "ACTIVE":
        raise _not_live(view.status)
    ctx, tenant = await _context(request, who, claims.video_id, claims.enrollment_id)
    client = request.app[keys.SESSIONS]
    try:
        reply = await client.ask(client.command(
            "refresh", tenant=who.tenant, tenant_id=who.tenant_id, user_id=claims.user_id,
            session_id=claims.session_id), request.app[keys.SETTINGS].play_reply_timeout_seconds)
    except (ActorTimeout, PublishError):
        raise ServiceUnavailable("session_service_unavailable", retry_after=2) from None
    if not reply.granted:
        raise Conflict(reply.reason or "session_not_active")
    fresh = playback_tokens.PlaybackClaims(**{
        **asdict(claims), "policy": effective_policy(ctx, tenant, claims.user_id),
        "duration": ctx.duration, "rules": event_rules(tenant)})
    return _granted(request, fresh, ctx, tenant, now)


async def end(request: web.Request) -> web.Response:
    """End the session; answers once the actor freed the slot, and clears the cookies."""
    body = await read_body(request, TokenIn)
    now = time.time()
    who, claims = await _claims(request, body.token, now, check_video=False)
    await admit(request, RouteClass.REFRESH, tenant=who.tenant, tenant_id=who.tenant_id,
                user=claims.user_id, now=now)
    client = request.app[keys.SESSIONS]
    try:
        await client.ask(client.command("end", tenant=who.tenant, tenant_id=who.tenant_id,
                                        user_id=claims.user_id, session_id=claims.session_id),
                         request.app[keys.SETTINGS].play_reply_timeout_seconds)
    except (ActorTimeout, PublishError):
        raise ServiceUnavailable("session_service_unavailable", retry_after=2) from None
    response = json_response({"status": "ended"})
    cdn.clear_cookies(request, response, claims.video_id)
    return response


def register(api: Api) -> None:
    """Register the player's session endpoints."""
    item = r"/api/v1/media/videos/{id:\d+}/"
    roles = "a student with a profile (tokens: the playback token of this user)"
    live = (409, 503)  # not live or over the limits; the session actor unavailable
    api.add("POST", item + "play/", play, summary="Start a playback session", tag="playback",
            body=PlayIn, response=PlayOut, roles=roles, errors=live, rate_limited="play")
    api.add("POST", item + "refresh/", refresh, summary="Refresh a playback token",
            tag="playback", body=TokenIn, response=PlayOut, roles=roles, errors=live,
            rate_limited="refresh")
    api.add("POST", item + "heartbeat/", heartbeat, summary="Keep a session alive",
            tag="playback", body=TokenIn, response=HeartbeatOut, roles=roles, errors=live,
            rate_limited="heartbeat")
    api.add("POST", item + "end/", end, summary="End a playback session", tag="playback",
            body=TokenIn, response=StatusOut, roles=roles, errors=(503,), rate_limited="refresh")
