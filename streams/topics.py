"""Every Kafka topic of lecturecast, declared once.

Producers, agents, the provisioning script, ``python -m streams.tail`` and ``docs/topics.md``
all read these declarations; nothing else spells a topic name.

Per-user topics are keyed ``{tenant}:{user_id}`` (see :func:`user_key`) and share one partition
count (``KAFKA_PARTITIONS``), so the session agent's tables are co-partitioned with every stream
that touches a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from streams import schemas

DAY_MS = 24 * 3600 * 1000


class Partitioning(Enum):
    """How a topic's partition count is chosen."""

    PER_USER = "per_user"  # KAFKA_PARTITIONS, keyed {tenant}:{user_id}
    PER_VIDEO = "per_video"  # KAFKA_PARTITIONS, keyed {tenant}:{video_id}


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A topic: its name, how it is keyed and kept, and the schema of its values."""

    name: str
    partitioning: Partitioning
    key: str
    schema: type
    retention_ms: int | None = None  # None: the broker default
    compacted: bool = False
    description: str = ""

    def config(self) -> dict[str, str]:
        """Topic-level broker configuration for CreateTopics."""
        out: dict[str, str] = {}
        if self.retention_ms is not None:
            out["retention.ms"] = str(self.retention_ms)
        if self.compacted:
            out["cleanup.policy"] = "compact"
        return out


PLAYBACK_EVENTS = TopicSpec(
    name="lecturecast.playback-events.v1",
    partitioning=Partitioning.PER_USER,
    key="{tenant}:{user_id}",
    schema=schemas.PlaybackEventV1,
    retention_ms=7 * DAY_MS,
    description="Every player event the gateway accepted, one message per event, in the order "
    "the player sent them. The audit trail, violations and progress are computed from it.",
)

ALL_TOPICS: tuple[TopicSpec, ...] = (PLAYBACK_EVENTS,)


def user_key(tenant: str, user_id: str) -> bytes:
    """The message key of per-user topics.

    Agents read keys as raw bytes, so every producer must build them here: the same bytes give
    the same murmur2 partition and so the same table partition.
    """
    return f"{tenant}:{user_id}".encode()


def by_name(name: str) -> TopicSpec:
    """Look a topic up by its full name; KeyError names the known topics otherwise."""
    for spec in ALL_TOPICS:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in ALL_TOPICS)
    raise KeyError(f"unknown topic {name!r}; known topics: {known}")
