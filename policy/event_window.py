"""When a player event may say it happened: a window around the server's receive time.

``occurred_at`` is the player's clock. It is kept (the audit trail shows it) but never
trusted beyond this window: not before the playback session started, less a skew for a
client clock running behind, and not ahead of the server by more than a client clock running
ahead could explain. Outside the window an event is refused at the gateway, so no consumer
ever sees year 33658 or 1970. Pure: ``now`` and the session start are arguments.
"""

from __future__ import annotations

import math

# A player's clock may run behind the server's: events of the first seconds of a session may
# then say they happened before it started. Two minutes covers ordinary drift.
EVENT_CLOCK_SKEW_SECONDS = 120.0
# And ahead: an event may not claim a time more than a minute after the server received it.
EVENT_MAX_AHEAD_SECONDS = 60.0


def occurred_at_problem(occurred_at: float, *, session_started_at: float,
                        now: float) -> str | None:
    """Why ``occurred_at`` (epoch seconds) is outside the window, or None when it is inside."""
    if not math.isfinite(occurred_at) or occurred_at <= 0:
        return "Must be epoch seconds."
    earliest = session_started_at - EVENT_CLOCK_SKEW_SECONDS
    if occurred_at < earliest:
        return (f"Is before the playback session started (at most "
                f"{EVENT_CLOCK_SKEW_SECONDS:g} s of clock skew allowed).")
    if occurred_at > now + EVENT_MAX_AHEAD_SECONDS:
        return f"Is more than {EVENT_MAX_AHEAD_SECONDS:g} s ahead of the server's clock."
    return None
