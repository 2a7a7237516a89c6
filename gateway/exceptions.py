"""HTTP-facing errors of the gateway, mapped to responses by one middleware.

Handlers raise these; ``gateway.middleware.error_middleware`` turns each into
``{"detail": ...}`` with its status. ``detail`` keeps the seed's machine-readable codes
(``video_not_ready``, ``token_expired``...) where the seed had them.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error with an HTTP status and a ``detail`` for the client."""

    status: int = 500

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        """The JSON body of the response."""
        return {"detail": self.detail, **self.extra}


class BadRequest(ApiError):
    """400: the request is malformed; ``detail`` says what and where."""

    status = 400


class Unauthorized(ApiError):
    """401: missing, malformed, expired or badly signed credentials."""

    status = 401

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(ApiError):
    """403: authenticated, but not allowed."""

    status = 403


class NotFound(ApiError):
    """404: no such object in the caller's tenant."""

    status = 404


class Conflict(ApiError):
    """409: the request conflicts with the current state."""

    status = 409


class PayloadTooLarge(ApiError):
    """413: the body exceeds the endpoint's limit."""

    status = 413


class ServiceUnavailable(ApiError):
    """503: a dependency is down or slow; the client may retry after ``Retry-After``."""

    status = 503

    def __init__(self, detail: str, retry_after: int = 1, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail, **kwargs)


def error_for(status: int, detail: str) -> ApiError:
    """The error class of a 4xx status, carrying ``detail`` (e.g. a seed refusal code)."""
    by_status: dict[int, type[ApiError]] = {400: BadRequest, 401: Unauthorized, 403: Forbidden,
                                            404: NotFound, 409: Conflict}
    return by_status[status](detail)


class TooManyRequests(ApiError):
    """429: over a rate limit; ``Retry-After`` says in how many whole seconds to try again."""

    status = 429

    def __init__(self, detail: str, retry_after: int, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        kwargs["extra"] = {**kwargs.get("extra", {}), "retry_after": retry_after}
        super().__init__(detail, **kwargs)
