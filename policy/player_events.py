"""One player event through the violation rules and the progress intervals (pure).

The player-events agent keeps one :class:`PlayerState` per user (its stream and table are
keyed ``{tenant}:{user_id}``) and calls :func:`step` for each event, in order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import msgspec

from policy.intervals import Watch, observe
from policy.violations import SessionTrack, Verdict, judge, should_revoke
from streams.schemas import PlaybackEventV1, ProgressV1, ViolationV1

MAX_TRACKED_SESSIONS = 20  # older sessions' tracks are dropped: they no longer send events


@dataclass(frozen=True, slots=True)
class PlayerState:
    """A user's per-session violation tracks and per-(enrollment, video) watch coverage."""

    tracks: dict[str, SessionTrack] = field(default_factory=dict)  # insertion = age order
    watches: dict[str, Watch] = field(default_factory=dict)  # "{enrollment}:{video}"


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


def _progress(e: PlaybackEventV1, state: PlayerState) -> tuple[PlayerState, ProgressV1 | None]:
    position = e.payload.get("position")
    if e.event_type != "POSITION" or isinstance(position, bool) or \
            not isinstance(position, (int, float)) or not math.isfinite(position):
        return state, None
    key = f"{e.enrollment_id}:{e.video_id}"
    before = state.watches.get(key, Watch())
    threshold = float(e.rules.get("completion_threshold", 0.9))
    watch, milestones = observe(before, float(position), e.occurred_at, duration=e.duration,
                                max_rate=_max_rate(e.policy), threshold=threshold)
    if watch == before:
        return state, None
    change = ProgressV1(
        tenant=e.tenant, tenant_id=e.tenant_id, user_id=e.user_id, video_id=e.video_id,
        enrollment_id=e.enrollment_id, session_id=e.session_id, progress=watch.progress,
        watched_seconds=sum(end - start for start, end in watch.intervals),
        last_position=watch.last_position, completed=watch.completed,
        intervals=[[start, end] for start, end in watch.intervals], milestones=list(milestones),
        at=e.occurred_at)
    return replace(state, watches={**state.watches, key: watch}), change


def step(state: PlayerState, e: PlaybackEventV1) -> Step:
    """Judge one event and update coverage."""
    track = state.tracks.get(e.session_id, SessionTrack())
    verdict, track = judge(e.event_type, e.payload, e.occurred_at, e.policy, track)
    tracks = {k: v for k, v in state.tracks.items() if k != e.session_id}
    tracks[e.session_id] = track
    if len(tracks) > MAX_TRACKED_SESSIONS:
        tracks = dict(list(tracks.items())[-MAX_TRACKED_SESSIONS:])
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
