"""Player events judged against the policy snapshot, as tables (pure: times are arguments)."""

from __future__ import annotations

from typing import Any

import pytest

from policy import violations as V

T0 = 1_800_000_000.0


def policy(allow_seek: bool = False, max_rate: float = 1.0, ui: bool = True) -> dict[str, Any]:
    return {"allow_seek": allow_seek, "playback_rate": {"max": max_rate, "ui_control": ui}}


def run(events: list[tuple[str, dict[str, Any], float]], pol: dict[str, Any],
        track: V.SessionTrack | None = None) -> tuple[list[str], V.SessionTrack]:
    """Judge events in order; the reasons ("" for none) and the final track."""
    track = track or V.SessionTrack()
    reasons = []
    for event_type, payload, at in events:
        verdict, track = V.judge(event_type, payload, T0 + at, pol, track)
        assert verdict.violated is bool(verdict.reason)
        reasons.append(verdict.reason)
    return reasons, track


def pos(position: Any, at: float, rate: Any = None) -> tuple[str, dict[str, Any], float]:
    payload = {"position": position} if rate is None else {"position": position, "rate": rate}
    return ("POSITION", payload, at)


def samples(rate: float, every: float, count: int, start: float = 0.0) -> list[Any]:
    """A player at ``rate`` reporting its position every ``every`` seconds."""
    return [pos(start + rate * every * i, every * i) for i in range(count)]


@pytest.mark.parametrize(("event", "pol", "reason"), [
    # the seed's seek rule: any seek, forward or back, when seeking is off
    (("SEEK_ATTEMPT", {"from": 10, "to": 60}, 0), policy(allow_seek=False), "seek_not_allowed"),
    (("SEEK_ATTEMPT", {"from": 60, "to": 10}, 0), policy(allow_seek=False), "seek_not_allowed"),
    (("SEEK_ATTEMPT", {"from": 10, "to": 60}, 0), policy(allow_seek=True), ""),
    (("SEEK_ATTEMPT", {}, 0), {}, "seek_not_allowed"),  # the seed's default: seeking off
    # the seed's speed rules
    (("SPEED_CHANGE_ATTEMPT", {"to": 1.5}, 0), policy(max_rate=2.0), ""),
    (("SPEED_CHANGE_ATTEMPT", {"to": 2.0}, 0), policy(max_rate=2.0), ""),  # exactly the max
    (("SPEED_CHANGE_ATTEMPT", {"to": 2.5}, 0), policy(max_rate=2.0), "speed_exceeds_max"),
    (("SPEED_CHANGE_ATTEMPT", {"to": "3"}, 0), policy(max_rate=2.0), "speed_exceeds_max"),
    (("SPEED_CHANGE_ATTEMPT", {"to": "fast"}, 0), policy(max_rate=1.0), ""),  # unknown
    (("SPEED_CHANGE_ATTEMPT", {}, 0), policy(max_rate=1.0), ""),
    (("SPEED_CHANGE_ATTEMPT", {"to": None}, 0), policy(max_rate=1.0), ""),
    (("SPEED_CHANGE_ATTEMPT", {"to": True}, 0), policy(max_rate=0.5), ""),  # a bool: unknown
    # control off: any change is a violation, even to a slower or unknown speed
    (("SPEED_CHANGE_ATTEMPT", {"to": 0.5}, 0), policy(ui=False), "speed_control_disabled"),
    (("SPEED_CHANGE_ATTEMPT", {"to": 1.0}, 0), policy(ui=False), "speed_control_disabled"),
    (("SPEED_CHANGE_ATTEMPT", {}, 0), policy(ui=False), "speed_control_disabled"),
    # a missing or zero max reads as 1x, like the seed
    (("SPEED_CHANGE_ATTEMPT", {"to": 1.25}, 0), {"playback_rate": {"max": 0}},
     "speed_exceeds_max"),
    # other events never violate
    (("PLAY_START", {}, 0), policy(), ""),
    (("VISIBILITY_HIDDEN", {}, 0), policy(), ""),
    (("PLAYER_ERROR", {"code": 3}, 0), policy(), ""),
])
def test_reported_events(event: tuple[str, dict[str, Any], float], pol: dict[str, Any],
                         reason: str) -> None:
    reasons, track = run([event], pol)
    assert reasons == [reason]
    assert track.violations == (1 if reason else 0)


