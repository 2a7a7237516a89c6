"""The session actor's decisions, as tables (pure: now and limits are arguments)."""

from __future__ import annotations

import pytest

from policy import limits as L

T0 = 1_800_000_000.0


def play(n: int, device: str, video: int = 1) -> L.Play:
    return L.Play(request_id=f"r{n}", session_id=f"s{n}", video_id=video, enrollment_id=9,
                  device_id=device)


def run(plays: list[tuple[float, L.Play]], lim: L.Limits) -> tuple[L.UserState, list[L.Outcome]]:
    state, outcomes = L.UserState(), []
    for at, cmd in plays:
        outcome = L.play(state, cmd, lim, T0 + at)
        state = outcome.state
        outcomes.append(outcome)
    return state, outcomes


@pytest.mark.parametrize(("lim", "devices", "granted", "reasons"), [
    # one stream: the second device is refused, whatever the device limit
    (L.Limits(max_sessions=1, max_devices=2), ["a", "b"], [True, False],
     ["", "concurrency_limit_exceeded"]),
    # two streams, two devices: a third device is refused before the stream count is looked at
    (L.Limits(max_sessions=5, max_devices=2), ["a", "b", "c"], [True, True, False],
     ["", "", "device_limit_exceeded"]),
    # same device again: replaces its session, no extra slot needed
    (L.Limits(max_sessions=1, max_devices=1), ["a", "a", "a"], [True, True, True], ["", "", ""]),
    # evict_oldest: the new play wins, the oldest session goes
    (L.Limits(max_sessions=1, max_devices=5, on_limit="evict_oldest"), ["a", "b", "c"],
     [True, True, True], ["", "", ""]),
])
def test_admission(lim: L.Limits, devices: list[str], granted: list[bool],
                   reasons: list[str]) -> None:
    _, outcomes = run([(i, play(i, d)) for i, d in enumerate(devices)], lim)
    assert [o.granted is not None for o in outcomes] == granted
    assert [o.rejected for o in outcomes] == reasons


def test_replace_by_device_revokes_the_old_session() -> None:
    state, outcomes = run([(0, play(1, "a")), (5, play(2, "a"))], L.Limits(max_sessions=1))
    assert [s.session_id for s in state.sessions] == ["s2"]
    assert [(e.session.session_id, e.status, e.reason) for e in outcomes[1].ended] == \
        [("s1", "REVOKED", "replaced")]


def test_evict_oldest_revokes_by_start_time() -> None:
    lim = L.Limits(max_sessions=2, max_devices=9, on_limit="evict_oldest")
    state, outcomes = run([(0, play(1, "a")), (1, play(2, "b")), (2, play(3, "c"))], lim)
    assert [s.session_id for s in state.sessions] == ["s2", "s3"]
    assert [(e.session.session_id, e.reason) for e in outcomes[2].ended] == [("s1", "evicted")]


@pytest.mark.parametrize(("gap", "granted"), [(89.0, False), (90.0, False), (90.5, True)])
def test_an_idle_session_expires_and_frees_its_slot(gap: float, granted: bool) -> None:
    lim = L.Limits(max_sessions=1, session_idle_seconds=90)
    _, outcomes = run([(0, play(1, "a")), (gap, play(2, "b"))], lim)
    assert (outcomes[1].granted is not None) is granted
    if granted:
        assert [(e.session.session_id, e.status) for e in outcomes[1].ended] == [("s1", "EXPIRED")]


def test_heartbeats_keep_a_session_alive() -> None:
    lim = L.Limits(max_sessions=1, session_idle_seconds=90)
    state, _ = run([(0, play(1, "a"))], lim)
    for t in (60, 120, 180):
        state = L.heartbeat(state, "s1", lim, T0 + t).state
    outcome = L.play(state, play(2, "b"), lim, T0 + 200)
    assert outcome.rejected == "concurrency_limit_exceeded"


def test_devices_leave_the_window_after_their_last_play() -> None:
    lim = L.Limits(max_sessions=9, max_devices=1, device_window_days=30)
    state, _ = run([(0, play(1, "a"))], lim)
    state = L.end(state, "s1", lim, T0 + 10).state
    day = L.DAY
    assert L.play(state, play(2, "b"), lim, T0 + 29 * day).rejected == "device_limit_exceeded"
    assert L.play(state, play(3, "b"), lim, T0 + 31 * day).granted is not None
    # a counted device can always play again
    assert L.play(state, play(4, "a"), lim, T0 + 29 * day).granted is not None


def test_end_frees_the_slot_and_unknown_ids_change_nothing() -> None:
    lim = L.Limits(max_sessions=1)
    state, _ = run([(0, play(1, "a"))], lim)
    assert L.end(state, "nope", lim, T0 + 1).state.sessions == state.sessions
    state = L.end(state, "s1", lim, T0 + 1).state
    assert L.play(state, play(2, "b"), lim, T0 + 2).granted is not None


def test_cancel_undoes_a_late_grant_only() -> None:
    lim = L.Limits(max_sessions=2, max_devices=5)
    state, _ = run([(0, play(1, "a")), (1, play(2, "b"))], lim)
    outcome = L.cancel(state, "r2", lim, T0 + 2)
    assert [s.session_id for s in outcome.state.sessions] == ["s1"]
    assert [e.reason for e in outcome.ended] == ["reply_timeout"]
    assert L.cancel(outcome.state, "r-unknown", lim, T0 + 3).ended == ()


def test_a_replayed_play_returns_the_same_grant() -> None:
    lim = L.Limits(max_sessions=1)
    state, outcomes = run([(0, play(1, "a"))], lim)
    again = L.play(state, play(1, "a"), lim, T0 + 1)
    assert again.granted == outcomes[0].granted and again.state == state and again.ended == ()


def test_revoke_and_forget_device() -> None:
    lim = L.Limits(max_sessions=3, max_devices=2)
    state, _ = run([(0, play(1, "a")), (1, play(2, "b"))], lim)
    revoked = L.revoke(state, "s1", "admin", lim, T0 + 2)
    assert [(e.status, e.reason) for e in revoked.ended] == [("REVOKED", "admin")]
    forgot = L.forget_device(revoked.state, "b", lim, T0 + 3)
    assert forgot.state.sessions == () and set(forgot.state.devices) == {"a"}
    assert [e.reason for e in forgot.ended] == ["device_forgotten"]
    assert L.play(forgot.state, play(3, "c"), lim, T0 + 4).granted is not None


def test_a_rejected_play_changes_nothing_but_expiry() -> None:
    lim = L.Limits(max_sessions=1, max_devices=1)
    state, _ = run([(0, play(1, "a"))], lim)
    outcome = L.play(state, play(2, "b"), lim, T0 + 1)
    assert outcome.rejected == "device_limit_exceeded" and outcome.state == state
