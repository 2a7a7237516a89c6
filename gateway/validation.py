"""Request input: JSON bodies and query strings validated into declared models, or a 400.

Field errors answer ``{field: [messages]}`` like the seed's DRF API; anything else
``{"detail": ...}``. Models are msgspec Structs (or dataclasses); :func:`partial` derives the
PATCH model of a create model so the two never drift apart.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
import orjson
from aiohttp import web

from gateway.exceptions import BadRequest, PayloadTooLarge

T = TypeVar("T")
MAX_JSON_BYTES = 1024 * 1024

# navigator.sendBeacon sends a string body as text/plain and cannot set headers.
_JSON_TYPES = {"application/json", "text/plain", ""}
_AT_PATH = re.compile(r"^(?P<msg>.*) - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`(?: - at `\$(?P<path>[^`]*)`)?$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`(?: - at `\$(?P<path>[^`]*)`)?$")


class FieldErrors(BadRequest):
    """400 ``{field: [messages]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """DRF's shape: one list of messages per field."""
        return dict(self.errors)


def _field_name(path: str) -> str:
    # "$.events[0].type" -> "events.0.type"; "$[2].title" -> "2.title"
    return re.sub(r"\[(\d+)\]", r".\1", path).lstrip(".") or "non_field_errors"


def field_errors(exc: msgspec.ValidationError, prefix: str = "") -> FieldErrors:
    """Turn msgspec's message (one error, with a JSON path) into ``{field: [message]}``."""
    text = str(exc)
    for pattern, message in ((_MISSING, "This field is required."),
                             (_UNKNOWN, "Unknown field.")):
        m = pattern.match(text)
        if m:
            name = _field_name(f"{m['path'] or ''}.{m['field']}")
            return FieldErrors({prefix + name: [message]})
    m = _AT_PATH.match(text)
    if m:
        return FieldErrors({prefix + _field_name(m["path"]): [m["msg"] + "."]})
    return FieldErrors({prefix.rstrip(".") or "non_field_errors": [text + "."]})


def convert(data: Any, model: type[T], prefix: str = "") -> T:
    """Validate already-parsed data into ``model``; :class:`FieldErrors` otherwise."""
    try:
        return msgspec.convert(data, model)
    except msgspec.ValidationError as exc:
        raise field_errors(exc, prefix) from exc


async def read_json(request: web.Request) -> Any:
    """The parsed JSON body (any JSON value): 413 over 1 MiB, 400 when not JSON."""
    if request.content_type not in _JSON_TYPES:
        raise BadRequest(f"Unsupported content type {request.content_type!r}; send JSON.")
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    raw = await request.content.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    if not raw:
        raise BadRequest("Request body is empty; send a JSON object.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}.") from exc


async def read_body(request: web.Request, model: type[T]) -> T:
    """A JSON object body validated into ``model``."""
    data = await read_json(request)
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object.")
    return convert(data, model)


async def read_one_or_many(request: web.Request, model: type[T]) -> tuple[list[T], bool]:
    """An object or a list of objects (bulk create); returns (items, was_a_list)."""
    data = await read_json(request)
    if isinstance(data, list):
        if not data:
            raise BadRequest("An empty list creates nothing; send at least one object.")
        if len(data) > 5000:
            raise BadRequest("At most 5000 objects per request.")
        return [convert(item, model, prefix=f"{i}.") for i, item in enumerate(data)], True
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object or a list of objects.")
    return [convert(data, model)], False


def partial(model: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """The PATCH model of ``model``: the same fields and constraints, every one optional."""
    fields = [(f.name, f.type | msgspec.UnsetType, msgspec.UNSET)
              for f in msgspec.structs.fields(model)]
    return msgspec.defstruct(f"{model.__name__}Patch", fields, forbid_unknown_fields=True,
                             kw_only=True)


def changes(patch: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually set."""
    return {f: v for f in patch.__struct_fields__
            if (v := getattr(patch, f)) is not msgspec.UNSET}


def query_int(request: web.Request, name: str, default: int | None = None, *,
              minimum: int = 0, maximum: int | None = None) -> int | None:
    """An integer query parameter, or 400 ``{name: [...]}``."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FieldErrors({name: ["A valid integer is required."]}) from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise FieldErrors({name: [f"Must be {bound}."]})
    return value
