"""What the session actor writes back into Redis after a read-model miss (pure tables)."""

from __future__ import annotations

import pytest

from agents.session_commands import decide
from policy import limits as L
from streams.schemas import SessionCommandV1

T0 = 1_800_000_000.0
IDLE = 90


def live(n: int, last_seen: float) -> L.LiveSession:
    return L.LiveSession(f"s{n}", f"r{n}", video_id=n, enrollment_id=9, device_id=f"d{n}",
                         started_at=T0, last_seen=T0 + last_seen)


STATE = L.UserState(sessions=(live(1, 50), live(2, 0)), tenant_id=3,
                    limits=L.Limits(max_sessions=2, session_idle_seconds=IDLE))


def command(kind: str, session_id: str, at: float) -> SessionCommandV1:
    return SessionCommandV1(command_id="c", kind=kind, tenant="t", tenant_id=0, user_id="u",
                            issued_at=T0 + at, session_id=session_id)


@pytest.mark.parametrize(("kind", "session", "at", "granted", "restored", "expired"), [
    # a player's request found no entry: its live session is touched and written back
    ("restore", "s1", 60, True, ["s1"], []),
    # the actor does not know it (ended, never granted): refused, nothing written back
    ("restore", "s9", 60, False, [], []),
    # idle by the actor's clock: expired (and closed in Redis), never written back as live
    ("restore", "s2", 100, False, [], ["s2"]),
    # the sweep's rebuild names no session: every live one goes back, none is touched
    ("restore", "", 60, False, ["s1", "s2"], []),
    ("restore", "", 100, False, ["s1"], ["s2"]),
    # a refresh writes its session back too (it may follow a miss)
    ("refresh", "s1", 60, True, ["s1"], []),
    ("refresh", "s9", 60, False, [], []),
    # plain heartbeats write nothing back: the gateway already touched Redis
    ("heartbeat", "s1", 60, False, [], []),
])
def test_what_goes_back_into_redis(kind: str, session: str, at: float, granted: bool,
                                   restored: list[str], expired: list[str]) -> None:
    decision = decide(command(kind, session, at), STATE)
    assert [s.session_id for s in decision.restored] == restored
    assert [e.session.session_id for e in decision.outcome.ended] == expired
    if kind == "heartbeat":
        assert decision.reply is None
    else:
        assert decision.reply is not None and decision.reply.granted is granted
        assert decision.reply.reason == ("" if granted else "session_not_active")


def test_a_restore_touches_only_the_named_session() -> None:
    decision = decide(command("restore", "s1", 60), STATE)
    seen = {s.session_id: s.last_seen for s in decision.outcome.state.sessions}
    assert seen == {"s1": T0 + 60, "s2": T0}
    # the tenant's idle limit stays the one of the latest play (a restore carries none)
    assert decision.outcome.state.limits.session_idle_seconds == IDLE
    assert decision.outcome.state.tenant_id == 3
