"""A three-broker KRaft cluster losing a broker: nothing acknowledged is lost or doubled.

The cluster is ``infra/stack.sh``'s own (``KAFKA_BROKERS=3``), started from empty data under
``PROFILE=cluster``: its own state folder and ports 200 above the slot's test stack, so it
disturbs no stack of any slot. The settings are the ones ``infra/env.sh`` gives a process on
such a cluster (3 replicas, ``min.insync.replicas`` 2). It is stopped after the module,
whatever happened.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from config.settings import Settings, load_settings
from streams import codecs, topics
from streams.admin import ensure_topics
from streams.exceptions import PublishError
from streams.publisher import Publisher
from tests.conftest import ROOT

pytestmark = pytest.mark.stack

STACK = ["bash", str(ROOT / "infra" / "stack.sh")]
PIDS = ROOT / ".infra" / "cluster" / "pids"
TOPIC = topics.PLAYBACK_EVENTS
MAX_PAUSE_SECONDS = 25.0  # fenced after broker.session.timeout.ms (9 s); measured 7.5-12.4 s
SENT_AFTER_THE_KILL = 300
TOPIC_CONFIG = 1  # DescribeConfigs' config_source of a value set on the topic itself


def cluster_environment() -> dict[str, str]:
    """The environment ``infra/env.sh`` gives the cluster profile (addresses, replication)."""
    env = {**os.environ, "PROFILE": "cluster"}
    out = subprocess.run(["bash", "-c", ". infra/env.sh >/dev/null && env -0"], cwd=ROOT,
                         env=env, check=True, capture_output=True).stdout
    return dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Settings]:
    """The three brokers, up; the settings of a process using them."""
    env = cluster_environment()

    def stack(action: str) -> None:
        subprocess.run([*STACK, action, "cluster"], env=env, cwd=ROOT, check=action == "start",
                       stdout=subprocess.DEVNULL, timeout=180)

    stack("stop")  # a cluster a killed run left behind: start from empty data all the same
    try:
        stack("start")
        yield load_settings(env)
    finally:
        stack("stop")


def node_pid(node_id: int) -> int:
    """The pid of a node from the stack's pid files (node 1 is ``kafka``, then ``kafka-N``)."""
    name = "kafka" if node_id == 1 else f"kafka-{node_id}"
    return int((PIDS / f"{name}.pid").read_text())


