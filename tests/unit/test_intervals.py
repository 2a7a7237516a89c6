"""Watched coverage from POSITION samples, as tables (pure: positions and times are arguments)."""

from __future__ import annotations

import pytest

from policy import intervals as I

T0 = 1_800_000_000.0


def watch_all(samples: list[tuple[float, float]], duration: float | None = 100.0,
              max_rate: float = 1.0, threshold: float = 0.9,
              watch: I.Watch | None = None) -> tuple[I.Watch, list[int]]:
    """Observe ``(position, seconds after T0)`` samples, each received when it was taken,
    in one session; the watch and every milestone emitted."""
    watch = watch or I.Watch()
    emitted: list[int] = []
    for position, at in samples:
        watch, new = I.observe(watch, position, T0 + at, received_at=T0 + at, session="s",
                               duration=duration, max_rate=max_rate, threshold=threshold)
        emitted += new
    return watch, emitted


def played(start: float, end: float, rate: float = 1.0, every: float = 5.0,
           t: float = 0.0) -> list[tuple[float, float]]:
    """Samples of continuous play from ``start`` to ``end`` at ``rate``, starting at time t."""
    n = round((end - start) / (rate * every))
    return [(start + rate * every * i, t + every * i) for i in range(n + 1)]


@pytest.mark.parametrize(("existing", "new", "duration", "expected"), [
    ((), (0, 10), None, ((0, 10),)),
    (((0, 10),), (10, 20), None, ((0, 20),)),  # touching
    (((0, 10),), (5, 15), None, ((0, 15),)),  # overlapping
    (((0, 10), (20, 30)), (12, 18), None, ((0, 10), (12, 18), (20, 30))),  # in a gap
    (((0, 10), (20, 30)), (8, 22), None, ((0, 30),)),  # bridges two
    (((0, 10), (20, 30), (40, 50)), (5, 45), None, ((0, 50),)),  # swallows three
    (((10, 20),), (0, 5), None, ((0, 5), (10, 20))),  # before all
    (((10, 20),), (30, 40), None, ((10, 20), (30, 40))),  # after all
    (((0, 10),), (2, 8), None, ((0, 10),)),  # inside one
    (((0, 10),), (5, 5), None, ((0, 10),)),  # empty
    (((0, 10),), (15, 12), None, ((0, 10),)),  # reversed
    ((), (-5, 3), None, ((0, 3),)),  # clamped at 0
    ((), (-5, -1), None, ()),  # all negative
    ((), (90, 130), 100.0, ((90, 100),)),  # clamped at the duration
    ((), (110, 130), 100.0, ()),  # beyond the end
    ((), (0, float("inf")), None, ()),  # not finite
])
def test_merge(existing: I.Intervals, new: I.Interval, duration: float | None,
               expected: I.Intervals) -> None:
    got = I.merge(existing, new, duration)
    assert got == expected
    assert I.covered(got) == sum(b - a for a, b in expected)


@pytest.mark.parametrize(("name", "samples", "max_rate", "covered"), [
    ("1x every 5 s", played(0, 60), 1.0, 60.0),
    ("1x from a resume point", played(30, 60), 1.0, 30.0),
    ("2x allowed at max 2", played(0, 60, rate=2.0), 2.0, 60.0),
    ("4x at max 2 is a jump every time", played(0, 80, rate=4.0), 2.0, 0.0),
    ("jitter: a sample 1 s ahead still counts", [(0, 0), (6, 5)], 1.0, 6.0),
    # was 9 s: a 5 s jump allowance credited short skips as watched (issue 11, finding 2)
    ("a sample 4 s ahead is a skip", [(0, 0), (9, 5)], 1.0, 0.0),
    ("drag to the end", [*played(0, 10), (95, 15), (99, 19)], 1.0, 14.0),
    ("backward seek adds nothing, then counts again", [(50, 0), (55, 5), (20, 6), (25, 11)],
     1.0, 10.0),
    ("pause: same position", [(10, 0), (10, 60), (15, 65)], 1.0, 5.0),
    ("re-watching a minute twice", [*played(0, 60), *played(0, 60, t=100)], 1.0, 60.0),
])
def test_coverage(name: str, samples: list[tuple[float, float]], max_rate: float,
                  covered: float) -> None:
    watch, _ = watch_all(samples, max_rate=max_rate)
    assert I.covered(watch.intervals) == pytest.approx(covered), name
    assert watch.progress == pytest.approx(covered / 100)
    assert watch.last_position == samples[-1][0]


