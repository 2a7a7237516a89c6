"""How much of a video a student really watched: covered intervals from position samples, pure.

A sample is a POSITION, or a play_start, pause or ended with its position
(:data:`policy.player_events.SAMPLE_TYPES`).

The seed trusted the player's ``last_position`` as progress, so dragging the slider to the
end completed a video. Here only continuous playback between two samples counts, and only as
much of it as the server's clock can pay for:

- **Shape** (the client's clock): the stretch ``[previous, current]`` of two samples of the
  *same playback session* is continuous playback when ``0 <= advance <= max_rate x wall +
  ALLOWANCE_SECONDS`` (``wall`` between their ``occurred_at``). Anything else (a drag, a
  seek, faster playback than allowed, a backward move) adds nothing. A SEEK_ATTEMPT reported
  after a sample ends the stretch (:func:`interrupt`): the next sample starts a new one, so a
  reported seek's stretch is never watched, even with seeking allowed. A new session's first
  sample never pairs with an older session's last one.
- **Amount** (the server's clock): a continuous stretch is paid from the watch's
  :class:`policy.credit.Budget`, filled by ``max_rate x`` the time between receive times.
  Whatever the ``occurred_at`` values say, the coverage a watch gains is at most
  ``max_rate x (last received_at - first received_at) + max_rate x ALLOWANCE_SECONDS``, so a
  video cannot reach completion in less server time than ``duration x threshold / max_rate``
  minus the allowance.

Credit is *partial and in order*: a stretch the budget cannot pay in full is credited from its
start for as much as the budget holds, and the rest stays owed (``Sample.paid_to``): the next
continuous stretch of the same session is paid from there on, so an honest player whose
samples arrive in 5 s requests, a little ahead of the receive times that pay for them, keeps
contiguous coverage instead of a hole per request. Crediting nothing for an over-budget
stretch would be just as safe but punish honest jitter; crediting its end would leave the same
holes. What a stretch still owes is at most ``max_rate x BACKLOG_SECONDS`` (older parts are
given up): a forged run of samples does not become a debt that later pauses pay off.

Per watch at most :data:`MAX_INTERVALS` intervals are kept; beyond that the shortest are
dropped (undercounting is safe; ``progress`` never decreases). Positions and times are
arguments; nothing here does I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from policy.credit import ALLOWANCE_SECONDS, Budget, accrue, restart, spend

Interval = tuple[float, float]
Intervals = tuple[Interval, ...]

MILESTONES = (25, 50, 75, 100)
# 100 % is reached at 99 % coverage: the last timeupdate before ``ended`` is a fraction of a
# second short of the duration, so exact 100 % would rarely be emitted for honest viewers.
FULL = 0.99
# Coverage is a sum of float differences; a threshold met "exactly" may miss by ~1e-15.
EPS = 1e-9
# Video rows keep whole seconds (``round`` of the probed length): a 15.6 s video is 16 s long
# there, and a watch of all of it covers 15.6. Coverage within this of the end is all of it
# (issue 17: an honest full watch must be 100 %); a client gains at most this much.
DURATION_ROUNDING = 0.5
# Intervals kept per watch: a student skimming with seeks makes one per skip; a hostile
# player alternating tiny forward and backward moves makes one per pair, without this cap.
MAX_INTERVALS = 32
# How far (server seconds at max_rate) the credited end of a stretch may lag behind the player.
BACKLOG_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Sample:
    """Where the player was (``position``, video seconds) at ``at`` (its epoch seconds)."""

    position: float
    at: float
    session: str = ""  # the playback session that sent it: stretches never span two
    # The stretch ending here is credited up to this position (None: up to ``position``).
    paid_to: float | None = None
    open: bool = True  # False once a seek was reported after it: no stretch starts here


@dataclass(frozen=True, slots=True)
class Watch:
    """One student's watching of one video (kept per enrollment and video)."""

    intervals: Intervals = ()  # sorted, non-overlapping, seconds of the video seen
    last: Sample | None = None  # the newest sample by ``at``: the next pair starts here
    last_position: float = 0.0  # resume point: the newest sample's position
    progress: float = 0.0  # covered / duration in [0, 1]; never decreases
    completed: bool = False  # progress reached the tenant's threshold once; stays True
    milestones: frozenset[int] = frozenset()  # percentages already emitted
    budget: Budget = field(default_factory=Budget)  # what the server's clock paid, unspent


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
    seen = covered(intervals)
    return 1.0 if seen + DURATION_ROUNDING >= duration else seen / duration


def _reached(progress: float) -> frozenset[int]:
    return frozenset(m for m in MILESTONES
                     if progress + EPS >= (FULL if m == 100 else m / 100))


def bounded(intervals: Intervals, limit: int = MAX_INTERVALS) -> Intervals:
    """``intervals`` with only the ``limit`` longest kept (ties: the earlier), in order."""
    if len(intervals) <= limit:
        return intervals
    longest = sorted(intervals, key=lambda iv: (-(iv[1] - iv[0]), iv[0]))[:limit]
    return tuple(sorted(longest))


def interrupt(watch: Watch, session: str) -> Watch:
    """``watch`` after ``session`` reported a seek: its current stretch ends at the last sample."""
    last = watch.last
    if last is None or last.session != session or not last.open:
        return watch
    return replace(watch, last=replace(last, open=False))


def _rate(max_rate: float) -> float:
    # A broken rate reads as 1x: coverage must not grow without bound on a bad config.
    return max_rate if math.isfinite(max_rate) and max_rate > 0 else 1.0


def observe(watch: Watch, position: float, at: float, *, received_at: float, session: str,
            duration: float | None, max_rate: float,
            threshold: float) -> tuple[Watch, tuple[int, ...]]:
    """Add one POSITION sample; return the new watch and the milestones it newly reached.

    ``at`` is the sample's ``occurred_at`` (the player's clock, for the stretch's shape),
    ``received_at`` the gateway's (for the budget that pays for it); see the module
    docstring for the rules. A sample of the same session not newer than ``last`` (a late
    batch) is ignored entirely: it could only undercount, and letting it replace ``last``
    would make the next, newer sample look like a jump. A malformed sample (negative or
    non-finite position or time) is ignored too.
    """
    if not (math.isfinite(position) and math.isfinite(at) and math.isfinite(received_at)) \
            or position < 0:
        return watch, ()
    last = watch.last
    same = last is not None and last.session == session
    if last is not None and same and at <= last.at:
        return watch, ()
    rate = _rate(max_rate)
    budget = (accrue if same else restart)(watch.budget, received_at, rate)
    intervals, paid_to = watch.intervals, position
    if last is not None and same and last.open and \
            0 <= position - last.position <= rate * (at - last.at) + ALLOWANCE_SECONDS:
        owed_from = last.position if last.paid_to is None else min(last.paid_to, last.position)
        start = max(owed_from, last.position - rate * BACKLOG_SECONDS)
        paid, budget = spend(budget, position - start)
        paid_to = start + paid
        intervals = bounded(merge(intervals, (start, paid_to), duration))
    progress = max(watch.progress, _progress(intervals, duration))
    reached = _reached(progress)
    new = tuple(sorted(reached - watch.milestones))
    return replace(
        watch, intervals=intervals, last=Sample(position, at, session, paid_to),
        last_position=position, progress=progress,
        completed=watch.completed or progress + EPS >= threshold,
        milestones=watch.milestones | reached, budget=budget,
    ), new
