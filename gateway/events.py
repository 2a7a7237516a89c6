"""Player event ingest: ``POST /api/v1/media/videos/{id}/events/``.

The hottest path of the service: verify the playback token, validate and normalise the batch,
publish it to Kafka with ``acks=all`` and answer only then, so a 200 means the batch is stored.
No database is touched here; the audit agent writes PostgreSQL from the topic.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web

from gateway import keys, playback_tokens
from gateway.api import Api
from gateway.rate_limits import admit
from gateway.validation import read_body
from gateway.exceptions import BadRequest, Conflict, ServiceUnavailable, Unauthorized
from policy.rate_limits import RouteClass
from streams import topics
from streams.exceptions import PublishError
from streams.schemas import PlaybackEventV1
from streams.vocabulary import UnknownEventType, accepted_types, normalise_type

MAX_EVENTS_PER_BATCH = 100
_BATCH_NAMESPACE = uuid.UUID("8f7a1c52-3d0e-4a51-9a55-5b1f3f4f8b21")


@dataclass(slots=True)
class EventIn:
    """One event as a player sends it."""

    type: str
    occurred_at: float | None = None
    payload: dict[str, Any] | None = None


@dataclass(slots=True)
class EventBatchIn:
    """An events request body. ``session_id`` is sent by the seed front end and ignored."""

    token: str
    events: list[EventIn] = field(default_factory=list)
    batch_id: str = ""
    session_id: str = ""


def _event_id(claims: playback_tokens.PlaybackClaims, batch_id: str, index: int) -> str:
    # A retried batch (same batch_id in the same playback session) gets the same ids, so the
    # audit table stores it once; another session's "batch 1" is another batch.
    if batch_id:
        name = f"{claims.tenant}:{claims.user_id}:{claims.session_id}:{batch_id}:{index}"
        return str(uuid.uuid5(_BATCH_NAMESPACE, name))
    return str(uuid.uuid4())


def _has_nul(value: Any) -> bool:
    """Whether a JSON value holds a NUL character anywhere (PostgreSQL's jsonb refuses it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def build_events(batch: EventBatchIn, claims: playback_tokens.PlaybackClaims,
                 now: float) -> list[PlaybackEventV1]:
    """Validate and normalise a batch; :class:`BadRequest` names the first bad event."""
    if len(batch.events) > MAX_EVENTS_PER_BATCH:
        raise BadRequest(f"At most {MAX_EVENTS_PER_BATCH} events per batch; "
                         f"got {len(batch.events)}.")
    if len(batch.batch_id) > 128:
        raise BadRequest("batch_id must be at most 128 characters.")
    out = []
    for index, event in enumerate(batch.events):
        payload = event.payload or {}
        try:
            event_type = normalise_type(event.type, payload)
        except UnknownEventType as exc:
            raise BadRequest(f"events[{index}]: {exc}; accepted: "
                             f"{', '.join(accepted_types())}.") from exc
        if _has_nul(payload):
            # Accepted, it could never be stored: refuse it now rather than lose it later.
            raise BadRequest(f"events[{index}]: payload must not contain NUL characters.")
        occurred = now if event.occurred_at is None else event.occurred_at
        if not math.isfinite(occurred) or occurred <= 0:
            raise BadRequest(f"events[{index}]: occurred_at must be epoch seconds.")
        out.append(PlaybackEventV1(
            event_id=_event_id(claims, batch.batch_id, index), tenant=claims.tenant,
            tenant_id=claims.tenant_id, user_id=claims.user_id, video_id=claims.video_id,
            enrollment_id=claims.enrollment_id, session_id=claims.session_id,
            event_type=event_type, occurred_at=occurred, received_at=now, payload=payload,
            policy=claims.policy, batch_id=batch.batch_id, duration=claims.duration,
            rules=claims.rules,
        ))
    return out


async def post_events(request: web.Request) -> web.Response:
    """Accept a batch of player events; 200 ``{"stored": n}`` once Kafka has them all."""
    app = request.app
    video_id = int(request.match_info["video_id"])
    batch = await read_body(request, EventBatchIn)
    now = time.time()
    claims = playback_tokens.verify(batch.token, app[keys.PLAYBACK_KEYS], now=now)
    if claims.video_id != video_id:
        raise Unauthorized("video_mismatch")
    # A beacon cannot send Authorization: the playback token alone then identifies the user.
    header = request.headers.get("Authorization")
    if header:
        principal = app[keys.AUTHENTICATOR].authenticate(header)
        if principal.sub != claims.user_id or principal.tenant != claims.tenant:
            raise Unauthorized("user_mismatch")
    events = build_events(batch, claims, now)
    # Events, not batches: the cost downstream (Kafka, the judge, PostgreSQL) is per event.
    await admit(request, RouteClass.EVENTS, tenant=claims.tenant, tenant_id=claims.tenant_id,
                user=claims.user_id, now=now, cost=len(events))
    if not await app[keys.LIVE].is_live(claims.session_id, claims.user_id, now):
        raise Conflict("session_not_active")
    key = topics.user_key(claims.tenant, claims.user_id)
    try:
        await app[keys.PUBLISHER].publish(topics.PLAYBACK_EVENTS, [(key, e) for e in events])
    except PublishError as exc:
        raise ServiceUnavailable("events_not_stored: the event log is unavailable, retry.") from exc
    app[keys.METRICS].published.labels(topics.PLAYBACK_EVENTS.name).inc(len(events))
    return web.json_response({"stored": len(events)})


class EventsStored(msgspec.Struct):
    """How many events Kafka acknowledged."""

    stored: int


def register(api: Api) -> None:
    """Register the ingest endpoint."""
    api.add("POST", r"/api/v1/media/videos/{video_id:\d+}/events/", post_events,
            summary="Store a batch of player events (also as a sendBeacon text/plain body)",
            tag="playback", body=EventBatchIn, response=EventsStored,
            roles="a playback token; Authorization optional", rate_limited="events")
