"""Stream and device limits of one user: the session actor's decisions, pure.

The session agent keeps one :class:`UserState` per ``{tenant}:{user_id}`` and feeds every
command for that user through these functions, one at a time, so no two plays can both pass a
check (the seed's race). ``now`` and the tenant's limits are arguments; nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class Limits:
    """The tenant settings that bound a user's sessions."""

    max_sessions: int = 1
    max_devices: int = 2
    device_window_days: int = 30
    on_limit: str = "reject"  # or "evict_oldest"
    session_idle_seconds: int = 90


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A granted session that has not ended."""

    session_id: str
    request_id: str
    video_id: int
    enrollment_id: int
    device_id: str
    started_at: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class UserState:
    """Everything the actor knows about one user."""

    sessions: tuple[LiveSession, ...] = ()
    devices: dict[str, float] = field(default_factory=dict)  # device id -> last play time
    # The tenant limits of the latest play: commands that carry none (sweeps) use these.
    limits: Limits = field(default_factory=Limits)
    tenant_id: int = 0


@dataclass(frozen=True, slots=True)
class Play:
    """A player asks for a new session."""

    request_id: str
    session_id: str
    video_id: int
    enrollment_id: int
    device_id: str


@dataclass(frozen=True, slots=True)
class Ended:
    """A session that stopped being live, and why (ended, expired, replaced, evicted...)."""

    session: LiveSession
    status: str  # ENDED | EXPIRED | REVOKED
    reason: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """The new state and what changed; ``granted``/``rejected`` only for plays."""

    state: UserState
    granted: LiveSession | None = None
    rejected: str = ""  # concurrency_limit_exceeded | device_limit_exceeded
    ended: tuple[Ended, ...] = ()


def _expire(state: UserState, limits: Limits, now: float) -> tuple[UserState, list[Ended]]:
    idle_before = now - limits.session_idle_seconds
    keep = tuple(s for s in state.sessions if s.last_seen >= idle_before)
    gone = [Ended(s, "EXPIRED", "idle") for s in state.sessions if s.last_seen < idle_before]
    window_start = now - limits.device_window_days * DAY
    devices = {d: t for d, t in state.devices.items() if t >= window_start}
    return replace(state, sessions=keep, devices=devices), gone


def play(state: UserState, cmd: Play, limits: Limits, now: float) -> Outcome:
    """Admit or refuse a play. Checks in the seed's order: devices, then concurrent streams.

    A device that already has a session gets it replaced (no extra slot). Over
    ``max_sessions``, ``evict_oldest`` revokes the oldest sessions instead of refusing.
    A replayed command (same session id, e.g. after a worker crash) returns the same grant.
    """
    for s in state.sessions:
        if s.session_id == cmd.session_id:
            return Outcome(state, granted=s)
    state, ended = _expire(state, limits, now)
    if cmd.device_id not in state.devices and len(state.devices) >= limits.max_devices:
        return Outcome(state, rejected="device_limit_exceeded", ended=tuple(ended))
    same_device = [s for s in state.sessions if s.device_id == cmd.device_id]
    ended += [Ended(s, "REVOKED", "replaced") for s in same_device]
    others = sorted((s for s in state.sessions if s.device_id != cmd.device_id),
                    key=lambda s: (s.started_at, s.session_id))
    excess = len(others) + 1 - limits.max_sessions
    if excess > 0:
        if limits.on_limit != "evict_oldest":
            return Outcome(state, rejected="concurrency_limit_exceeded", ended=tuple(
                e for e in ended if e.status == "EXPIRED"))
        ended += [Ended(s, "REVOKED", "evicted") for s in others[:excess]]
        others = others[excess:]
    session = LiveSession(cmd.session_id, cmd.request_id, cmd.video_id, cmd.enrollment_id,
                          cmd.device_id, started_at=now, last_seen=now)
    devices = {**state.devices, cmd.device_id: now}
    return Outcome(replace(state, sessions=(*others, session), devices=devices, limits=limits),
                   granted=session, ended=tuple(ended))


def _without(state: UserState, match: str, by_request: bool, status: str, reason: str,
             now: float, limits: Limits) -> Outcome:
    state, ended = _expire(state, limits, now)
    hit = [s for s in state.sessions
           if (s.request_id if by_request else s.session_id) == match]
    keep = tuple(s for s in state.sessions if s not in hit)
    ended += [Ended(s, status, reason) for s in hit]
    return Outcome(replace(state, sessions=keep), ended=tuple(ended))


def end(state: UserState, session_id: str, limits: Limits, now: float) -> Outcome:
    """The player ended the session: its slot is free (unknown ids change nothing)."""
    return _without(state, session_id, False, "ENDED", "ended", now, limits)


def revoke(state: UserState, session_id: str, reason: str, limits: Limits,
           now: float) -> Outcome:
    """An admin or the violation rules revoke a session."""
    return _without(state, session_id, False, "REVOKED", reason, now, limits)


def cancel(state: UserState, request_id: str, limits: Limits, now: float) -> Outcome:
    """The gateway stopped waiting for this play: undo its grant if one was made."""
    return _without(state, request_id, True, "REVOKED", "reply_timeout", now, limits)


def heartbeat(state: UserState, session_id: str, limits: Limits, now: float) -> Outcome:
    """A live session's player is still there; an expired one stays expired."""
    state, ended = _expire(state, limits, now)
    sessions = tuple(replace(s, last_seen=max(s.last_seen, now)) if s.session_id == session_id
                     else s for s in state.sessions)
    return Outcome(replace(state, sessions=sessions), ended=tuple(ended))


def sweep(state: UserState, limits: Limits, now: float) -> Outcome:
    """Expire idle sessions and forget devices outside the window."""
    state, ended = _expire(state, limits, now)
    return Outcome(state, ended=tuple(ended))


def forget_device(state: UserState, device_id: str, limits: Limits, now: float) -> Outcome:
    """An admin frees a device's place; its live sessions are revoked with it."""
    state, ended = _expire(state, limits, now)
    gone = [Ended(s, "REVOKED", "device_forgotten")
            for s in state.sessions if s.device_id == device_id]
    keep = tuple(s for s in state.sessions if s.device_id != device_id)
    devices = {d: t for d, t in state.devices.items() if d != device_id}
    return Outcome(replace(state, sessions=keep, devices=devices), ended=(*ended, *gone))
