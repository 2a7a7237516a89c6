"""One player event through the violation rules and the progress intervals (pure).

The player-events agent keeps one :class:`PlayerState` per user (its stream and table are
keyed ``{tenant}:{user_id}``) and calls :func:`step` for each event, in order.

The state is rewritten whole on every event, so it is bounded whatever a client sends: at
most :data:`MAX_TRACKED_SESSIONS` session tracks (none idle for more than
:data:`TRACK_IDLE_SECONDS` of server time), at most :data:`MAX_WATCHES` watches (none idle for
more than :data:`WATCH_IDLE_SECONDS`), each with at most ``intervals.MAX_INTERVALS``
intervals; :data:`STATE_BOUND_BYTES` is what that comes to, encoded. This agent does not see
sessions end (that is the session actor's topic), hence the age limits. A dropped watch
starts again empty if the student comes back: its coverage is then counted anew (never
more), and the progress already recorded stays, since recorded progress never decreases
(:mod:`storage.progress_records`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import msgspec

from policy.intervals import Watch, interrupt, observe
from policy.violations import SessionTrack, Verdict, judge, should_revoke
from streams.schemas import PlaybackEventV1, ProgressV1, ViolationV1

MAX_TRACKED_SESSIONS = 20  # older sessions' tracks are dropped: they no longer send events
TRACK_IDLE_SECONDS = 86_400.0  # a session silent for a day has ended (its idle limit is ~90 s)
MAX_WATCHES = 24  # the videos a student watched most recently keep their coverage
WATCH_IDLE_SECONDS = 90 * 86_400.0
# What the caps above bound a user's encoded state to (tests/security check it).
STATE_BOUND_BYTES = 64 * 1024
# Events whose ``position`` is a sample of where the player was: the periodic POSITION, and
# play, pause and end (issue 17: only POSITION counted, so the seconds before a player's first
# periodic sample and after its last were never covered: a full watch was 80-92 %).
SAMPLE_TYPES = frozenset({"POSITION", "PLAY_START", "PAUSE", "ENDED"})

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class PlayerState:
    """A user's per-session violation tracks and per-(enrollment, video) watch coverage."""

    tracks: dict[str, SessionTrack] = field(default_factory=dict)  # insertion = age order
    watches: dict[str, Watch] = field(default_factory=dict)  # "{enrollment}:{video}", by use


@dataclass(frozen=True, slots=True)
class Step:
    """What one event changes and what the agent must send."""

    state: PlayerState
    verdict: Verdict
    violation: ViolationV1 | None = None
    revoke: bool = False
    progress: ProgressV1 | None = None


def encode_state(state: PlayerState) -> bytes:
    """Table bytes (msgspec: frozensets and tuples round-trip)."""
    return msgspec.json.encode(state)


def decode_state(raw: bytes | None) -> PlayerState:
    """A user's state from table bytes (empty when there are none)."""
    return msgspec.json.decode(raw, type=PlayerState) if raw else PlayerState()


def _max_rate(policy: dict[str, Any]) -> float:
    rate = policy.get("playback_rate", {}).get("max", 1.0) if isinstance(
        policy.get("playback_rate"), dict) else 1.0
    return float(rate) if isinstance(rate, (int, float)) and rate > 0 else 1.0


def _latest(items: dict[str, V], key: str, value: V, limit: int, idle: float, now: float,
            seen: Callable[[V], float | None]) -> dict[str, V]:
    """``items`` with ``key`` set to ``value`` as the newest, the oldest and idle ones dropped."""
    def idle_since(v: V) -> bool:
        at = seen(v)
        return at is not None and at < now - idle

    kept = {k: v for k, v in items.items() if k != key and not idle_since(v)}
    kept[key] = value
    if len(kept) > limit:
        kept = dict(list(kept.items())[-limit:])
    return kept


def _progress(e: PlaybackEventV1, state: PlayerState) -> tuple[PlayerState, ProgressV1 | None]:
    key = f"{e.enrollment_id}:{e.video_id}"
    before = state.watches.get(key)
    position = e.payload.get("position")
    milestones: tuple[int, ...] = ()
    if e.event_type == "SEEK_ATTEMPT" and before is not None:
        watch = interrupt(before, e.session_id)
    elif e.event_type not in SAMPLE_TYPES or isinstance(position, bool) or \
            not isinstance(position, (int, float)) or not math.isfinite(position):
        return state, None
    else:
        threshold = float(e.rules.get("completion_threshold", 0.9))
        watch, milestones = observe(
            before or Watch(), float(position), e.occurred_at, received_at=e.received_at,
            session=e.session_id, duration=e.duration, max_rate=_max_rate(e.policy),
            threshold=threshold)
    if watch == before or (before is None and watch == Watch()):
        return state, None
    watches = _latest(state.watches, key, watch, MAX_WATCHES, WATCH_IDLE_SECONDS,
                      e.received_at, lambda w: w.budget.at)
    state = replace(state, watches=watches)
    if e.event_type not in SAMPLE_TYPES:
        return state, None
    change = ProgressV1(
        tenant=e.tenant, tenant_id=e.tenant_id, user_id=e.user_id, video_id=e.video_id,
        enrollment_id=e.enrollment_id, session_id=e.session_id, progress=watch.progress,
        watched_seconds=sum(end - start for start, end in watch.intervals),
        last_position=watch.last_position, completed=watch.completed,
        intervals=[[start, end] for start, end in watch.intervals], milestones=list(milestones),
        at=e.occurred_at)
    return state, change


def step(state: PlayerState, e: PlaybackEventV1) -> Step:
    """Judge one event and update coverage."""
    track = state.tracks.get(e.session_id, SessionTrack())
    verdict, track = judge(e.event_type, e.payload, e.occurred_at, e.policy, track)
    if math.isfinite(e.received_at):
        track = replace(track, seen_at=max(track.seen_at, e.received_at))
    tracks = _latest(state.tracks, e.session_id, track, MAX_TRACKED_SESSIONS,
                     TRACK_IDLE_SECONDS, e.received_at, lambda t: t.seen_at)
    state, progress = _progress(e, replace(state, tracks=tracks))
    if not verdict.violated:
        return Step(state, verdict, progress=progress)
    action = str(e.rules.get("violation_action", "audit"))
    revoke = should_revoke(track, action, int(e.rules.get("violation_revoke_after", 3)))
    violation = ViolationV1(
        event_id=e.event_id, tenant=e.tenant, tenant_id=e.tenant_id, user_id=e.user_id,
        video_id=e.video_id, enrollment_id=e.enrollment_id, session_id=e.session_id,
        event_type=e.event_type, reason=verdict.reason, occurred_at=e.occurred_at,
        session_violations=track.violations, action="revoke" if revoke else "audit")
    return Step(state, verdict, violation, revoke, progress)
