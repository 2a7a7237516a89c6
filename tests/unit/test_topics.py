"""Topic declarations: unique, versioned, keyed as documented, and documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from streams import codecs, topics
from streams.exceptions import DecodeError
from streams.schemas import PlaybackEventV1

DOCS = Path(__file__).resolve().parents[2] / "docs" / "topics.md"


def test_names_are_unique_and_versioned() -> None:
    names = [t.name for t in topics.ALL_TOPICS]
    assert len(names) == len(set(names))
    for spec in topics.ALL_TOPICS:
        version = spec.name.rsplit(".", 1)[-1]
        assert version.startswith("v") and version[1:].isdigit(), spec.name
        assert spec.schema.__name__.endswith(version.upper()), (spec.name, spec.schema)


@pytest.mark.parametrize("spec", topics.ALL_TOPICS, ids=lambda s: s.name)
def test_every_topic_is_documented_with_its_fields(spec: topics.TopicSpec) -> None:
    text = DOCS.read_text()
    assert f"`{spec.name}`" in text
    for f in dataclasses.fields(spec.schema):
        assert f"`{f.name}`" in text, f"{spec.name}: field {f.name} not in docs/topics.md"


def test_user_keys_are_the_same_bytes_for_every_producer() -> None:
    assert topics.user_key("acme", "42") == b"acme:42"
    assert topics.video_key("acme", 7) == b"acme:7"


def test_codec_round_trip_and_reasons() -> None:
    event = PlaybackEventV1("id", "acme", 1, "42", 7, 9, "s", "PAUSE", 1.5, 2.5)
    assert codecs.decode(codecs.encode(event), PlaybackEventV1) == event
    with pytest.raises(DecodeError, match="video_id"):
        codecs.decode(b'{"event_id": "x", "video_id": "seven"}', PlaybackEventV1)
    with pytest.raises(DecodeError):
        codecs.decode(b"not json", PlaybackEventV1)


def test_retention_and_compaction_become_topic_config() -> None:
    spec = topics.TopicSpec("x.v1", "k", PlaybackEventV1, retention_ms=5, compacted=True)
    assert spec.config() == {"retention.ms": "5", "cleanup.policy": "compact"}
    assert topics.PLAYBACK_EVENTS.config() == {"retention.ms": str(7 * topics.DAY_MS)}


def test_unknown_topic_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=topics.PLAYBACK_EVENTS.name):
        topics.by_name("nope")
