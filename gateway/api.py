"""The API's operations, registered once: routes for aiohttp and the OpenAPI 3.1 document.

Request and response models are the same msgspec Structs / dataclasses the handlers validate
with, so the document cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from aiohttp import web

from gateway import fields, pagination

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# ``{"detail": "..."}``, or field errors ``{"field": ["message", ...]}``.
_ERROR = {"type": "object", "properties": {"detail": {"type": "string"}},
          "additionalProperties": {"type": "array", "items": {"type": "string"}}}
_ERRORS = {
    400: "Invalid input: the field errors or the detail say what",
    401: "Not authenticated (or the playback token is invalid, expired or not this user's)",
    403: "Not allowed",
    404: "No such object in the caller's academy",
    409: "Conflicts with the current state (a session not live, a limit reached...)",
    413: "The body is larger than the operation takes",
    429: "Too many requests: retry after Retry-After seconds",
    503: "A dependency is unavailable: retry after Retry-After seconds",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying",
                                "schema": {"type": "string"}}}


@dataclass(frozen=True, slots=True)
class Operation:
    """One method on one path, with what it takes and returns."""

    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: Any = None
    response: Any = None
    status: int = 200
    paginated: bool = False
    query: tuple[str, ...] = ()
    roles: str = "admin, staff, teacher"
    # Error statuses besides those every operation may answer (400, 401, 403; 404 with path
    # parameters; 413 with a body), e.g. 409 and 503 of the playback operations.
    errors: tuple[int, ...] = ()
    media_type: str = "application/json"
    also: tuple[int, ...] = ()  # other success statuses with the same body (e.g. 200 on a retry)

    def error_statuses(self) -> list[int]:
        """Every error status this operation may answer, for its OpenAPI responses."""
        found = {400, 401, 403, *self.errors}
        if _path_params(self.path):
            found.add(404)
        if self.body is not None or self.method in ("POST", "PATCH", "PUT"):
            found.add(413)
        return sorted(found)
    rate_limited: str = ""  # the route class of policy.rate_limits charged, if any: 429


class Api:
    """A registry of operations; :meth:`install` adds them to an app's router."""

    def __init__(self, title: str, version: str) -> None:
        self.title = title
        self.version = version
        self.operations: list[Operation] = []

    def add(self, method: str, path: str, handler: Handler, **meta: Any) -> None:
        """Register an operation (see :class:`Operation` for the metadata)."""
        self.operations.append(Operation(method, path, handler, **meta))

    def install(self, app: web.Application) -> None:
        """Add every operation to the app's router."""
        for op in self.operations:
            app.router.add_route(op.method, op.path, op.handler)

    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every registered operation."""
        types = [t for op in self.operations for t in (op.body, op.response) if t is not None]
        refs, components = msgspec.json.schema_components(
            types, ref_template="#/components/schemas/{name}")
        schema_of = dict(zip(map(id, types), refs))
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            params = [{"name": n, "in": "path", "required": True, "schema": schema}
                      for n, schema in _path_params(op.path).items()]
            params += [{"name": q, "in": "query", "required": False,
                        "schema": pagination.QUERY_SCHEMAS.get(q) or fields.query_schema(q)}
                       for q in op.query]
            responses = {str(s): _response(op, schema_of) for s in (op.status, *op.also)}
            for status in op.error_statuses():
                content: dict[str, Any] = {"application/json": {"schema": _ERROR}}
                if status == 400:  # aiohttp's own answer to a malformed request (line > 8 KiB)
                    content["text/plain"] = {"schema": {"type": "string"}}
                responses[str(status)] = {
                    "description": _ERRORS[status], "content": content,
                    **({"headers": _RETRY_AFTER} if status in (429, 503) else {})}
            entry: dict[str, Any] = {
                "summary": op.summary, "tags": [op.tag], "parameters": params,
                "description": f"Roles: {op.roles}.", "responses": responses,
            }
            if op.rate_limited:
                entry["responses"]["429"] = _too_many(op.rate_limited)
            if op.body is not None:
                entry["requestBody"] = {"required": True, "content": {
                    "application/json": {"schema": schema_of[id(op.body)]}}}
            paths.setdefault(_openapi_path(op.path), {})[op.method.lower()] = entry
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "components": {"schemas": components,
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                          "bearerFormat": "JWT"}}},
            "security": [{"bearer": []}],
            "paths": paths,
        }


def _path_params(path: str) -> dict[str, dict[str, Any]]:
    # aiohttp's "{id:\d+}" -> ("id", an integer); "{sid:[0-9a-f]{32}}" -> a string pattern.
    out: dict[str, dict[str, Any]] = {}
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name, _, regex = part[1:-1].partition(":")
            out[name] = {"type": "integer", "minimum": 0} if regex == r"\d+" else \
                {"type": "string", "pattern": f"^{regex}$" if regex else fields.SINGLE_LINE}
    return out


def _openapi_path(path: str) -> str:
    # aiohttp's "{id:\d+}" -> OpenAPI's "{id}"
    return "/".join(f"{{{p[1:-1].split(':')[0]}}}" if p.startswith("{") else p
                    for p in path.split("/"))


def _too_many(route: str) -> dict[str, Any]:
    return {"description": f"Over the caller's or the academy's `{route}` rate limit "
                           "(tenant settings `rate_" + route + "_*_per_minute`)",
            "headers": {"Retry-After": {"description": "whole seconds to wait (>= 1)",
                                        "schema": {"type": "integer", "minimum": 1}}},
            "content": {"application/json": {"schema": {"type": "object", "properties": {
                "detail": {"const": "rate_limited"}, "route": {"type": "string"},
                "scope": {"enum": ["user", "tenant"]},
                "retry_after": {"type": "integer", "minimum": 1}}}}}}


def _response(op: Operation, schema_of: dict[int, Any]) -> dict[str, Any]:
    if op.response is None:
        if op.media_type != "application/json":
            return {"description": "OK", "content": {op.media_type: {
                "schema": {"type": "string", "format": "binary"}}}}
        return {"description": "Done"}
    schema = schema_of[id(op.response)]
    if op.paginated:
        schema = {"type": "object", "properties": {
            "count": {"type": "integer"}, "next": {"type": ["string", "null"]},
            "previous": {"type": ["string", "null"]}, "results": {"type": "array", "items": schema}}}
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}