async def test_the_project_topics_have_three_replicas_two_in_sync(cluster: Settings) -> None:
    assert len(cluster.kafka_bootstrap_servers.split(",")) == 3
    assert (cluster.kafka_replication_factor, cluster.kafka_min_insync_replicas) == (3, 2)
    specs = (*topics.ALL_TOPICS, topics.reply_topic(f"cluster-{uuid.uuid4().hex[:8]}"))
    await ensure_topics(cluster, specs)
    admin = AIOKafkaAdminClient(bootstrap_servers=cluster.kafka_bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([s.name for s in specs])
        responses = await admin.describe_configs([
            ConfigResource(ConfigResourceType.TOPIC, s.name, {"min.insync.replicas": None})
            for s in specs])
    finally:
        await admin.close()
    replicas = {t["topic"]: {len(p["replicas"]) for p in t["partitions"]} for t in described}
    assert replicas == {s.name: {3} for s in specs}
    # Set on each topic (source: the topic's own config), not inherited from the brokers'
    # default, which says 2 on this cluster too but may say anything on another.
    min_insync = {}
    for response in responses:
        for _error, _message, _type, name, entries, *_ in response.resources:
            for entry in entries:
                own = not entry[3] if response.API_VERSION == 0 else entry[3] == TOPIC_CONFIG
                min_insync[name] = (entry[1], own)
    assert min_insync == {s.name: ("2", True) for s in specs}


@dataclass
class Traffic:
    """What the publisher had acknowledged, what failed, and what the group read."""

    acked: list[int] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    read: dict[tuple[int, int], tuple[bytes | None, bytes | None]] = field(default_factory=dict)

    def messages(self) -> list[tuple[bytes | None, int]]:
        """(key, number) of the messages read, once per offset."""
        return [(key, codecs.decode(value or b"", dict)["n"]) for key, value in self.read.values()]

    def longest_pause(self, since: float) -> float:
        """The longest time without an acknowledgement from ``since`` on."""
        times = [since, *(t for t in self.ack_times if t >= since)]
        return max(b - a for a, b in itertools.pairwise(times))


def key_of(n: int) -> bytes:
    return f"user-{n % 20}".encode()


async def publish(settings: Settings, traffic: Traffic, stop: asyncio.Event) -> None:
    """The gateway's publisher (acks=all, idempotent, its publish timeout: a failure is a 503),
    one keyed message at a time."""
    publisher = await Publisher.start(settings, client_id="cluster-test",
                                      timeout=settings.kafka_publish_timeout_seconds)
    try:
        n = 0
        while not stop.is_set():
            n += 1
            try:
                await publisher.publish(TOPIC, [(key_of(n), {"n": n})])
            except PublishError:
                traffic.failed.append(n)  # not acknowledged (a 503): stored at most once
                continue
            traffic.acked.append(n)
            traffic.ack_times.append(time.monotonic())
            await asyncio.sleep(0.003)
    finally:
        await publisher.stop()


async def consume(settings: Settings, traffic: Traffic, stop: asyncio.Event) -> None:
    """A consumer group member reading the topic from its start; re-reads of an offset (after a
    coordinator moved) collapse, since the offset is the message's identity."""
    consumer = AIOKafkaConsumer(
        TOPIC.name, bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=f"cluster-test-{uuid.uuid4().hex[:8]}", auto_offset_reset="earliest")
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                for r in records:
                    traffic.read[(r.partition, r.offset)] = (r.key, r.value)
    finally:
        await consumer.stop()


async def wait_until(what: str, timeout: float, done: Callable[[], bool],
                     tasks: tuple[asyncio.Task[None], ...]) -> None:
    """Poll ``done``; a failed task fails the wait with its own error."""
    deadline = time.monotonic() + timeout
    while not done():
        for task in tasks:
            if task.done() and task.exception() is not None:
                raise AssertionError(f"{task.get_name()} failed") from task.exception()
        if time.monotonic() > deadline:
            raise TimeoutError(f"not {what} within {timeout} s")
        await asyncio.sleep(0.1)


async def partition_leader(settings: Settings, partition: int) -> int:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        [described] = await admin.describe_topics([TOPIC.name])
    finally:
        await admin.close()
    return next(int(p["leader"]) for p in described["partitions"] if p["partition"] == partition)


async def test_a_broker_killed_mid_stream_loses_and_doubles_nothing(cluster: Settings) -> None:
    await ensure_topics(cluster, (TOPIC,))
    traffic, stop_sending, stop_reading = Traffic(), asyncio.Event(), asyncio.Event()
    reader = asyncio.create_task(consume(cluster, traffic, stop_reading), name="consumer")
    sender = asyncio.create_task(publish(cluster, traffic, stop_sending), name="publisher")
    tasks = (reader, sender)
    try:
        await wait_until("200 sends acknowledged", 30, lambda: len(traffic.acked) >= 200, tasks)
        victim = await partition_leader(cluster, 0)
        pid = node_pid(victim)
        os.kill(pid, signal.SIGKILL)  # a crash: no controlled shutdown, no flush
        killed_at, acked_before = time.monotonic(), len(traffic.acked)
        await wait_until(f"{SENT_AFTER_THE_KILL} sends acknowledged after broker {victim} died",
                         45, lambda: len(traffic.acked) >= acked_before + SENT_AFTER_THE_KILL,
                         tasks)
        stop_sending.set()
        await sender
        acked = set(traffic.acked)
        await wait_until("the group read every acknowledged message", 30,
                         lambda: acked <= {n for _key, n in traffic.messages()}, tasks)
    finally:
        stop_sending.set()
        stop_reading.set()
        await asyncio.gather(sender, reader, return_exceptions=True)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the broker really is gone
    pause = traffic.longest_pause(killed_at)
    print(f"broker {victim} killed: longest pause between acks {pause:.1f} s, "
          f"{len(traffic.acked)} acked, {len(traffic.failed)} timed out (503 at the gateway)")
    assert pause < MAX_PAUSE_SECONDS
    stored = Counter(n for _key, n in traffic.messages())
    assert [n for n, times in stored.items() if times > 1] == []  # none stored twice
    assert acked <= set(stored)  # every acknowledged message, read
    assert set(stored) <= acked | set(traffic.failed)  # nothing the producer never sent
    assert [(key, n) for key, n in traffic.messages() if key != key_of(n)] == []
