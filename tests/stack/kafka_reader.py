"""Test helper: everything currently in a topic, via the same reader as ``streams.tail``."""

from __future__ import annotations

from typing import Any

from config.settings import Settings
from streams.tail import messages
from streams.topics import TopicSpec


async def read_topic(settings: Settings, spec: TopicSpec) -> list[tuple[str, Any]]:
    """Every (key, decoded value) currently in the topic, partition by partition."""
    return [(m["key"], m["value"])
            async for m in messages(settings.kafka_bootstrap_servers, spec.name)]
