"""Player events judged against the playback token's policy snapshot: the seed's rules, pure.

The seed only judged what the player *said* (a seek attempt, a speed change). A tampered
player can simply stop saying it, so POSITION samples are judged too: per playback session a
:class:`SessionTrack` keeps the last sample, and the advance between two samples is compared
with what the policy allows in the wall time between them. ``occurred_at`` and the policy are
arguments; nothing here does I/O.

Rules for a POSITION pair (previous sample -> this one, ``wall`` seconds apart, ``advance``
seconds of video further on), first match wins:

1. A SEEK_ATTEMPT reported inside the pair's window explains the advance: no position rule
   applies. With seeking allowed the seek is legitimate; with seeking off it was already
   flagged ``seek_not_allowed``, and one act should count as one violation.
2. Seeking off and ``advance > max(jump, max_rate * wall + jump)``: ``position_jump``.
3. The payload's own ``rate`` above ``max + 0.01``: ``speed_exceeds_max``.
4. ``wall >= min_wall`` and ``advance > wall * max_rate * (1 + slack) + 1``: ``rate_exceeded``.

Rule 4 applies whether or not seeking is allowed. Two samples cannot tell "skipped 10 s" from
"played 2x for 10 s", but the seed player reports every seek (its ``seeking`` handler), so a
forward move it did not report is faster-than-allowed playback. Seeks reported in time are
excused by rule 1. Backward moves never break a rule.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from policy.credit import ALLOWANCE_SECONDS

# A reported rate this close above the maximum is float noise from the player, not a cheat.
RATE_EPSILON = 0.01
# Seconds of advance always allowed on top of the rate bound: the same allowance coverage
# credit gets (declared once, in policy.credit).
RATE_ALLOWANCE_SECONDS = ALLOWANCE_SECONDS


@dataclass(frozen=True, slots=True)
class PositionSample:
    """Where the player was (``position``, video seconds) at ``at`` (epoch seconds)."""

    position: float
    at: float


@dataclass(frozen=True, slots=True)
class SessionTrack:
    """What the judge remembers about one playback session."""

    last: PositionSample | None = None  # the newest valid POSITION sample, by occurred_at
    violations: int = 0  # violations in this session so far
    # occurred_at of the newest reported SEEK_ATTEMPT: it excuses the advance of the pair
    # of samples around it (rule 1 of the module docstring).
    seek_at: float | None = None
    seen_at: float = 0.0  # received_at (server clock) of its newest event, for dropping it


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one event broke the policy, and the seed's reason code when it did."""

    violated: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How much slack the position rules give an honest player."""

    jump_seconds: float = 5.0  # forward advance beyond the rate bound before it is a jump
    rate_slack: float = 0.25  # fraction above max_rate tolerated (sample timer jitter)
    min_wall_seconds: float = 1.0  # shorter windows are too noisy for the rate rule


@dataclass(frozen=True, slots=True)
class _Rules:
    """The parts of the policy snapshot the judge reads, with the seed's defaults."""

    allow_seek: bool
    max_rate: float
    ui_control: bool

    @classmethod
    def of(cls, policy: Mapping[str, Any]) -> _Rules:
        rate = policy.get("playback_rate")
        rate = rate if isinstance(rate, Mapping) else {}
        max_rate = _number(rate.get("max"))
        # The seed's ``float(max or 1.0)``: a missing or zero maximum means 1x.
        if max_rate is None or not 0 < max_rate < math.inf:
            max_rate = 1.0
        # The seed's defaults: seeking off, the speed control on.
        return cls(bool(policy.get("allow_seek", False)), max_rate,
                   bool(rate.get("ui_control", True)))


def _number(value: Any) -> float | None:
    """A JSON number or numeric string as a float; None when it is no number (or NaN).

    Booleans are not numbers here (``float(True)`` would read as 1x). ``inf`` is kept so a
    speed of "Infinity" still exceeds the maximum, as it did in the seed.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _speed_change(payload: Mapping[str, Any], rules: _Rules) -> str:
    """The seed's SPEED_CHANGE_ATTEMPT rule: any change when the control is off, else the target."""
    if not rules.ui_control:
        return "speed_control_disabled"
    to = _number(payload.get("to"))
    # An unknown target is not evidence of anything: the seed let it pass too.
    return "speed_exceeds_max" if to is not None and to > rules.max_rate else ""


def _position(payload: Mapping[str, Any], at: float, rules: _Rules, track: SessionTrack,
              tol: Tolerance) -> tuple[str, SessionTrack]:
    """Judge one POSITION sample (rules of the module docstring); return the new track."""
    rate = _number(payload.get("rate"))
    reported = "speed_exceeds_max" if rate is not None and rate > rules.max_rate + RATE_EPSILON \
        else ""
    position = _number(payload.get("position"))
    if position is None or not math.isfinite(position) or position < 0 or not math.isfinite(at):
        return reported, track  # no usable sample: nothing to compare, keep the last good one
    last = track.last
    if last is not None and at <= last.at:
        # A late sample: judging it against a newer one would invent a backward move or jump,
        # and it must not replace the newer sample the next pair is judged from.
        return reported, track
    track = replace(track, last=PositionSample(position, at))
    if last is None:
        return reported, track
    if track.seek_at is not None and last.at <= track.seek_at <= at:
        return reported, track
    wall, advance = at - last.at, position - last.position
    jump = max(tol.jump_seconds, rules.max_rate * wall + tol.jump_seconds)
    if not rules.allow_seek and advance > jump:
        return "position_jump", track
    if reported:
        return reported, track
    bound = wall * rules.max_rate * (1 + tol.rate_slack) + RATE_ALLOWANCE_SECONDS
    if wall >= tol.min_wall_seconds and advance > bound:
        return "rate_exceeded", track
    return "", track


def judge(event_type: str, payload: Mapping[str, Any], occurred_at: float,
          policy: Mapping[str, Any], track: SessionTrack,
          tolerance: Tolerance = Tolerance()) -> tuple[Verdict, SessionTrack]:
    """Judge one event of a session, in the order the session's events are consumed.

    Returns the verdict and the session's new track; a violation adds one to
    ``track.violations`` (one per event, whichever rule matched first). Events other than
    SEEK_ATTEMPT, SPEED_CHANGE_ATTEMPT and POSITION never violate and leave the track as is.
    """
    # Snapshots and payloads come from JSON: anything but an object reads as empty.
    rules = _Rules.of(policy if isinstance(policy, Mapping) else {})
    payload = payload if isinstance(payload, Mapping) else {}
    reason = ""
    if event_type == "SEEK_ATTEMPT":
        # The seed flags every seek, forward or back, when seeking is off: kept as is.
        reason = "" if rules.allow_seek else "seek_not_allowed"
        if math.isfinite(occurred_at):
            seek_at = occurred_at if track.seek_at is None else max(track.seek_at, occurred_at)
            track = replace(track, seek_at=seek_at)
    elif event_type == "SPEED_CHANGE_ATTEMPT":
        reason = _speed_change(payload, rules)
    elif event_type == "POSITION":
        reason, track = _position(payload, occurred_at, rules, track, tolerance)
    if not reason:
        return Verdict(False), track
    return Verdict(True, reason), replace(track, violations=track.violations + 1)


def should_revoke(track: SessionTrack, action: str, revoke_after: int) -> bool:
    """Whether the violation just judged should revoke the session.

    Call it with the track :func:`judge` returned for a *violating* event. It is True only
    when that violation brought the count exactly to ``revoke_after`` (at least 1), so a
    session's revoke is requested once, not again for each later violation.
    """
    return action == "revoke" and track.violations == max(1, revoke_after)
