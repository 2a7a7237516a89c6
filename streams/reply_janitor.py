"""The janitor of the gateways' reply topics: the Kafka side of :mod:`policy.reply_topics`.

One sweep lists the reply topics, reads each one's retention and newest record, and applies
the policy's verdicts: idle topics are deleted (idempotent, so several gateways sweeping at
once is harmless), topics with no evidence of their age are dated. A topic it could not fully
observe (it vanished, or its newest record did not come) is left alone until the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from config.settings import Settings
from policy.reply_topics import Action, ReplyTopicView, judge
from streams import topics
from streams.admin import durability_config
from streams.publisher import Publisher

log = logging.getLogger(__name__)
FETCH_TIMEOUT_SECONDS = 10.0
PROBE_TIMEOUT_SECONDS = 10.0
NO_ERROR = 0


@dataclass(slots=True)
class SweepReport:
    """The topics one sweep deleted, dated and kept."""

    deleted: list[str] = field(default_factory=list)
    dated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _retention_seconds(resource: dict[str, Any]) -> float | None:
    for entry in resource["config_entries"]:
        if entry["config_names"] == "retention.ms":
            ms = int(entry["config_value"])
            return math.inf if ms < 0 else ms / 1000
    return None


async def _retentions(admin: AIOKafkaAdminClient, names: list[str]) -> dict[str, float]:
    responses = await admin.describe_configs(
        [ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    out: dict[str, float] = {}
    for response in responses:
        for resource in response.to_object()["resources"]:
            retention = _retention_seconds(resource)
            if resource["error_code"] == NO_ERROR and retention is not None:
                out[resource["resource_name"]] = retention
    return out


async def _newest_records(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]
                          ) -> dict[str, float]:
    """Epoch seconds of the newest record of each partition ``ends`` gives the end of."""
    newest: dict[str, float] = {}
    if not ends:
        return newest
    consumer.assign(list(ends))
    for tp, end in ends.items():
        consumer.seek(tp, end - 1)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FETCH_TIMEOUT_SECONDS
    while len(newest) < len(ends) and loop.time() < deadline:
        batches = await consumer.getmany(timeout_ms=500)
        for tp, records in batches.items():
            if records:
                newest[tp.topic] = max(r.timestamp for r in records) / 1000
                consumer.pause(tp)
    return newest


async def survey(settings: Settings, admin: AIOKafkaAdminClient) -> list[ReplyTopicView]:
    """What the cluster says of every reply topic it could fully observe."""
    names = [n for n in await admin.list_topics() if n.startswith(topics.REPLY_TOPIC_PREFIX)]
    if not names:
        return []
    retentions = await _retentions(admin, names)
    tps = [TopicPartition(name, 0) for name in retentions]
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers,
                                enable_auto_commit=False, auto_offset_reset="none")
    await consumer.start()
    try:
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        written = {tp: end for tp, end in ends.items() if end > starts[tp]}
        newest = await _newest_records(consumer, written)
    finally:
        await consumer.stop()
    views = []
    for tp in tps:
        if tp in written and tp.topic not in newest:
            continue  # records there, but none came: no verdict on a guess
        views.append(ReplyTopicView(tp.topic, newest.get(tp.topic), ends[tp] > 0,
                                    retentions[tp.topic]))
    return views


async def _date(settings: Settings, admin: AIOKafkaAdminClient, publisher: Publisher,
                topic: ReplyTopicView, now: float) -> None:
    spec = topics.reply_topic(topic.name.removeprefix(topics.REPLY_TOPIC_PREFIX),
                              settings.reply_topic_idle_seconds)
    if topic.retention_seconds < settings.reply_topic_idle_seconds:
        # AlterConfigs (aiokafka has no incremental one) resets what it is not given: give the
        # whole configuration a reply topic is created with.
        configs = {**spec.config(), **durability_config(settings)}
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic.name, configs=configs)])
    await asyncio.wait_for(publisher.publish(spec, [(topics.REPLY_PROBE_KEY, {"seen": now})]),
                           PROBE_TIMEOUT_SECONDS)


async def sweep_once(settings: Settings, publisher: Publisher, own: Iterable[str],
                     now: float) -> SweepReport:
    """Judge every reply topic at ``now`` and act; ``own`` are the caller's live topics."""
    report = SweepReport()
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        for topic in await survey(settings, admin):
            action = judge(topic, now=now, idle_seconds=settings.reply_topic_idle_seconds,
                           prefix=topics.REPLY_TOPIC_PREFIX, own=frozenset(own))
            if action is Action.DATE:
                await _date(settings, admin, publisher, topic, now)
                report.dated.append(topic.name)
            elif action is Action.DELETE:
                report.deleted.append(topic.name)
            else:
                report.kept.append(topic.name)
        if report.deleted:
            await admin.delete_topics(report.deleted)
            log.info("deleted idle reply topics", extra={"topics": report.deleted})
    finally:
        await admin.close()
    return report
