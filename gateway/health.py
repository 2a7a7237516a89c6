"""Liveness, readiness and metrics endpoints.

``/readyz`` is public (load balancers call it without credentials): it names the dependency
that fails and how (``error`` or ``timeout``), never the exception text, which carries
addresses, ports and driver messages. That text goes to the log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway import keys
from gateway.metrics import CONTENT_TYPE

log = logging.getLogger(__name__)
_CHECK_TIMEOUT_SECONDS = 2.0


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and serving."""
    return web.json_response({"status": "ok"})


async def _check(name: str, probe: Callable[[], Awaitable[object]]) -> str:
    try:
        await asyncio.wait_for(probe(), _CHECK_TIMEOUT_SECONDS)
        return "ok"
    except asyncio.TimeoutError:
        log.warning("readiness: %s did not answer in %gs", name, _CHECK_TIMEOUT_SECONDS,
                    extra={"dependency": name})
        return "timeout"
    except Exception as exc:  # a readiness probe reports any failure, it never raises
        log.warning("readiness: %s failed: %s: %s", name, type(exc).__name__, exc,
                    extra={"dependency": name})
        return "error"


# What the player's hot paths (events, heartbeats) cannot do without. PostgreSQL and S3 away
# make reads, plays and uploads answer 503, but players keep being served: a gateway stays in
# its load balancer ("degraded"), since taking every gateway out for a shared database outage
# would refuse the events Kafka could still hold.
_ESSENTIAL = frozenset({"kafka", "redis"})


async def readyz(request: web.Request) -> web.Response:
    """200 ``ok`` when Kafka, PostgreSQL, Redis and S3 all answer; 200 ``degraded`` naming
    PostgreSQL or S3 when only they fail; 503 ``unavailable`` when Kafka or Redis fail."""
    app = request.app
    probes: dict[str, Callable[[], Awaitable[object]]] = {
        "kafka": app[keys.PUBLISHER].ping,
        "postgres": lambda: app[keys.DB].fetchval("SELECT 1"),
        "redis": app[keys.REDIS].ping,
        "s3": app[keys.OBJECTS].ping,
    }
    results = await asyncio.gather(*(_check(name, p) for name, p in probes.items()))
    checks = dict(zip(probes, results))
    failing = sorted(name for name, result in checks.items() if result != "ok")
    if not failing:
        return web.json_response({"status": "ok", "checks": checks})
    if _ESSENTIAL.isdisjoint(failing):
        return web.json_response({"status": "degraded", "failing": failing, "checks": checks})
    return web.json_response(
        {"status": "unavailable", "failing": failing, "checks": checks}, status=503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition."""
    body = request.app[keys.METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def setup_routes(app: web.Application) -> None:
    """Register the operational endpoints."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
