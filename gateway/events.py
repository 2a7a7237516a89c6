"""Player event ingest: ``POST /api/v1/media/videos/{id}/events/``.

The hottest path of the service: verify the playback token, validate and normalise the batch,
publish it to Kafka with ``acks=all`` and answer only then, so a 200 means the batch is stored.
No database is touched here; the audit agent writes PostgreSQL from the topic.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
import orjson
from aiohttp import web

from gateway import fields, keys, playback_tokens, session_recall
from gateway.api import Api
from gateway.exceptions import Conflict, ServiceUnavailable, Unauthorized
from gateway.rate_limits import admit
from gateway.validation import FieldErrors, read_body
from policy.event_window import (
    EVENT_CLOCK_SKEW_SECONDS, EVENT_MAX_AHEAD_SECONDS, occurred_at_problem,
)
from policy.rate_limits import RouteClass
from streams import topics
from streams.exceptions import PublishError
from streams.schemas import PlaybackEventV1
from streams.vocabulary import UnknownEventType, accepted_types, normalise_type

MAX_EVENTS_PER_BATCH = 100
# One event's payload: its JSON at most 4 KiB, objects nested at most 8 deep (the payload
# itself is level 1), at most 64 keys in all. A player's payloads are a few dozen bytes; an
# event lives 7 days in Kafka and for good in PostgreSQL.
MAX_PAYLOAD_BYTES = 4096
MAX_PAYLOAD_DEPTH = 8
MAX_PAYLOAD_KEYS = 64
_BATCH_NAMESPACE = uuid.UUID("8f7a1c52-3d0e-4a51-9a55-5b1f3f4f8b21")


@dataclass(slots=True)
class EventIn:
    """One event as a player sends it."""

    type: Annotated[str, msgspec.Meta(max_length=fields.MAX_KEY, pattern=fields.SINGLE_LINE,
                                      extra_json_schema={"enum": accepted_types()})]
    occurred_at: Annotated[float, msgspec.Meta(description=(
        f"Epoch seconds, from {EVENT_CLOCK_SKEW_SECONDS:g} s before the playback session "
        f"started to {EVENT_MAX_AHEAD_SECONDS:g} s after the server receives it; "
        "null: the receive time."))] | None = None
    payload: Annotated[dict[str, Any], msgspec.Meta(
        max_length=MAX_PAYLOAD_KEYS,
        description=f"At most {MAX_PAYLOAD_BYTES} bytes of JSON, {MAX_PAYLOAD_DEPTH} levels "
                    f"deep, {MAX_PAYLOAD_KEYS} keys in all.")] | None = None


@dataclass(slots=True)
class EventBatchIn:
    """An events request body. ``session_id`` is sent by the seed front end and ignored."""

    token: fields.Token
    events: Annotated[list[EventIn], msgspec.Meta(max_length=MAX_EVENTS_PER_BATCH)] = field(
        default_factory=list)
    batch_id: fields.OptionalKey = ""
    session_id: fields.OptionalKey = ""


def _event_id(claims: playback_tokens.PlaybackClaims, batch_id: str, index: int) -> str:
    # A retried batch (same batch_id in the same playback session) gets the same ids, so the
    # audit table stores it once; another session's "batch 1" is another batch.
    if batch_id:
        name = f"{claims.tenant}:{claims.user_id}:{claims.session_id}:{batch_id}:{index}"
        return str(uuid.uuid5(_BATCH_NAMESPACE, name))
    return str(uuid.uuid4())


@dataclass(slots=True)
class _Walk:
    """What one pass over a payload found: its deepest level, its keys, its first bad text."""

    depth: int = 0
    keys: int = 0
    problem: tuple[str, str] | None = None


def _walk(value: Any, walk: _Walk, path: str = "", depth: int = 1) -> None:
    """Measure and check a payload in one pass (it runs for every event of every batch).

    The walk stops at the first text problem, or one level past the depth bound.
    """
    if walk.problem is not None:
        return
    if isinstance(value, str):
        if not fields.is_text(value):
            walk.problem = (path, fields.MESSAGES[fields.TEXT])
        return
    if not isinstance(value, (dict, list)):
        return
    walk.depth = max(walk.depth, depth)
    if depth > MAX_PAYLOAD_DEPTH:
        return
    if isinstance(value, dict):
        walk.keys += len(value)
        for key, item in value.items():
            if not fields.is_text(key):
                walk.problem = (path, "Keys must not contain NUL or control characters.")
                return
            _walk(item, walk, f"{path}.{key}" if path else key, depth + 1)
    else:
        for index, item in enumerate(value):
            _walk(item, walk, f"{path}.{index}" if path else str(index), depth + 1)


def payload_problem(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(field below the payload, message) when a payload breaks its bounds, else None.

    Checked for any caller of :func:`build_events`, not only bodies read by ``read_json``:
    PostgreSQL's jsonb refuses NUL, and a payload is kept for good.
    """
    walk = _Walk()
    _walk(payload, walk)
    if walk.problem:
        return walk.problem
    if len(orjson.dumps(payload)) > MAX_PAYLOAD_BYTES:
        return "", f"At most {MAX_PAYLOAD_BYTES} bytes of JSON."
    if walk.depth > MAX_PAYLOAD_DEPTH:
        return "", f"Nested at most {MAX_PAYLOAD_DEPTH} levels deep."
    if walk.keys > MAX_PAYLOAD_KEYS:
        return "", f"At most {MAX_PAYLOAD_KEYS} keys in all."
    return None


def build_events(batch: EventBatchIn, claims: playback_tokens.PlaybackClaims,
                 now: float) -> list[PlaybackEventV1]:
    """Validate and normalise a batch; :class:`FieldErrors` names the first bad event field.

    ``occurred_at`` must fall in the window of :mod:`policy.event_window` around ``now``, from
    the session's start (the token's ``started_at``).
    """
    if len(batch.events) > MAX_EVENTS_PER_BATCH:
        limit = f"At most {MAX_EVENTS_PER_BATCH} events per batch; got {len(batch.events)}."
        raise FieldErrors({"events": [limit]})
    started = now if claims.started_at is None else claims.started_at
    out = []
    for index, event in enumerate(batch.events):
        at = f"events.{index}."
        payload = event.payload or {}
        problem = payload_problem(payload)
        if problem:
            # Accepted, it could never be stored (or would be stored for good): refuse it now.
            raise FieldErrors({at + "payload" + (f".{problem[0]}" if problem[0] else ""):
                               [problem[1]]})
        try:
            event_type = normalise_type(event.type, payload)
        except UnknownEventType as exc:
            accepted = ", ".join(accepted_types())
            raise FieldErrors({at + "type": [f"{exc}; accepted: {accepted}."]}) from exc
        occurred = now if event.occurred_at is None else event.occurred_at
        late = occurred_at_problem(occurred, session_started_at=started, now=now)
        if late:
            raise FieldErrors({at + "occurred_at": [late]})
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
    if not await session_recall.is_live(app, claims, now):
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
            roles="a playback token; Authorization optional", errors=(409, 503),
            rate_limited="events")
