"""The lifecycle of the gateways' reply topics (pure): which to keep, delete or date.

A live gateway writes a marker to its own reply topic every :func:`marker_every` seconds, so a
reply topic's newest record says when its gateway was last alive (the topics use the broker's
clock, ``LogAppendTime``). Their retention is the idle threshold itself (their size is bounded
by bytes, not time), so a topic whose records all expired has been idle for at least that
long. A topic with no such evidence (never written, or emptied under an older, shorter
retention) is dated by the janitor: it gets the threshold as retention and a probe record, and
a later sweep judges it by that probe. Deleting a topic a gateway still uses is the one
mistake to avoid (the gateway would recreate it, but the answers it waits for meanwhile are
dropped), so every doubt keeps the topic.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

MARKER_EVERY_MAX_SECONDS = 60.0
SWEEP_EVERY_MAX_SECONDS = 3600.0
# Several markers fit in the threshold: one late marker (a slow broker, a GC pause) never
# makes a live gateway look gone.
MARKERS_PER_THRESHOLD = 4


class Action(enum.Enum):
    """What the janitor does with one topic."""

    KEEP = "keep"
    DELETE = "delete"
    DATE = "date"  # retention raised to the threshold (if lower) and a probe record written


@dataclass(frozen=True, slots=True)
class ReplyTopicView:
    """What the janitor knows of one topic of the cluster."""

    name: str
    newest_record_at: float | None  # epoch seconds of the newest record; None when empty
    ever_written: bool  # its end offset is past 0: it held records once
    retention_seconds: float  # its retention.ms / 1000; math.inf for -1 (kept forever)


def judge(topic: ReplyTopicView, *, now: float, idle_seconds: float, prefix: str,
          own: frozenset[str]) -> Action:
    """Keep, delete or date ``topic``, a topic of the cluster, at ``now``.

    Only topics named ``{prefix}...`` are ever touched, and never one in ``own`` (the caller's
    live topics). A reply topic is deleted when its newest record is older than
    ``idle_seconds``, or when it is empty because every record expired under a retention of at
    least ``idle_seconds``.
    """
    if not topic.name.startswith(prefix) or len(topic.name) == len(prefix) \
            or topic.name in own:
        return Action.KEEP
    if topic.newest_record_at is not None:
        idle = now - topic.newest_record_at
        return Action.DELETE if idle > idle_seconds else Action.KEEP
    expired = topic.ever_written and math.isfinite(topic.retention_seconds) \
        and topic.retention_seconds >= idle_seconds
    return Action.DELETE if expired else Action.DATE


def marker_every(idle_seconds: float) -> float:
    """Seconds between a live gateway's markers."""
    return min(MARKER_EVERY_MAX_SECONDS, idle_seconds / MARKERS_PER_THRESHOLD)


def sweep_every(idle_seconds: float, jitter: float) -> float:
    """Seconds until a gateway's next sweep; ``jitter`` in [0, 1) spreads the gateways' sweeps
    over half a period to one and a half."""
    base = min(SWEEP_EVERY_MAX_SECONDS, idle_seconds / MARKERS_PER_THRESHOLD)
    return base * (0.5 + jitter)
