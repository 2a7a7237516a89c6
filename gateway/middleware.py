"""Request ids, metrics, access logs and the one place where errors become HTTP responses."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from config.logs import request_id_var
from gateway import keys
from gateway.exceptions import ApiError
from gateway.validation import check_request_line
from storage.exceptions import ConstraintError, NotFoundError
from storage.unavailable import UNAVAILABLE

log = logging.getLogger("gateway.access")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_MAX_CLIENT_REQUEST_ID = 128
# Seconds a client should wait when a store is down or its pool has no free connection.
_UNAVAILABLE_RETRY_AFTER = 1


def route_name(request: web.Request) -> str:
    """The metric label of a request's route."""
    # The route pattern, not the path: /videos/{id}/ keeps metric label cardinality bounded.
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"


def _json_error(status: int, body: dict[str, object],
                headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


@web.middleware
async def request_context_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Assign a request id (or keep a sane client one), time the request, log one line."""
    incoming = request.headers.get("X-Request-ID", "")
    rid = incoming if 0 < len(incoming) <= _MAX_CLIENT_REQUEST_ID and incoming.isprintable() \
        else uuid.uuid4().hex
    token = request_id_var.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await error_boundary(request, handler)
        status = response.status
        response.headers["X-Request-ID"] = rid
        return response
    finally:
        elapsed = time.perf_counter() - started
        route = route_name(request)
        metrics = request.app[keys.METRICS]
        metrics.requests.labels(request.method, route, str(status)).inc()
        metrics.latency.labels(request.method, route).observe(elapsed)
        # The path as sent (percent-encoded): a decoded one could carry line breaks into logs.
        log.info("%s %s %s", request.method, request.rel_url.raw_path, status,
                 extra={"status": status, "ms": round(elapsed * 1000, 2), "route": route})
        request_id_var.reset(token)


async def error_boundary(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Map every exception to a JSON response: ApiError by its status, a store unavailable to
    503 + Retry-After, the rest to 500."""
    try:
        check_request_line(request)
        return await handler(request)
    except ApiError as exc:
        return _json_error(exc.status, exc.body(), exc.headers)
    except NotFoundError:
        return _json_error(404, {"detail": "Not found."})
    except ConstraintError as exc:
        return _json_error(400, {exc.field: [exc.message]})
    except UNAVAILABLE as exc:
        # A store down, slow or out of pool connections: the client should retry, not report
        # a bug. Logged without a traceback, since a burst produces many of these.
        log.warning("store unavailable: %s: %s", type(exc).__name__, exc)
        return _json_error(503, {"detail": "service_unavailable"},
                           {"Retry-After": str(_UNAVAILABLE_RETRY_AFTER)})
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
        return _json_error(exc.status, {"detail": exc.reason}, headers)
    except Exception:
        log.exception("unhandled error")
        return _json_error(500, {"detail": "Internal server error.",
                                 "request_id": request_id_var.get()})
