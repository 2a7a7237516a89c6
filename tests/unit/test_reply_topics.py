"""The reply-topic janitor's verdicts (pure): never a live or foreign topic, always a gone one."""

from __future__ import annotations

import math

import pytest

from policy.reply_topics import (
    Action,
    ReplyTopicView,
    judge,
    marker_every,
    sweep_every,
)

PREFIX = "lecturecast.session-replies."
DAY = 86400.0
NOW = 1_000_000_000.0
GW = PREFIX + "gw-8080"


def view(name: str = GW, newest: float | None = None, written: bool = True,
         retention: float = DAY) -> ReplyTopicView:
    return ReplyTopicView(name, newest, written, retention)


@pytest.mark.parametrize(("topic", "own", "expected"), [
    # Judged by the newest record (the gateway's marker, a reply or a probe).
    (view(newest=NOW - 60), (), Action.KEEP),
    (view(newest=NOW - DAY), (), Action.KEEP),  # exactly the threshold: not yet
    (view(newest=NOW - DAY - 1), (), Action.DELETE),
    (view(newest=NOW + 30), (), Action.KEEP),  # a clock ahead of ours: alive
    # Empty because every record expired under a retention of at least the threshold.
    (view(newest=None, retention=DAY), (), Action.DELETE),
    (view(newest=None, retention=2 * DAY), (), Action.DELETE),
    # Empty with no evidence of how long: dated, judged at a later sweep.
    (view(newest=None, retention=3600), (), Action.DATE),  # an old 1 h topic
    (view(newest=None, written=False), (), Action.DATE),  # never written
    (view(newest=None, retention=math.inf), (), Action.DATE),  # records removed by hand
    # Never the caller's own topic, never a topic that is not a reply topic.
    (view(newest=NOW - 10 * DAY), (GW,), Action.KEEP),
    (view(newest=None), (GW,), Action.KEEP),
    (view("lecturecast.playback-events.v1", newest=NOW - 10 * DAY), (), Action.KEEP),
    (view("lecturecast.session-commands.v1", newest=None), (), Action.KEEP),
    (view("other.session-replies.gw", newest=NOW - 10 * DAY), (), Action.KEEP),
    (view(PREFIX, newest=NOW - 10 * DAY), (), Action.KEEP),  # the bare prefix: not a gateway's
], ids=["marked-a-minute-ago", "idle-exactly-the-threshold", "idle-past-the-threshold",
        "clock-ahead", "expired-under-threshold-retention", "expired-under-longer-retention",
        "expired-under-shorter-retention", "never-written", "emptied-infinite-retention",
        "own-idle", "own-empty", "events-topic", "commands-topic", "foreign-prefix",
        "bare-prefix"])
def test_verdicts(topic: ReplyTopicView, own: tuple[str, ...], expected: Action) -> None:
    assert judge(topic, now=NOW, idle_seconds=DAY, prefix=PREFIX, own=frozenset(own)) \
        is expected


@pytest.mark.parametrize(("idle", "expected"), [(DAY, 60.0), (240.0, 60.0), (8.0, 2.0)])
def test_a_live_gateway_marks_several_times_per_threshold(idle: float, expected: float) -> None:
    assert marker_every(idle) == expected
    assert marker_every(idle) * 4 <= idle


@pytest.mark.parametrize(("idle", "jitter", "expected"), [
    (DAY, 0.0, 1800.0), (DAY, 0.5, 3600.0), (DAY, 0.999, 5396.4), (8.0, 0.5, 2.0),
])
def test_sweeps_are_spread(idle: float, jitter: float, expected: float) -> None:
    assert sweep_every(idle, jitter) == pytest.approx(expected)
