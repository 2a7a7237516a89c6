"""The gateway's rate limiter: one call per limited request, 429 with ``Retry-After`` beyond.

Handlers call :func:`admit` once they know who is asking (and, for a body, once it parsed and
validated: refusing bad input costs no more than refusing a flood, and a refused request
charges nothing), right before the work that costs (PostgreSQL, Kafka, S3, the session
actor). The tenant's limits come from its effective settings, cached in-process for a few
seconds (``storage.tenant_settings_cache``), and both buckets are checked in one Redis round
trip (``storage.rate_limits``).

If Redis fails, the request goes through unchecked (fail open), counted in
``lecturecast_rate_limit_errors_total``: the limiter protects the service, it is not part of a
request's meaning. ``heartbeat/`` and ``events/`` need Redis anyway, so they fail on their own
Redis call as before; ``play/`` and uploads, which do not, keep working.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import redis.asyncio as redis
from aiohttp import web

from gateway import keys
from gateway.exceptions import TooManyRequests
from gateway.tenancy import Caller
from policy.rate_limits import RouteClass, limits_for, retry_after_header
from storage.rate_limits import RateLimits
from storage.tenant_settings_cache import TenantSettingsCache

log = logging.getLogger(__name__)

# A Redis that hangs must not hang play/ and uploads behind the limiter.
REDIS_TIMEOUT_SECONDS = 0.5


async def admit(request: web.Request, route: RouteClass, *, tenant: str, tenant_id: int,
                user: str, now: float | None = None, cost: int = 1) -> None:
    """Charge one request of ``cost`` units to the user's and the tenant's budget of ``route``;
    :class:`TooManyRequests` when either is spent."""
    app = request.app
    limits = limits_for(await app[keys.TENANT_SETTINGS].get(tenant_id), route)
    try:
        async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
            decision = await app[keys.RATE_LIMITS].acquire(
                tenant, user, route, limits, time.time() if now is None else now, cost)
    except (redis.RedisError, OSError, TimeoutError) as exc:
        app[keys.METRICS].rate_limit_errors.labels(route.value).inc()
        log.warning("rate limiter unavailable (%s): %s let through", type(exc).__name__,
                    route.value)
        return
    if not decision.allowed:
        assert decision.scope is not None
        app[keys.METRICS].rate_limited.labels(route.value, decision.scope.value).inc()
        raise TooManyRequests("rate_limited", retry_after_header(decision.retry_after),
                              extra={"route": route.value, "scope": decision.scope.value})


async def admit_caller(request: web.Request, route: RouteClass, who: Caller,
                       cost: int = 1) -> None:
    """:func:`admit` for an authenticated caller."""
    await admit(request, route, tenant=who.tenant, tenant_id=who.tenant_id,
                user=who.principal.sub, cost=cost)


async def setup(app: web.Application) -> AsyncIterator[None]:
    """Cleanup context (after PostgreSQL and Redis are open): the buckets and the cache."""
    app[keys.RATE_LIMITS] = RateLimits(app[keys.REDIS])
    app[keys.TENANT_SETTINGS] = TenantSettingsCache(app[keys.DB],
                                                    app[keys.SETTINGS].tenant_defaults)
    yield
