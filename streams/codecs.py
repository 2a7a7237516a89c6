"""Bytes <-> schema objects for Kafka values: orjson for speed, msgspec for validation."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
import orjson

from streams.exceptions import DecodeError

T = TypeVar("T")


def encode(value: Any) -> bytes:
    """Serialise a schema dataclass (or plain JSON data) to JSON bytes."""
    return orjson.dumps(value)


def decode(raw: bytes, schema: type[T]) -> T:
    """Parse JSON bytes into ``schema``, raising :class:`DecodeError` with the reason."""
    try:
        return msgspec.convert(orjson.loads(raw), schema)
    except (orjson.JSONDecodeError, msgspec.ValidationError, TypeError) as exc:
        raise DecodeError(f"{schema.__name__}: {exc}") from exc
