"""Whether the gateway takes one more request or sheds it with 503 (pure).

A gateway handles at most ``GATEWAY_MAX_IN_FLIGHT`` requests at once. Past that, a new request
is answered 503 + ``Retry-After`` at once instead of queueing: a queue only adds latency for
everyone and keeps pool waits piling up. Probes and metrics are never shed, so an overloaded
gateway still reports itself alive and shows what it sheds.
"""

from __future__ import annotations

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
RETRY_AFTER_SECONDS = 1


def admits(in_flight: int, limit: int, path: str) -> bool:
    """True when a request to ``path`` may run while ``in_flight`` others already do."""
    return path in EXEMPT_PATHS or in_flight < limit