def test_drag_to_the_end_does_not_complete() -> None:
    watch, emitted = watch_all([*played(0, 10), (95, 15), (99.5, 19.5)])
    assert not watch.completed and watch.progress < 0.25 and emitted == []
    assert watch.last_position == 99.5


def test_rewatching_does_not_raise_progress() -> None:
    first, _ = watch_all(played(0, 60))
    again, emitted = watch_all(played(0, 60, t=200), watch=first)
    assert again.progress == first.progress and again.intervals == first.intervals
    assert emitted == []


@pytest.mark.parametrize(("late", "expected_last"), [
    ([(10, 12), (15, 17)], (40.0, 40.0)),  # an older batch arriving late
    ([(90, 40)], (40.0, 40.0)),  # same time as the newest sample
])
def test_late_samples_change_nothing(late: list[tuple[float, float]],
                                     expected_last: tuple[float, float]) -> None:
    watch, _ = watch_all(played(0, 40))
    after, emitted = watch_all(late, watch=watch)
    assert after == watch and emitted == []
    assert after.last is not None
    assert (after.last.position, after.last.at - T0) == expected_last
    # the next on-time sample still continues from the newest one
    cont, _ = watch_all([(45, 45)], watch=after)
    assert I.covered(cont.intervals) == pytest.approx(45.0)


@pytest.mark.parametrize(("end", "threshold", "completed"), [
    (85, 0.9, False),
    (90, 0.9, True),  # exactly at the threshold
    (100, 0.9, True),
    (50, 0.5, True),
])
def test_completion_at_the_threshold(end: float, threshold: float, completed: bool) -> None:
    watch, _ = watch_all(played(0, end), threshold=threshold)
    assert watch.completed is completed


def test_completion_and_progress_never_go_back() -> None:
    watch, _ = watch_all(played(0, 95))
    assert watch.completed
    seen = [watch.progress]
    # a shorter duration reported later, a jump back, an unknown duration: none lowers it
    for position, at, duration in [(0, 200, 200.0), (5, 205, 200.0), (10, 210, None),
                                   (50, 300, 0.0)]:
        watch, _ = I.observe(watch, position, T0 + at, received_at=T0 + at, session="s",
                             duration=duration, max_rate=1.0, threshold=0.9)
        seen.append(watch.progress)
        assert watch.completed
    assert seen == sorted(seen) and seen[-1] == seen[0]


def test_unknown_duration_keeps_intervals_without_progress() -> None:
    watch, emitted = watch_all(played(0, 30), duration=None)
    assert watch.intervals == ((0, 30),) and watch.progress == 0.0 and emitted == []
    later, emitted = watch_all([(35, 35)], duration=40.0, watch=watch)
    assert later.progress == pytest.approx(35 / 40) and emitted == [25, 50, 75]


@pytest.mark.parametrize(("end", "milestones"), [
    (20, []),
    (25, [25]),
    (60, [25, 50]),
    (75, [25, 50, 75]),
    (98, [25, 50, 75]),
    (99, [25, 50, 75, 100]),  # 100 % is reached at 99 % coverage
])
def test_milestones(end: float, milestones: list[int]) -> None:
    watch, emitted = watch_all(played(0, end, every=1.0))
    assert emitted == milestones
    assert watch.milestones == frozenset(milestones)


def test_milestones_are_emitted_once_each() -> None:
    watch, first = watch_all(played(0, 100))
    again, second = watch_all(played(0, 100, t=500), watch=watch)
    assert first == [25, 50, 75, 100] and second == []
    assert again.milestones == frozenset(first)


@pytest.mark.parametrize(("position", "at"), [(-1.0, 10.0), (float("nan"), 10.0),
                                              (float("inf"), 10.0), (20.0, float("nan"))])
def test_malformed_samples_are_ignored(position: float, at: float) -> None:
    watch, _ = watch_all(played(0, 5))
    after, emitted = I.observe(watch, position, T0 + at, received_at=T0 + 10.0, session="s",
                               duration=100.0, max_rate=1.0, threshold=0.9)
    assert after == watch and emitted == ()
