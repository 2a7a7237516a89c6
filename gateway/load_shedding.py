"""The gateway's bound on requests in flight (see :mod:`policy.load_shedding`)."""

from __future__ import annotations

from aiohttp import web

from gateway import keys
from gateway.exceptions import ServiceUnavailable
from gateway.middleware import Handler, route_name
from policy.load_shedding import RETRY_AFTER_SECONDS, admits


class InFlight:
    """How many requests this gateway is handling now (one event loop: a plain int)."""

    def __init__(self) -> None:
        self.count = 0


# Here rather than in gateway.keys: only this module reads it.
IN_FLIGHT = web.AppKey("in_flight", InFlight)


def setup(app: web.Application) -> None:
    """Give ``app`` its in-flight count; add :func:`shedding_middleware` to its middlewares."""
    app[IN_FLIGHT] = InFlight()


@web.middleware
async def shedding_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run the request if under ``GATEWAY_MAX_IN_FLIGHT``, else raise 503 at once."""
    app = request.app
    in_flight = app[IN_FLIGHT]
    if not admits(in_flight.count, app[keys.SETTINGS].gateway_max_in_flight, request.path):
        app[keys.METRICS].shed.labels(route_name(request)).inc()
        raise ServiceUnavailable("overloaded", retry_after=RETRY_AFTER_SECONDS)
    in_flight.count += 1
    try:
        return await handler(request)
    finally:
        in_flight.count -= 1
