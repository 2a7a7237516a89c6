"""``streams.lag.backlog`` against the real broker: what a group has not committed yet."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from config.settings import Settings
from streams.lag import backlog

pytestmark = pytest.mark.stack


async def test_backlog_counts_what_the_group_has_not_committed(settings: Settings) -> None:
    bootstrap, topic = settings.kafka_bootstrap_servers, f"test-lag-{uuid.uuid4().hex}"
    group = f"{topic}-group"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2,
                                              replication_factor=settings.kafka_replication_factor)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, b"x", partition=i % 2)  # 3 on 0, 2 on 1
    finally:
        await producer.stop()
    assert await backlog(bootstrap, group, topic) == 5  # never committed: all of it
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        await consumer.commit({TopicPartition(topic, 0): 2, TopicPartition(topic, 1): 2})
    finally:
        await consumer.stop()
    assert await backlog(bootstrap, group, topic) == 1
    with pytest.raises(LookupError):
        await backlog(bootstrap, group, f"{topic}-missing")
