"""What PostgreSQL columns accept: total conversions of message fields into column values.

Each function returns a value PostgreSQL stores, or raises :class:`Unstorable` naming the field.
No other exception escapes them, whatever the message holds (a year 33658, NaN, an integer past
bigint, a NUL character, a key too long for an index...), so a consumer can turn every message
into a row or a dead letter, and a write that still fails says something about the database,
not the message.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
# A btree index entry holds at most ~2.7 kB (PostgreSQL refuses a longer one with SQLSTATE
# 54000, which is no data class); indexes combine up to two such texts with bigints.
MAX_KEY_BYTES = 1024
# A message is at most Kafka's 1 MB; this bounds the free texts that are not indexed.
MAX_TEXT_BYTES = 1024 * 1024


class Unstorable(ValueError):
    """A message field no column can hold; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def timestamptz(field: str, epoch: float) -> datetime:
    """Epoch seconds as an aware UTC datetime (years 1..9999, as Python has them)."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, float)):
        raise Unstorable(field, "not a number")
    if not math.isfinite(epoch):
        raise Unstorable(field, f"{epoch} is not a time")
    try:
        return datetime.fromtimestamp(epoch, tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise Unstorable(field, f"{epoch!r} is out of range ({exc})") from None


def bigint(field: str, value: int) -> int:
    """An integer that fits PostgreSQL's bigint."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unstorable(field, "not an integer")
    if not BIGINT_MIN <= value <= BIGINT_MAX:
        raise Unstorable(field, f"{value} is out of bigint range")
    return value


def finite(field: str, value: float) -> float:
    """A float8 that is a real number (NaN and infinities would poison greatest() and sums)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Unstorable(field, "not a number")
    if not math.isfinite(value):
        raise Unstorable(field, f"{value} is not a finite number")
    return float(value)


def integer(field: str, value: float) -> int:
    """A number truncated to PostgreSQL's integer."""
    whole = int(finite(field, value))
    if not INTEGER_MIN <= whole <= INTEGER_MAX:
        raise Unstorable(field, f"{whole} is out of integer range")
    return whole


def text(field: str, value: str, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """A string PostgreSQL's text takes: UTF-8, no NUL, at most ``max_bytes``."""
    if not isinstance(value, str):
        raise Unstorable(field, "not a string")
    if "\x00" in value:
        raise Unstorable(field, "contains a NUL character")
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        raise Unstorable(field, "is not valid UTF-8") from None
    if size > max_bytes:
        raise Unstorable(field, f"{size} bytes, more than {max_bytes}")
    return value


def key_text(field: str, value: str) -> str:
    """A text that is part of an index key (ids, types): short enough for a btree entry."""
    return text(field, value, MAX_KEY_BYTES)


def uuid_text(field: str, value: str) -> str:
    """A UUID, in PostgreSQL's canonical spelling."""
    if not isinstance(value, str):
        raise Unstorable(field, "not a string")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Unstorable(field, f"{value[:40]!r} is not a UUID") from None


def jsonb(field: str, value: Any) -> Any:
    """JSON that jsonb takes, returned as given (the pool's codec encodes it with orjson).

    orjson must encode it (integers within 64 bits, string keys, nesting under its limit) and
    no string or key may hold a NUL character, which jsonb refuses.
    """
    try:
        encoded = orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise Unstorable(field, f"not storable JSON ({exc})") from None
    if len(encoded) > MAX_TEXT_BYTES:
        raise Unstorable(field, f"{len(encoded)} bytes of JSON, more than {MAX_TEXT_BYTES}")
    if b"\\u0000" in encoded and _holds_nul(value):
        raise Unstorable(field, "contains a NUL character")
    return value


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_nul(v) for v in value)
    return False
