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

from gateway import fields
from gateway.exceptions import BadRequest, PayloadTooLarge

T = TypeVar("T")
MAX_JSON_BYTES = 1024 * 1024
# Deeper than any body the API takes (an event payload sits at depth 4, its own bound is 8);
# checked on the raw bytes, before a parser or a recursive walk sees the nesting.
MAX_JSON_DEPTH = 32
MAX_BIGINT = 2**63 - 1

# navigator.sendBeacon sends a string body as text/plain and cannot set headers.
_JSON_TYPES = {"application/json", "text/plain", ""}
_AT_PATH = re.compile(r"^(?P<msg>.*) - at `\$(?P<path>[^`]*)`$")
_MISSING = re.compile(r"^Object missing required field `(?P<field>[^`]+)`(?: - at `\$(?P<path>[^`]*)`)?$")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<field>[^`]+)`(?: - at `\$(?P<path>[^`]*)`)?$")
_INTEGER = re.compile(r"-?[0-9]{1,20}")
# A JSON string token (escapes included) or a bracket: strings are skipped whole.
_JSON_NESTING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)


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
        return FieldErrors({prefix + _field_name(m["path"]): [_readable(m["msg"])]})
    return FieldErrors({prefix.rstrip(".") or "non_field_errors": [text + "."]})


def _readable(message: str) -> str:
    # msgspec names the regex a string failed; say what the rule means instead.
    for pattern, meaning in fields.MESSAGES.items():
        if message == f"Expected `str` matching regex {pattern!r}":
            return meaning
    return message + "."


def convert(data: Any, model: type[T], prefix: str = "") -> T:
    """Validate already-parsed data into ``model``; :class:`FieldErrors` otherwise."""
    try:
        return msgspec.convert(data, model)
    except msgspec.ValidationError as exc:
        raise field_errors(exc, prefix) from exc


async def _read_at_most(request: web.Request, limit: int) -> bytes:
    # StreamReader.read(n) answers what has arrived, up to n: a large body needs several reads.
    raw = bytearray()
    while len(raw) < limit:
        chunk = await request.content.read(limit - len(raw))
        if not chunk:
            break
        raw += chunk
    return bytes(raw)


async def read_json(request: web.Request) -> Any:
    """The parsed JSON body (any JSON value): 413 over 1 MiB, 400 when not JSON."""
    if request.content_type not in _JSON_TYPES:
        raise BadRequest(f"Unsupported content type {request.content_type!r}; send JSON.")
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    raw = await _read_at_most(request, MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLarge(f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    if not raw:
        raise BadRequest("Request body is empty; send a JSON object.")
    if nesting_exceeds(raw, MAX_JSON_DEPTH):
        raise BadRequest(f"Request body is nested too deep: at most {MAX_JSON_DEPTH} levels.")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Request body is not valid JSON: {exc}.") from exc
    problem = fields.text_problems(data)
    if problem:
        raise FieldErrors({problem[0] or "non_field_errors": [problem[1]]})
    return data


def nesting_exceeds(raw: bytes, limit: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than ``limit`` (brackets in strings aside)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_NESTING.finditer(raw):
        char = token.group()
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


async def read_body(request: web.Request, model: type[T]) -> T:
    """A JSON object body validated into ``model``."""
    data = await read_json(request)
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object.")
    return convert(data, model)


async def read_one_or_many(request: web.Request, model: type[T],
                           max_items: int = 5000) -> tuple[list[T], bool]:
    """An object or a list of objects (bulk create); returns (items, was_a_list)."""
    data = await read_json(request)
    if isinstance(data, list):
        if not data:
            raise BadRequest("An empty list creates nothing; send at least one object.")
        if len(data) > max_items:
            raise BadRequest(f"At most {max_items} objects per request.")
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
              minimum: int = 0, maximum: int = MAX_BIGINT) -> int | None:
    """An integer query parameter within [minimum, maximum] (a bigint by default), or 400."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not _INTEGER.fullmatch(raw):
        raise FieldErrors({name: ["A valid integer is required."]})
    value = int(raw)
    if not minimum <= value <= maximum:
        raise FieldErrors({name: [f"Must be between {minimum} and {maximum}."]})
    return value


def query_text(request: web.Request, name: str, *, max_length: int = fields.MAX_FILTER,
               choices: tuple[str, ...] = ()) -> str | None:
    """A text filter from the query string: one line, bounded, or one of ``choices``; None
    when absent or empty. 400 ``{name: [...]}`` otherwise."""
    raw = request.query.get(name)
    if not raw:
        return None
    if not fields.is_single_line(raw):
        raise FieldErrors({name: [fields.MESSAGES[fields.SINGLE_LINE]]})
    if len(raw) > max_length:
        raise FieldErrors({name: [f"At most {max_length} characters."]})
    if choices and raw not in choices:
        raise FieldErrors({name: [f"Must be one of: {', '.join(choices)}."]})
    return raw


def check_request_line(request: web.Request) -> None:
    """Refuse a path or any query parameter (known or not) holding a control character, and
    overlong query values: 400 naming the parameter. Runs before every handler."""
    if not fields.is_single_line(request.path):
        raise BadRequest("The path must not contain control characters.")
    for key, value in request.query.items():
        if not fields.is_single_line(key):
            raise FieldErrors({"query": ["Parameter names must not contain control characters."]})
        if not fields.is_single_line(value):
            raise FieldErrors({key: [fields.MESSAGES[fields.SINGLE_LINE]]})
        if len(value) > fields.MAX_QUERY_VALUE:
            raise FieldErrors({key: [f"At most {fields.MAX_QUERY_VALUE} characters."]})
