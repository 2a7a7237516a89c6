"""Rate limits per user and per tenant: the table and the decision (GCRA), pure.

Every limited route belongs to a :class:`RouteClass`; a tenant's settings give each class a
rate per user and a rate per tenant, in units a minute (requests, or events for ``events/``).
A request is admitted only when both the user's and the tenant's bucket admit it, and then
both are charged; a refused request charges neither, so a flood that is cut does not use up
the rest of the tenant's budget.

The algorithm is GCRA (the generic cell rate algorithm, a token bucket kept as one number):
a bucket stores its theoretical arrival time ``tat``; ``N`` a minute means an emission
interval of ``60 / N`` s and a burst of ``N`` (a bucket holds one minute's worth). A request of
cost ``c`` conforms when ``max(tat, now) + c * interval - now <= N * interval``; if it does not,
``retry_after`` is exactly how long until it would. Compared with a fixed window it has no
double burst at window edges, stores one float per bucket (expiring when the bucket is full
again) and gives an exact Retry-After. ``storage.rate_limits`` runs the same arithmetic in one
Lua script; ``now`` is always an argument (the gateway's clock, never the client's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from config.tenant_settings import TenantSettings

# Arrival times are stored to the microsecond: a wait below that is rounding, not a flood.
TOLERANCE = 1e-6


class RouteClass(str, Enum):
    """The routes that share one budget."""

    PLAY = "play"  # play/
    REFRESH = "refresh"  # refresh/ and end/ (each a round trip to the session actor)
    HEARTBEAT = "heartbeat"  # heartbeat/
    EVENTS = "events"  # events/ (a batch costs its number of events, at least 1)
    UPLOAD = "upload"  # presign/, presign-multipart/, complete/, and each file of upload/


class Scope(str, Enum):
    """Whose budget refused a request."""

    USER = "user"
    TENANT = "tenant"


@dataclass(frozen=True, slots=True)
class Rate:
    """``per_minute`` units a minute, in bursts of up to ``per_minute``."""

    per_minute: int

    @property
    def interval(self) -> float:
        """Seconds one unit takes to come back."""
        return 60.0 / self.per_minute

    @property
    def burst(self) -> int:
        """Units a full bucket admits at once."""
        return self.per_minute


@dataclass(frozen=True, slots=True)
class Limits:
    """The user's and the tenant's rate of one route class."""

    user: Rate
    tenant: Rate


def limits_for(settings: TenantSettings, route: RouteClass) -> Limits:
    """The rates of ``route`` under a tenant's effective settings."""
    name = route.value
    return Limits(Rate(getattr(settings, f"rate_{name}_user_per_minute")),
                  Rate(getattr(settings, f"rate_{name}_tenant_per_minute")))


@dataclass(frozen=True, slots=True)
class Decision:
    """Admitted (with the buckets' new arrival times) or refused (with when to retry)."""

    allowed: bool
    retry_after: float = 0.0
    scope: Scope | None = None  # the refusing bucket (the user's when both refuse)
    tats: tuple[float, float] = (0.0, 0.0)  # (user, tenant) to store when allowed


@dataclass(frozen=True, slots=True)
class Charge:
    """One bucket's answer: its arrival time if charged, and seconds until it conforms."""

    tat: float
    wait: float


def charge(tat: float | None, rate: Rate, now: float, cost: int = 1) -> Charge:
    """What charging ``cost`` units to a bucket last at ``tat`` (None: full) would give."""
    # A request dearer than a full bucket costs a full bucket, so it is late, never impossible.
    units = min(max(cost, 1), rate.burst)
    new_tat = max(tat if tat is not None else now, now) + units * rate.interval
    return Charge(new_tat, max(0.0, new_tat - now - rate.burst * rate.interval))


def judge(user: Charge, tenant: Charge) -> Decision:
    """Admitted when both buckets conform; otherwise refused until both would."""
    if user.wait <= TOLERANCE and tenant.wait <= TOLERANCE:
        return Decision(True, tats=(user.tat, tenant.tat))
    scope = Scope.USER if user.wait > TOLERANCE else Scope.TENANT
    return Decision(False, max(user.wait, tenant.wait), scope)


def decide(tats: tuple[float | None, float | None], limits: Limits, now: float,
           cost: int = 1) -> Decision:
    """Admit or refuse one request of ``cost`` units given the stored (user, tenant) ``tats``."""
    return judge(charge(tats[0], limits.user, now, cost), charge(tats[1], limits.tenant, now, cost))


def retry_after_header(seconds: float) -> int:
    """Whole seconds for ``Retry-After``: rounded up, at least 1."""
    return max(1, math.ceil(seconds - 1e-9))
