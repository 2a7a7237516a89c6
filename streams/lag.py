"""How far a consumer group is behind on a topic: the messages in it the group has not committed.

For tests and benchmarks that must wait until a group has caught up (a group that never
committed a partition is behind by everything still in it).
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient


async def backlog(bootstrap: str, group: str, topic: str) -> int:
    """Messages of ``topic`` that ``group`` has not committed, over every partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        # The admin's metadata, not the consumer's: partitions_for_topic() answers None for a
        # topic the consumer is not subscribed to.
        (described,) = await admin.describe_topics([topic])
        parts = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        if described["error_code"] or not parts:
            raise LookupError(f"no partitions for topic {topic!r}")
        ends = await consumer.end_offsets(parts)
        starts = await consumer.beginning_offsets(parts)
        committed = await admin.list_consumer_group_offsets(group, partitions=parts)
        behind = 0
        for tp in parts:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else starts[tp]
            behind += max(0, ends[tp] - done)
        return behind
    finally:
        await consumer.stop()
        await admin.close()


async def group_lags(bootstrap: str) -> dict[str, int]:
    """Every consumer group's uncommitted messages, summed over the partitions it committed."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        lags: dict[str, int] = {}
        for group, _protocol in await admin.list_consumer_groups():
            committed = await admin.list_consumer_group_offsets(group)
            parts = [tp for tp, meta in committed.items() if meta.offset >= 0]
            ends = await consumer.end_offsets(parts) if parts else {}
            lags[group] = sum(max(0, ends[tp] - committed[tp].offset) for tp in parts)
        return lags
    finally:
        await consumer.stop()
        await admin.close()
