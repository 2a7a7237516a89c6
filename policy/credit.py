"""The server's clock pays for watched time: a per-watch credit budget, pure.

A player's ``occurred_at`` is its own claim: a request can carry a hundred samples "30 s
apart" that all arrived at once. What a client cannot forge is when the gateway received its
requests (``received_at``, the same for every event of a request). So coverage is paid from a
budget that only the server's clock fills, like a token bucket:

- each sample accrues ``max_rate x (received_at - the previous sample's received_at)``;
- the samples of one request share what it accrued; unused credit carries over to a later
  request only up to ``max_rate x ALLOWANCE_SECONDS`` (a pause, or a run of backward
  samples, saves nothing up for a later burst);
- a watch starts with that same allowance, and so does each new playback session of it:
  server time between another session's last sample and this one's first paid for nothing
  this session could have watched.

Hence, over any run of samples, the credit paid is at most
``max_rate x (last received_at - first received_at) + max_rate x ALLOWANCE_SECONDS`` (with a
constant rate; each stretch of server time accrues at the rate of the sample that ends it).
Times and rates are arguments; nothing here does I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Seconds of slack the server's clock allows on top of the policy's rate, for coverage credit
# and for the judge's rate rule alike: timeupdate fires every ~250 ms and requests take a
# moment to arrive, so a sample can be a fraction of a second ahead of the clock.
ALLOWANCE_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Budget:
    """Seconds of video the server's clock has paid for and that are not spent yet."""

    balance: float = 0.0  # credit left after the last sample (capped at the next accrual)
    at: float | None = None  # received_at of the last accrual; None: nothing accrued yet


def accrue(budget: Budget, received_at: float, max_rate: float) -> Budget:
    """``budget`` after a sample received at ``received_at`` (server epoch seconds).

    A receive time older than the last one (two gateways racing to Kafka) accrues nothing
    and does not move the clock back.
    """
    cap = max_rate * ALLOWANCE_SECONDS
    if budget.at is None:
        return Budget(cap, received_at)
    if not received_at > budget.at:
        return budget  # the same request (or an older one): what it accrued is still there
    elapsed = received_at - budget.at
    return Budget(min(cap, budget.balance) + max_rate * elapsed, received_at)


def restart(budget: Budget, received_at: float, max_rate: float) -> Budget:
    """``budget`` at the first sample of a new session: the allowance at most, accrued from now.

    A receive time older than the budget's (a late batch of an earlier session) leaves it.
    """
    if budget.at is not None and not received_at > budget.at:
        return budget
    cap = max_rate * ALLOWANCE_SECONDS
    return Budget(cap if budget.at is None else min(cap, budget.balance), received_at)


def spend(budget: Budget, wanted: float) -> tuple[float, Budget]:
    """Pay up to ``wanted`` seconds; (what was paid, the budget left)."""
    paid = min(max(0.0, wanted), budget.balance)
    if not math.isfinite(paid):
        return 0.0, budget
    return paid, Budget(budget.balance - paid, budget.at)