@pytest.mark.parametrize(("name", "events", "pol", "reasons"), [
    ("1x every 5 s", samples(1.0, 5, 6), policy(), [""] * 6),
    ("1x every 5 s, seeking on", samples(1.0, 5, 6), policy(allow_seek=True), [""] * 6),
    ("2x allowed at max 2", samples(2.0, 5, 4), policy(max_rate=2.0), [""] * 4),
    ("pause: same position", [pos(30, 0), pos(30, 5), pos(30, 300), pos(35, 305)], policy(),
     [""] * 4),
    ("2x at max 1, samples every 5 s", samples(2.0, 5, 3), policy(),
     ["", "rate_exceeded", "rate_exceeded"]),
    ("2x at max 1 over a 10 s window, seeking on", [pos(0, 0), pos(20, 10)],
     policy(allow_seek=True), ["", "rate_exceeded"]),
    ("2x at max 1 over a 10 s window, seeking off: beyond the jump bound", [pos(0, 0), pos(20, 10)],
     policy(), ["", "position_jump"]),
    ("1.25x at max 1: inside the slack", samples(1.25, 5, 4), policy(), [""] * 4),
    ("unreported 60 s jump, seeking off", [pos(10, 0), pos(70, 1), pos(71, 2)], policy(),
     ["", "position_jump", ""]),
    ("small jitter jump under 5 s", [pos(10, 0), pos(14.5, 0.5)], policy(), ["", ""]),
    # seeking on: the seed player reports every seek, so an unreported advance is fast playback
    ("unreported 60 s jump, seeking on", [pos(10, 0), pos(70, 5)], policy(allow_seek=True),
     ["", "rate_exceeded"]),
    ("window under min_wall_seconds: too short to judge a rate", [pos(10, 0), pos(14, 0.5)],
     policy(allow_seek=True), ["", ""]),
    ("reported forward seek, seeking on", [pos(10, 0), ("SEEK_ATTEMPT", {"to": 300}, 2),
                                           pos(303, 5)], policy(allow_seek=True), [""] * 3),
    ("reported seek, seeking off: one violation, not two",
     [pos(10, 0), ("SEEK_ATTEMPT", {"to": 300}, 2), pos(303, 5)], policy(),
     ["", "seek_not_allowed", ""]),
    ("a stale seek does not excuse a later jump",
     [("SEEK_ATTEMPT", {}, 0), pos(10, 1), pos(200, 6)], policy(allow_seek=True),
     ["", "", "rate_exceeded"]),
    ("backward move, seeking off", [pos(100, 0), pos(20, 5), pos(25, 10)], policy(), [""] * 3),
    ("reported rate above max", [pos(0, 0, rate=2.0)], policy(), ["speed_exceeds_max"]),
    ("reported rate at max (+ float noise)", [pos(0, 0, rate=1.005), pos(5, 5, rate=1.0)],
     policy(), ["", ""]),
    ("reported rate with a malformed position", [pos("x", 0, rate=3)], policy(max_rate=2.0),
     ["speed_exceeds_max"]),
    ("reported unknown rate", [pos(0, 0, rate="fast")], policy(), [""]),
    ("jump wins over reported rate", [pos(0, 0), pos(100, 5, rate=3)], policy(),
     ["", "position_jump"]),
])
def test_position_rules(name: str, events: list[Any], pol: dict[str, Any],
                        reasons: list[str]) -> None:
    got, track = run(events, pol)
    assert got == reasons, name
    assert track.violations == sum(1 for r in reasons if r)


@pytest.mark.parametrize("bad", [None, "12", "x", -1.0, float("nan"), float("inf"), True, [3]])
def test_malformed_positions_are_ignored(bad: Any) -> None:
    # "12" is a numeric string: accepted like the seed's float(); it is a valid sample then.
    start = V.SessionTrack(last=V.PositionSample(10.0, T0))
    reasons, track = run([pos(bad, 5)], policy(), start)
    assert reasons == [""]
    if bad == "12":
        assert track.last == V.PositionSample(12.0, T0 + 5)
    else:
        assert track == start
        # the next good sample is still judged against the last good one
        assert run([pos(80, 6)], policy(), track)[0] == ["position_jump"]


@pytest.mark.parametrize(("late_at", "late_position"), [
    (3.0, 0.0),  # older than last, far behind: not a backward move
    (3.0, 500.0),  # older than last, far ahead: not a jump
    (10.0, 500.0),  # same time as last
])
def test_out_of_order_samples_are_not_judged(late_at: float, late_position: float) -> None:
    reasons, track = run([pos(5, 0), pos(15, 10), pos(late_position, late_at)], policy())
    assert reasons == ["", "", ""]
    assert track.last == V.PositionSample(15.0, T0 + 10)
    # and the newer sample still anchors the next pair
    assert run([pos(20, 15)], policy(), track)[0] == [""]


def test_the_track_keeps_the_newest_sample() -> None:
    _, track = run(samples(1.0, 5, 4), policy())
    assert track.last == V.PositionSample(15.0, T0 + 15)
    assert track.violations == 0


def test_tolerance_is_configurable() -> None:
    strict = V.Tolerance(jump_seconds=1.0, rate_slack=0.0, min_wall_seconds=0.5)
    track = V.SessionTrack(last=V.PositionSample(0.0, T0))
    verdict, _ = V.judge("POSITION", {"position": 7.0}, T0 + 5, policy(allow_seek=True), track,
                         strict)
    assert verdict == V.Verdict(True, "rate_exceeded")
    verdict, _ = V.judge("POSITION", {"position": 7.0}, T0 + 5, policy(allow_seek=True), track)
    assert verdict == V.Verdict(False)


@pytest.mark.parametrize(("action", "revoke_after", "revokes"), [
    ("revoke", 3, [False, False, True, False, False]),
    ("revoke", 1, [True, False, False, False, False]),
    ("revoke", 0, [True, False, False, False, False]),  # at least one violation
    ("audit", 3, [False] * 5),
])
def test_should_revoke_once_at_the_threshold(action: str, revoke_after: int,
                                             revokes: list[bool]) -> None:
    track, got = V.SessionTrack(), []
    for i in range(5):
        verdict, track = V.judge("SEEK_ATTEMPT", {}, T0 + i, policy(), track)
        assert verdict.violated
        got.append(V.should_revoke(track, action, revoke_after))
    assert got == revokes
    assert track.violations == 5
