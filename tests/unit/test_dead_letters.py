"""Dead letters keep the original bytes (base64), cut to fit Kafka's message limit (pure)."""

from __future__ import annotations

import base64

from streams import codecs, dead_letters
from streams.schemas import DeadLetterV1


def _letter(key: bytes | None, value: bytes | None) -> DeadLetterV1:
    return dead_letters.letter(topic="lecturecast.progress.v1", partition=1, offset=42, key=key,
                               value=value, group="g", reason_class="convert",
                               reason="at: out of range" * 1000, at=1.8e9)


def test_a_letter_holds_the_original_message() -> None:
    dead = _letter(b"demo:student-1", b'{"at": 1e12}')
    assert base64.b64decode(dead.value or "") == b'{"at": 1e12}'
    assert dead.value_size == 12
    assert dead_letters.message_key(dead) == b"demo:student-1"
    assert len(dead.reason) == dead_letters.MAX_REASON_CHARS
    assert codecs.decode(codecs.encode(dead), DeadLetterV1) == dead


def test_a_tombstone_without_a_key_is_keyed_by_its_topic() -> None:
    dead = _letter(None, None)
    assert (dead.key, dead.value, dead.value_size) == (None, None, 0)
    assert dead_letters.message_key(dead) == b"lecturecast.progress.v1"


def test_a_huge_value_is_cut_so_the_letter_fits_a_kafka_message() -> None:
    dead = _letter(b"k" * 100_000, b"x" * 5_000_000)
    assert dead.value_size == 5_000_000
    assert len(base64.b64decode(dead.value or "")) == dead_letters.MAX_VALUE_BYTES
    assert len(codecs.encode(dead)) < 1_000_000
