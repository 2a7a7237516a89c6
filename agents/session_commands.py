"""From a session command to a decision, a reply and lifecycle events (pure).

The session agent decodes a command and the user's state, calls :func:`decide`, then writes
what it returns. A ``restore`` asks whether a session lives and writes the user's live sessions
back into the Redis read model: the gateway sends one when Redis has no entry for a session
(restarted empty, flushed, evicted), the sweep timer when Redis lost everything. The command's
``issued_at`` is the clock, so replaying the same commands after a crash reproduces the same
decisions.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

import msgspec
import orjson

from policy import limits as L
from streams.schemas import SessionCommandV1, SessionLifecycleV1, SessionReplyV1

# Lifecycle kinds by the status a session ended with.
_ENDED_KIND = {"ENDED": "ended", "EXPIRED": "expired", "REVOKED": "revoked"}


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the agent must write for one command."""

    outcome: L.Outcome
    reply: SessionReplyV1 | None
    lifecycle: tuple[SessionLifecycleV1, ...]
    # Live sessions to write back into the Redis read model (it may have lost them).
    restored: tuple[L.LiveSession, ...] = ()


def encode_state(state: L.UserState) -> bytes:
    """Table value bytes of a user's state."""
    return orjson.dumps(state)


def decode_state(raw: bytes | None) -> L.UserState:
    """A user's state from table bytes (an empty state when there are none)."""
    if not raw:
        return L.UserState()
    return msgspec.convert(orjson.loads(raw), L.UserState)


def limits_of(cmd: SessionCommandV1, state: L.UserState) -> L.Limits:
    """The tenant limits carried by the command, else those of the user's latest play."""
    if not cmd.limits:
        return state.limits
    known = {k: v for k, v in cmd.limits.items() if k in L.Limits.__dataclass_fields__}
    return L.Limits(**known)


def _event(cmd: SessionCommandV1, tenant_id: int, kind: str, session: L.LiveSession | None,
           reason: str = "") -> SessionLifecycleV1:
    # Deterministic id: a replayed command produces the same event ids (consumers dedupe).
    name = f"{cmd.command_id}:{kind}:{session.session_id if session else cmd.session_id}"
    return SessionLifecycleV1(
        event_id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)), kind=kind, tenant=cmd.tenant,
        tenant_id=tenant_id, user_id=cmd.user_id,
        session_id=session.session_id if session else cmd.session_id,
        video_id=session.video_id if session else cmd.video_id,
        enrollment_id=session.enrollment_id if session else cmd.enrollment_id,
        device_id=session.device_id if session else cmd.device_id, at=cmd.issued_at,
        reason=reason)


def _apply(cmd: SessionCommandV1, state: L.UserState, lim: L.Limits) -> L.Outcome:
    now = cmd.issued_at
    if cmd.kind == "play":
        return L.play(state, L.Play(cmd.request_id, cmd.session_id, cmd.video_id,
                                    cmd.enrollment_id, cmd.device_id), lim, now)
    if cmd.kind in ("heartbeat", "refresh", "restore"):
        # A restore names the session a player is using (touched like a heartbeat), or none
        # (the sweep's rebuild): then nothing is touched and only idle sessions expire.
        return L.heartbeat(state, cmd.session_id, lim, now)
    if cmd.kind == "end":
        return L.end(state, cmd.session_id, lim, now)
    if cmd.kind == "revoke":
        return L.revoke(state, cmd.session_id, cmd.reason or "revoked", lim, now)
    if cmd.kind == "cancel":
        return L.cancel(state, cmd.request_id, lim, now)
    if cmd.kind == "forget_device":
        return L.forget_device(state, cmd.device_id, lim, now)
    return L.sweep(state, lim, now)  # "sweep" and anything unknown: only expire


def decide(cmd: SessionCommandV1, state: L.UserState) -> Decision:
    """Apply one command to one user's state."""
    outcome = _apply(cmd, state, limits_of(cmd, state))
    tenant_id = cmd.tenant_id or state.tenant_id  # sweeps do not know it
    outcome = replace(outcome, state=replace(outcome.state, tenant_id=tenant_id))
    events = [_event(cmd, tenant_id, _ENDED_KIND[e.status], e.session, e.reason)
              for e in outcome.ended]
    reply = None
    if cmd.kind == "play":
        if outcome.granted is not None:
            events.append(_event(cmd, tenant_id, "opened", outcome.granted))
            reply = SessionReplyV1(cmd.command_id, True, session_id=outcome.granted.session_id,
                                   started_at=outcome.granted.started_at)
        else:
            events.append(_event(cmd, tenant_id, "rejected", None, outcome.rejected))
            reply = SessionReplyV1(cmd.command_id, False, reason=outcome.rejected)
    elif cmd.kind == "refresh":
        live = any(s.session_id == cmd.session_id for s in outcome.state.sessions)
        if live:
            events.append(_event(cmd, tenant_id, "refreshed", next(
                s for s in outcome.state.sessions if s.session_id == cmd.session_id)))
        reply = SessionReplyV1(cmd.command_id, live, reason="" if live else "session_not_active",
                               session_id=cmd.session_id)
    elif cmd.kind in ("end", "revoke", "cancel", "forget_device"):
        reply = SessionReplyV1(cmd.command_id, True, session_id=cmd.session_id)
    elif cmd.kind == "restore":
        live = any(s.session_id == cmd.session_id for s in outcome.state.sessions)
        reply = SessionReplyV1(cmd.command_id, live, reason="" if live else "session_not_active",
                               session_id=cmd.session_id)
    return Decision(outcome, reply, tuple(events), _restored(cmd, outcome.state))


def _restored(cmd: SessionCommandV1, state: L.UserState) -> tuple[L.LiveSession, ...]:
    """What to write back: the named session of a refresh or restore if it lives, or every
    live session of the user for a restore that names none."""
    if cmd.kind == "restore" and not cmd.session_id:
        return state.sessions
    if cmd.kind in ("refresh", "restore"):
        return tuple(s for s in state.sessions if s.session_id == cmd.session_id)
    return ()
