"""How much of a video a student really watched: covered intervals from POSITION samples, pure.

The seed trusted the player's ``last_position`` as progress, so dragging the slider to the
end completed a video. Here only continuous playback between two samples counts: the stretch
``[previous, current]`` is added when the advance is one the allowed speed could produce in
the wall time between them. Seeks, drags and backward moves add nothing. Positions and times
are arguments; nothing here does I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

Interval = tuple[float, float]
Intervals = tuple[Interval, ...]

MILESTONES = (25, 50, 75, 100)
# 100 % is reached at 99 % coverage: the last timeupdate before ``ended`` is a fraction of a
# second short of the duration, so exact 100 % would rarely be emitted for honest viewers.
FULL = 0.99
# Coverage is a sum of float differences; a threshold met "exactly" may miss by ~1e-15.
EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Sample:
    """Where the player was (``position``, video seconds) at ``at`` (epoch seconds)."""

    position: float
    at: float


@dataclass(frozen=True, slots=True)
class Watch:
    """One student's watching of one video (kept per enrollment and video)."""

    intervals: Intervals = ()  # sorted, non-overlapping, seconds of the video seen
    last: Sample | None = None  # the newest sample by ``at``: the next pair starts here
    last_position: float = 0.0  # resume point: the newest sample's position
    progress: float = 0.0  # covered / duration in [0, 1]; never decreases
    completed: bool = False  # progress reached the tenant's threshold once; stays True
    milestones: frozenset[int] = frozenset()  # percentages already emitted


def clamp(interval: Interval, duration: float | None = None) -> Interval | None:
    """``interval`` cut to ``[0, duration]`` (``[0, inf)`` without a duration); None if empty."""
    start, end = interval
    if not (math.isfinite(start) and math.isfinite(end)):
        return None
    start = max(0.0, start)
    if duration is not None and duration > 0:
        end = min(end, duration)
    return (start, end) if end > start else None


def merge(intervals: Intervals, new: Interval, duration: float | None = None) -> Intervals:
    """``intervals`` with ``new`` added; overlapping or touching intervals become one.

    ``new`` is clamped to ``[0, duration]`` when a duration is given; an empty, reversed or
    non-finite range changes nothing.
    """
    cut = clamp(new, duration)
    if cut is None:
        return intervals
    start, end = cut
    out: list[Interval] = []
    for a, b in intervals:
        if b < start:
            out.append((a, b))
        elif a > end:
            if start <= end:  # place the merged interval once, before the first one after it
                out.append((start, end))
                start, end = math.inf, -math.inf
            out.append((a, b))
        else:
            start, end = min(start, a), max(end, b)
    if start <= end:
        out.append((start, end))
    return tuple(out)


def covered(intervals: Intervals) -> float:
    """Seconds of the video inside ``intervals``."""
    return sum(b - a for a, b in intervals)


def _progress(intervals: Intervals, duration: float | None) -> float:
    if duration is None or not duration > 0 or not math.isfinite(duration):
        return 0.0  # unknown length: coverage is kept, progress waits for a duration
    return min(1.0, covered(intervals) / duration)


def _reached(progress: float) -> frozenset[int]:
    return frozenset(m for m in MILESTONES
                     if progress + EPS >= (FULL if m == 100 else m / 100))


def observe(watch: Watch, position: float, at: float, *, duration: float | None,
            max_rate: float, threshold: float,
            jump_seconds: float = 5.0) -> tuple[Watch, tuple[int, ...]]:
    """Add one POSITION sample; return the new watch and the milestones it newly reached.

    The stretch from the previous sample counts when ``at`` is later and
    ``0 <= advance <= max_rate * wall + jump_seconds`` (``jump_seconds`` absorbs the sample
    timer's jitter). Anything else — a bigger forward move (seek, drag, or playing faster than
    allowed), a backward move — adds nothing but still becomes the new ``last``. A sample not
    newer than ``last`` (a late batch) is ignored entirely: it could only undercount, and
    letting it replace ``last`` would make the next, newer sample look like a jump.
    A malformed sample (negative or non-finite position or time) is ignored too.
    """
    if not (math.isfinite(position) and math.isfinite(at)) or position < 0:
        return watch, ()
    last = watch.last
    if last is not None and at <= last.at:
        return watch, ()
    intervals = watch.intervals
    if last is not None:
        # A broken rate reads as 1x: coverage must not grow without bound on a bad config.
        rate = max_rate if math.isfinite(max_rate) and max_rate > 0 else 1.0
        advance = position - last.position
        if 0 <= advance <= rate * (at - last.at) + jump_seconds:
            intervals = merge(intervals, (last.position, position), duration)
    progress = max(watch.progress, _progress(intervals, duration))
    reached = _reached(progress)
    new = tuple(sorted(reached - watch.milestones))
    return replace(
        watch, intervals=intervals, last=Sample(position, at), last_position=position,
        progress=progress, completed=watch.completed or progress + EPS >= threshold,
        milestones=watch.milestones | reached,
    ), new
