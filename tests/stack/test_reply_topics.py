"""Reply topics come and go with gateways: the janitor, a gateway's comeback, the actor's drops.

Against the real broker (auto topic creation off) and a real agents worker.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from config.settings import Settings
from gateway.session_client import SessionClient
from streams import topics
from streams.admin import ensure_topics
from streams.publisher import Publisher
from streams.reply_janitor import sweep_once
from tests.conftest import AgentsWorker

pytestmark = pytest.mark.stack
IDLE = 4  # seconds: the threshold of these tests (a day by default)


@pytest.fixture
async def publisher(settings: Settings) -> AsyncIterator[Publisher]:
    publisher = await Publisher.start(settings, client_id="test-reply-topics")
    yield publisher
    await publisher.stop()


async def existing(settings: Settings, names: list[str]) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        return set(names) & set(await admin.list_topics())
    finally:
        await admin.close()


async def delete(settings: Settings, name: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        await admin.delete_topics([name])
    finally:
        await admin.close()
    for _ in range(50):  # deletion is asynchronous in the controller
        if not await existing(settings, [name]):
            return
        await asyncio.sleep(0.1)


async def test_the_janitor_deletes_idle_reply_topics_and_keeps_live_and_foreign_ones(
        settings: Settings, publisher: Publisher) -> None:
    fast = replace(settings, reply_topic_idle_seconds=IDLE)
    tag = uuid.uuid4().hex[:8]
    live = SessionClient(fast, publisher, f"live-{tag}")
    gone = SessionClient(fast, publisher, f"gone-{tag}")
    await gone.start()
    await gone.stop()  # marked once at its start, then never again
    legacy = replace(topics.reply_topic(f"legacy-{tag}"), retention_ms=3600 * 1000,
                     extra_config=())  # as gateways made them before: 1 h, never written
    foreign = replace(topics.reply_topic("x"), name=f"lecturecast.janitor-test-{tag}.v1")
    await ensure_topics(fast, (legacy, foreign))
    await publisher.publish(foreign, [(b"k", {"old": True})])
    await live.start()
    mine = [live.reply_topic.name, gone.reply_topic.name, legacy.name, foreign.name]
    try:
        await asyncio.sleep(IDLE + 1.5)
        first = await sweep_once(fast, publisher, own=(), now=time.time())
        assert gone.reply_topic.name in first.deleted
        assert live.reply_topic.name in first.kept  # by its markers, not by being "own"
        assert legacy.name in first.dated
        assert await existing(fast, mine) == {live.reply_topic.name, legacy.name, foreign.name}
        await asyncio.sleep(IDLE + 1.5)
        second = await sweep_once(fast, publisher, own=(), now=time.time())
        assert legacy.name in second.deleted  # its probe aged past the threshold
        assert live.reply_topic.name in second.kept
        assert await existing(fast, mine) == {live.reply_topic.name, foreign.name}
    finally:
        await live.stop()
        for name in (live.reply_topic.name, foreign.name):
            await delete(fast, name)


async def test_a_gateway_restarted_after_its_topic_was_deleted_recreates_it_and_works(
        settings: Settings, publisher: Publisher, agents_worker: AgentsWorker) -> None:
    gateway_id = f"comeback-{uuid.uuid4().hex[:8]}"
    user = f"u-{uuid.uuid4().hex[:6]}"
    before = SessionClient(settings, publisher, gateway_id)
    await before.start()
    reply = await before.ask(before.command("end", tenant="t", tenant_id=0, user_id=user,
                                            session_id="s1"), 30)
    assert reply.granted
    await before.stop()
    await delete(settings, before.reply_topic.name)
    after = SessionClient(settings, publisher, gateway_id)
    await after.start()
    try:
        assert await existing(settings, [after.reply_topic.name])
        reply = await after.ask(after.command("end", tenant="t", tenant_id=0, user_id=user,
                                              session_id="s2"), 30)
        assert reply.granted and reply.session_id == "s2"
    finally:
        await after.stop()
        await delete(settings, after.reply_topic.name)


async def test_the_actor_drops_a_reply_to_a_deleted_topic_and_answers_the_next_command(
        settings: Settings, publisher: Publisher, agents_worker: AgentsWorker) -> None:
    tag = uuid.uuid4().hex[:8]
    user = f"u-{tag}"
    live = SessionClient(settings, publisher, f"asker-{tag}")
    doomed = SessionClient(settings, publisher, f"doomed-{tag}")
    await live.start()
    await doomed.start()
    try:
        # The actor's producer knows the doomed topic (it answered there) before it goes.
        assert (await doomed.ask(doomed.command("end", tenant="t", tenant_id=0, user_id=user,
                                                session_id="warm"), 30)).granted
        await doomed.stop()
        await delete(settings, doomed.reply_topic.name)
        spent = {}
        for case, reply_to in (("known-then-deleted", doomed.reply_topic.name),
                               ("never-existed", f"{topics.REPLY_TOPIC_PREFIX}nobody-{tag}")):
            started = time.monotonic()
            await live.tell(replace(live.command("end", tenant="t", tenant_id=0, user_id=user,
                                                 session_id=case), reply_to=reply_to))
            reply = await live.ask(live.command("end", tenant="t", tenant_id=0, user_id=user,
                                                session_id=f"next-{case}"), 30)
            spent[case] = time.monotonic() - started
            assert reply.session_id == f"next-{case}"
        log = agents_worker.log_path.read_text()
        drops = re.findall(rf"reply dropped: topic (\S+{tag}) .*?([\d.]+) s spent", log)
        assert {topic for topic, _ in drops} == {
            doomed.reply_topic.name, f"{topics.REPLY_TOPIC_PREFIX}nobody-{tag}"}
        print("seconds to the next answer:", spent, "in the actor:", drops)
        assert all(s < 10 for s in spent.values()), spent
    finally:
        await live.stop()
        await delete(settings, live.reply_topic.name)


async def test_a_running_gateway_whose_topic_was_deleted_recreates_it_and_works(
        settings: Settings, publisher: Publisher, agents_worker: AgentsWorker) -> None:
    fast = replace(settings, reply_topic_idle_seconds=IDLE)  # marks every second
    client = SessionClient(fast, publisher, f"cutoff-{uuid.uuid4().hex[:8]}")
    await client.start()
    try:
        await delete(fast, client.reply_topic.name)
        await asyncio.sleep(2.5)
        assert await existing(fast, [client.reply_topic.name])
        reply = await client.ask(client.command("end", tenant="t", tenant_id=0, user_id="u",
                                                session_id="back"), 30)
        assert reply.session_id == "back"
    finally:
        await client.stop()
        await delete(fast, client.reply_topic.name)
