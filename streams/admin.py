"""Creating the declared topics (idempotent), used by provisioning and tests."""

from __future__ import annotations

import logging
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.settings import Settings
from streams.exceptions import StreamsError
from streams.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)


def durability_config(settings: Settings) -> dict[str, str]:
    """Topic configuration every topic the project creates gets from the settings.

    ``min.insync.replicas`` is set on the topic, not left to the broker's default, so that an
    ``acks=all`` write is refused (NotEnoughReplicas) rather than acknowledged by too few
    replicas whatever the cluster's own defaults are.
    """
    return {"min.insync.replicas": str(settings.kafka_min_insync_replicas)}


async def ensure_topics(settings: Settings, specs: tuple[TopicSpec, ...] = ALL_TOPICS) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    An existing topic with another partition count is an error, not something to paper over:
    the agents' tables would silently stop being co-partitioned with their streams.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = await admin.describe_topics([s.name for s in specs])
        counts = {
            t["topic"]: len(t["partitions"]) for t in existing if t.get("error_code", 0) == 0
        }
        for spec in specs:
            want = spec.partition_count(settings.kafka_partitions)
            if spec.name in counts and counts[spec.name] != want:
                raise StreamsError(
                    f"topic {spec.name} has {counts[spec.name]} partitions, settings want {want}")
        _warn_about_fewer_replicas(existing, settings.kafka_replication_factor)
        missing = [
            NewTopic(
                name=spec.name,
                num_partitions=spec.partition_count(settings.kafka_partitions),
                replication_factor=settings.kafka_replication_factor,
                topic_configs={**spec.config(), **durability_config(settings)},
            )
            for spec in specs
            if spec.name not in counts
        ]
        if missing:
            await admin.create_topics(missing)
            log.info("created topics", extra={"topics": [t.name for t in missing]})
        return [t.name for t in missing]
    finally:
        await admin.close()


def _warn_about_fewer_replicas(described: list[dict[str, Any]], want: int) -> None:
    # Only a reassignment adds replicas to an existing topic: said, not refused, so that
    # raising KAFKA_REPLICATION_FACTOR never stops a running deployment.
    for topic in described:
        if topic.get("error_code", 0) != 0:
            continue
        have = min((len(p["replicas"]) for p in topic["partitions"]), default=want)
        if have < want:
            log.warning("topic has fewer replicas than KAFKA_REPLICATION_FACTOR",
                        extra={"topic": topic["topic"], "replicas": have, "wanted": want})
