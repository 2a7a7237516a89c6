"""Coverage paid by the server's clock, as tables and a property (pure: times are arguments).

A sample here is ``(position, occurred, received)`` in seconds after T0: ``occurred`` is the
player's claim, ``received`` the gateway's clock (shared by the samples of one request).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy import credit as C
from policy import intervals as I

T0 = 1_800_000_000.0
Sample = tuple[float, float, float]


def feed(samples: Iterable[Sample], *, duration: float | None = 3600.0, max_rate: float = 1.0,
         threshold: float = 0.9, session: str = "s",
         watch: I.Watch | None = None) -> I.Watch:
    watch = watch or I.Watch()
    for position, occurred, received in samples:
        watch, _ = I.observe(watch, position, T0 + occurred, received_at=T0 + received,
                             session=session, duration=duration, max_rate=max_rate,
                             threshold=threshold)
    return watch


def honest(seconds: float, rate: float = 1.0, latency: Iterable[float] | None = None,
           start: float = 0.0, first_at_once: bool = True) -> list[Sample]:
    """The README's student player from play to close: a POSITION sample every 2 s while
    playing, requests every 5 s (each received ``latency`` later), a last sample flushed at
    once on close. ``first_at_once``: a sample at play, sent at once (web/player/stage.js
    since the server's clock pays); without it the first sample is at 2 s, sent at 5 s."""
    delays = iter(latency) if latency is not None else itertools.repeat(0.05)
    out: list[Sample] = []
    batch: list[tuple[float, float]] = []
    t, sent = 2.0, 5.0
    if first_at_once:
        out.append((start, 0.0, next(delays)))
    while t < seconds:
        while sent < t:
            delay = next(delays)
            out += [(p, o, sent + delay) for p, o in batch]
            batch, sent = [], sent + 5.0
        batch.append((start + rate * t, t))
        t += 2.0
    batch.append((start + rate * seconds, seconds))
    delay = next(delays)
    return out + [(p, o, seconds + delay) for p, o in batch]


@pytest.mark.parametrize(("name", "steps", "balance", "at"), [
    ("a watch starts with the allowance", [(10.0, 1.0)], 1.0, 10.0),
    ("5 s of server time at 1x", [(10.0, 1.0), (15.0, 1.0)], 6.0, 15.0),
    ("at 2x the allowance doubles too", [(10.0, 2.0), (15.0, 2.0)], 12.0, 15.0),
    ("a receive time going back accrues nothing", [(10.0, 1.0), (8.0, 1.0)], 1.0, 10.0),
    ("unspent credit carries only the allowance", [(0.0, 1.0), (60.0, 1.0), (65.0, 1.0)],
     6.0, 65.0),
    ("within one request nothing is capped", [(0.0, 1.0), (60.0, 1.0), (60.0, 1.0)],
     61.0, 60.0),
])
def test_the_budget_accrues_with_the_server_clock(
        name: str, steps: list[tuple[float, float]], balance: float, at: float) -> None:
    budget = C.Budget()
    for received, rate in steps:
        budget = C.accrue(budget, T0 + received, rate)
    assert budget.balance == pytest.approx(balance), name
    assert budget.at == T0 + at, name


@pytest.mark.parametrize(("wanted", "paid", "left"), [
    (2.0, 2.0, 4.0), (6.0, 6.0, 0.0), (9.0, 6.0, 0.0), (-3.0, 0.0, 6.0),
    (float("nan"), 0.0, 6.0),
])
def test_spending_never_exceeds_the_balance(wanted: float, paid: float, left: float) -> None:
    got, budget = C.spend(C.Budget(6.0, T0), wanted)
    assert (got, budget.balance) == (paid, left)


@pytest.mark.parametrize(("name", "samples", "covered"), [
    ("100 samples 30 s apart in one request", [(30.0 * i, 30.0 * i, 0.0) for i in range(100)],
     C.ALLOWANCE_SECONDS),
    ("the same samples, a request per minute of server time",
     [(30.0 * i, 30.0 * i, 60.0 * (i // 2)) for i in range(100)], 1.0 + 49 * 60.0),
    ("a request of 20 s claimed after 5 s: 5 s and the allowance",
     [(0, 0, 0), (10, 10, 5), (20, 20, 5)], 6.0),
    ("what is owed is paid by the next request", [(0, 0, 0), (10, 10, 5), (12, 12, 20)],
     12.0),
    ("owed at most BACKLOG_SECONDS: the older part is lost",
     [(0, 0, 0), *[(5.0 * i, 5.0 * i, 0.0) for i in range(1, 13)], (62, 62, 100)],
     C.ALLOWANCE_SECONDS + 10 + 2),
    ("backward moves add nothing", [(50, 0, 0), (40, 5, 5), (30, 10, 10)], 0.0),
    ("a gap (seek without report) adds nothing", [(0, 0, 0), (5, 5, 5), (60, 10, 10),
                                                  (65, 15, 15)], 10.0),
    ("a pause pays nothing forward", [(10, 0, 0), (10, 60, 60), (15, 65, 65)], 5.0),
    ("a late sample of the session changes nothing", [(0, 0, 0), (5, 5, 5), (3, 3, 6),
                                                       (10, 10, 10)], 10.0),
])
def test_coverage_is_paid_by_receive_times(name: str, samples: list[Sample],
                                           covered: float) -> None:
    assert I.covered(feed(samples).intervals) == pytest.approx(covered), name


def test_a_reported_seek_ends_the_stretch_even_when_seeking_is_allowed() -> None:
    watch = feed([(0, 0, 0), (5, 5, 5)])
    watch = I.interrupt(watch, "s")
    after = feed([(8, 6, 10), (12, 10, 10)], watch=watch)
    assert after.intervals == ((0, 5), (8, 12))  # nothing of 5..8, the seek's stretch
    assert I.interrupt(after, "other session") == after


def test_a_stretch_never_spans_two_sessions() -> None:
    watch = feed([(0, 0, 0), (5, 5, 5)], session="a")
    watch = feed([(600, 86_400, 86_400), (605, 86_405, 86_405)], session="b", watch=watch)
    assert watch.intervals == ((0, 5), (600, 605))
    # and a new session's clock may lag the old one's: its samples are not "late"
    older = feed([(700, 10, 86_500), (705, 15, 86_505)], session="c", watch=watch)
    assert older.intervals[-1] == (700, 705)


@pytest.mark.parametrize("first_at_once", [True, False])
@pytest.mark.parametrize(("rate", "latency"), [
    (1.0, None), (2.0, None), (1.0, "jitter"), (2.0, "jitter"), (1.5, "slow start"),
])
def test_an_honest_ten_minute_watch_keeps_its_coverage(rate: float, latency: str | None,
                                                       first_at_once: bool) -> None:
    seconds = 600.0 / rate
    delays = None
    if latency == "jitter":
        rng = random.Random(11)
        delays = [rng.uniform(0.01, 0.4) for _ in range(1000)]
    elif latency == "slow start":
        delays = [1.5] * 2 + [0.05] * 1000
    samples = honest(seconds, rate=rate, latency=delays, first_at_once=first_at_once)
    watch = feed(samples, duration=600.0, max_rate=rate)
    before = samples[-1][0] - samples[0][0]  # what the client's clock credited: all of it
    # What the clock cannot pay: how much older than its request the first sample is,
    # beyond the allowance (just the latency when it is sent at once), plus by how much the
    # latency shrinks later on.
    spread = max(delays) - min(delays) if delays else 0.0
    first_lag = max(0.0, samples[0][2] - samples[0][1] - C.ALLOWANCE_SECONDS)
    assert I.covered(watch.intervals) >= before - rate * (first_lag + spread) - 1e-6
    assert len(watch.intervals) == 1  # jitter leaves no holes
    assert watch.completed
    if first_at_once:
        assert watch.intervals[0][0] == 0.0 and 100 in watch.milestones


def test_an_honest_pause_then_resume_keeps_counting() -> None:
    first = honest(60.0)
    watch = feed(first, duration=600.0)
    resumed = [(p, o + 600, r + 600) for p, o, r in honest(60.0, start=60.0)]
    watch = feed(resumed, duration=600.0, watch=watch)
    assert I.covered(watch.intervals) >= 118 - 2 * 2.0 - 1e-6


@pytest.mark.parametrize(("name", "max_rate", "make", "completes"), [
    ("honest at 1x", 1.0, lambda: honest(400.0), True),
    ("honest at the allowed 2x", 2.0, lambda: honest(200.0, rate=2.0), True),
    ("skips of 1 s every 1 s", 1.0,
     lambda: [(2.0 * i, 1.0 * i, 5.0 * (i // 5)) for i in range(400)], False),
    ("a request of 100 samples every 5 s", 1.0,
     lambda: [(3.0 * i, 3.0 * i, 5.0 * (i // 100)) for i in range(2000)], False),
    ("a request every 0.1 s claiming 1 s", 1.0,
     lambda: [(1.0 * i, 1.0 * i, 0.1 * i) for i in range(4000)], False),
    ("claims 4x at max 2", 2.0, lambda: [(8.0 * i, 2.0 * i, 1.0 * i) for i in range(200)],
     False),
    ("a loop over the video, claimed 3x faster", 1.0,
     lambda: [((i % 134) * 3.0, 3.0 * i, 1.0 * i) for i in range(2000)], None),
])
def test_no_sequence_completes_faster_than_the_clock_allows(
        name: str, max_rate: float, make: Callable[[], list[Sample]],
        completes: bool | None) -> None:
    duration, threshold = 400.0, 0.9
    watch, first = I.Watch(), None
    for position, occurred, received in make():
        first = received if first is None else first
        watch, _ = I.observe(watch, position, T0 + occurred, received_at=T0 + received,
                             session="s", duration=duration, max_rate=max_rate,
                             threshold=threshold)
        if watch.completed:
            elapsed = received - first
            assert elapsed >= duration * threshold / max_rate - C.ALLOWANCE_SECONDS, name
            assert completes is not False, f"{name}: completed"
            return
    assert completes is not True, f"{name}: never completed"


@pytest.mark.parametrize(("intervals", "limit", "expected"), [
    (((0, 1), (2, 5), (6, 7)), 3, ((0, 1), (2, 5), (6, 7))),
    (((0, 1), (2, 5), (6, 7)), 2, ((0, 1), (2, 5))),  # a tie keeps the earlier
    (((0, 1), (2, 5), (6, 6.5), (8, 10)), 2, ((2, 5), (8, 10))),
])
def test_bounded_keeps_the_longest(intervals: I.Intervals, limit: int,
                                   expected: I.Intervals) -> None:
    assert I.bounded(intervals, limit) == expected


def test_a_sawtooth_keeps_at_most_max_intervals_and_progress_never_drops() -> None:
    watch, best = I.Watch(), 0.0
    for k in range(2000):
        position = 3000.0 - (k // 2) + (0.5 if k % 2 else 0.0)
        watch, _ = I.observe(watch, position, T0 + k, received_at=T0 + k, session="s",
                             duration=3600.0, max_rate=1.0, threshold=0.9)
        assert len(watch.intervals) <= I.MAX_INTERVALS
        assert watch.progress >= best
        best = watch.progress


batches = st.lists(st.tuples(
    st.floats(0, 120),  # server seconds since the previous request
    st.lists(st.tuples(st.floats(0, 5000), st.floats(-1e4, 1e4), st.sampled_from("ab"),
                       st.booleans()),  # position, occurred_at, session, a seek before it
             min_size=1, max_size=12),
), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(batches=batches, max_rate=st.sampled_from([0.5, 1.0, 2.0]))
def test_property_credit_never_outruns_the_server_clock(
        batches: list[tuple[float, list[tuple[float, float, str, bool]]]],
        max_rate: float) -> None:
    watch, received, first = I.Watch(), T0, None
    for gap, samples in batches:
        received += gap
        first = received if first is None else first
        for position, occurred, session, seek in samples:
            if seek:
                watch = I.interrupt(watch, session)
            before = watch
            watch, _ = I.observe(watch, position, T0 + occurred, received_at=received,
                                 session=session, duration=None, max_rate=max_rate,
                                 threshold=0.9)
            got = I.covered(watch.intervals)
            assert got <= max_rate * (received - first + C.ALLOWANCE_SECONDS) + 1e-6
            last = before.last
            continuous = (last is not None and last.session == session and last.open
                          and T0 + occurred > last.at
                          and 0 <= position - last.position
                          <= max_rate * (T0 + occurred - last.at) + C.ALLOWANCE_SECONDS)
            if not continuous:  # backward moves, gaps, seeks, other sessions: nothing
                assert watch.intervals == before.intervals
            else:  # credit lands only on the stretch just played (or what it still owes)
                assert last is not None
                added = I.covered(watch.intervals) - I.covered(before.intervals)
                assert added <= position - last.position + max_rate * I.BACKLOG_SECONDS + 1e-6
