"""Request bodies: JSON (or a beacon's text/plain JSON) validated into a schema, or a 400."""

from __future__ import annotations

from typing import TypeVar

import msgspec
import orjson
from aiohttp import web

from gateway.exceptions import BadRequest

T = TypeVar("T")

# navigator.sendBeacon sends a string body as text/plain and cannot set headers.
_JSON_TYPES = {"application/json", "text/plain", ""}


async def read_body(request: web.Request, schema: type[T]) -> T:
    """Parse and validate the body; :class:`BadRequest` says what is wrong and where."""
    if request.content_type not in _JSON_TYPES:
        raise BadRequest(f"Unsupported content type {request.content_type!r}; send JSON.")
    raw = await request.read()
    if not raw:
        raise BadRequest("Request body is empty; send a JSON object.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object.")
    try:
        return msgspec.convert(data, schema)
    except msgspec.ValidationError as exc:
        raise BadRequest(str(exc)) from exc
