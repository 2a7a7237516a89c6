"""Bytes <-> schema objects for Kafka values: orjson for speed, msgspec for validation."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

import msgspec
import orjson

from streams.exceptions import DecodeError

T = TypeVar("T")


def encode(value: Any) -> bytes:
    """Serialise a schema dataclass (or plain JSON data) to JSON bytes."""
    return orjson.dumps(value)


def decode_or_log(raw: bytes, schema: type[T], log: logging.Logger) -> T | None:
    """Decode, or log why and return None: a consumer skips a value only our own services
    could have produced wrongly (a bug to see), rather than retrying it forever."""
    try:
        return decode(raw, schema)
    except DecodeError as exc:
        log.error("dropping undecodable %s", schema.__name__, extra={"reason": str(exc)})
        return None


def decode(raw: bytes, schema: type[T]) -> T:
    """Parse JSON bytes into ``schema``, raising :class:`DecodeError` with the reason."""
    try:
        return msgspec.convert(orjson.loads(raw), schema)
    except (orjson.JSONDecodeError, msgspec.ValidationError, TypeError) as exc:
        raise DecodeError(f"{schema.__name__}: {exc}") from exc
