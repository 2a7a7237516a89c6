"""Message fields to column values: a value, or Unstorable naming the field, never another
exception, whatever the message holds (pure)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from storage import columns as C

NESTED: Any = []
for _ in range(300):
    NESTED = [NESTED]


@pytest.mark.parametrize(("convert", "value", "expected"), [
    (C.timestamptz, 1.8e9, datetime.fromtimestamp(1.8e9, tz=UTC)),
    (C.timestamptz, 0, datetime(1970, 1, 1, tzinfo=UTC)),
    (C.bigint, 2**63 - 1, 2**63 - 1),
    (C.bigint, -(2**63), -(2**63)),
    (C.integer, 12.9, 12),
    (C.finite, 3, 3.0),
    (C.text, "a" * 5000, "a" * 5000),
    (C.key_text, "é" * 512, "é" * 512),
    (C.uuid_text, "6F1E9C2A-3B7D-4C55-9A0E-8D2F4B6C1A73", "6f1e9c2a-3b7d-4c55-9a0e-8d2f4b6c1a73"),
    (C.jsonb, {"a": [1, 2.5, None, "\\u0000 spelled out"]},
     {"a": [1, 2.5, None, "\\u0000 spelled out"]}),
])
def test_storable_values_pass(convert: Callable[[str, Any], Any], value: Any,
                              expected: Any) -> None:
    assert convert("f", value) == expected


@pytest.mark.parametrize(("convert", "value"), [
    (C.timestamptz, 1e12),  # year 33658: the finding
    (C.timestamptz, -1e12),
    (C.timestamptz, 1e300),
    (C.timestamptz, float("inf")),
    (C.timestamptz, float("nan")),
    (C.timestamptz, "1.8e9"),
    (C.bigint, 2**63),
    (C.bigint, -(2**63) - 1),
    (C.bigint, 2**64 - 1),
    (C.bigint, True),
    (C.bigint, 1.0),
    (C.integer, 2**31),
    (C.integer, 1e300),
    (C.integer, float("nan")),
    (C.finite, float("inf")),
    (C.finite, float("-inf")),
    (C.finite, float("nan")),
    (C.text, "a\x00b"),
    (C.text, "\ud800"),  # a lone surrogate: not UTF-8
    (C.text, 7),
    (C.key_text, "s" * 1025),
    (C.key_text, "é" * 513),  # counted in bytes
    (C.uuid_text, "not-a-uuid"),
    (C.uuid_text, None),
    (C.jsonb, {"note": "a\x00b"}),
    (C.jsonb, {"a\x00": 1}),
    (C.jsonb, [[["deep", "\x00"]]]),
    (C.jsonb, {"n": 2**64}),  # beyond what orjson (and jsonb's numeric path here) encodes
    (C.jsonb, NESTED),  # deeper than orjson encodes
    (C.jsonb, {"x": object()}),
    (C.jsonb, "\ud800"),
])
def test_unstorable_values_name_their_field(convert: Callable[[str, Any], Any],
                                            value: Any) -> None:
    with pytest.raises(C.Unstorable, match="^the_field: ") as raised:
        convert("the_field", value)
    assert raised.value.field == "the_field"
