"""Kafka away: a request that publishes answers 503 + Retry-After within
KAFKA_PUBLISH_TIMEOUT_SECONDS (aiokafka alone waits request_timeout_ms, 40 s), the producer's
buffer stays bounded, and a batch retried after the outage is stored once, also when its
timed-out first try was delivered late.

The broker of the test stack is frozen (SIGSTOP) for a few seconds: connections stay open and
nothing answers, the way a hung broker or a network partition looks. A proxy cannot stand in,
since clients connect to the broker's advertised address after bootstrap. The freeze stays
shorter than any consumer group's session timeout, so the suite's long-lived workers keep their
partitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import keys
from gateway.app import create_app
from tests.conftest import ROOT
from tests.http.playback_fixtures import Stage, audit_rows, build_stage, play

pytestmark = pytest.mark.stack
TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """The session actor, and the recorders that write the audit rows."""


@contextlib.contextmanager
def kafka_frozen() -> Iterator[None]:
    """The test stack's broker stopped (SIGSTOP) inside the block, resumed after it."""
    pid = int((ROOT / ".infra" / "test" / "pids" / "kafka.pid").read_text())
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def _batch(token: str, batch_id: str) -> dict[str, Any]:
    return {"token": token, "batch_id": batch_id, "events": [
        {"type": "position", "payload": {"position": i}, "occurred_at": time.time()}
        for i in range(5)]}


async def _timed(api: TestClient, path: str, body: dict[str, Any],
                 headers: dict[str, str] | None = None) -> tuple[int, str, float, str | None]:
    started = time.perf_counter()
    resp = await api.post(path, json=body, headers=headers)
    return (resp.status, (await resp.json()).get("detail", ""), time.perf_counter() - started,
            resp.headers.get("Retry-After"))


def _buffered_batches(api: TestClient) -> int:
    # aiokafka's accumulator: the batches it holds, per partition (read to check the bound).
    producer = api.app[keys.PUBLISHER]._producer
    return sum(len(q) for q in producer._message_accumulator._batches.values())


async def test_with_kafka_frozen_publishing_requests_answer_503_within_the_publish_timeout(
        aiohttp_client, settings: Settings, bearer, tenant_slug: str, db: asyncpg.Pool) -> None:
    quick = dataclasses.replace(settings, kafka_publish_timeout_seconds=TIMEOUT)
    api = await aiohttp_client(create_app(quick))
    stage: Stage = await build_stage(api, bearer, tenant_slug)
    resp = await play(api, stage, "kafka-device")
    assert resp.status == 200, await resp.text()
    token, session_id = (await resp.json())["token"], (await resp.json())["session_id"]
    assert (await api.post(stage.url("events"), json=_batch(token, "warm"))).status == 200

    with kafka_frozen():
        status, detail, waited, retry = await _timed(api, stage.url("events"),
                                                     _batch(token, "frozen"))
        assert (status, retry) == (503, "1"), detail
        assert detail.startswith("events_not_stored")
        assert TIMEOUT <= waited < TIMEOUT + 1.0, waited
        status, detail, waited, retry = await _timed(api, stage.url("heartbeat"),
                                                     {"token": token}, stage.student)
        assert (status, detail, retry) == (503, "session_service_unavailable", "2")
        assert waited < TIMEOUT + 1.0, waited
        # Many publishes at once: each gives up on time, and the producer holds a bounded
        # buffer (one open batch per partition), not one per request.
        started = time.perf_counter()
        burst = await asyncio.gather(*(
            api.post(stage.url("events"), json=_batch(token, f"burst-{n}")) for n in range(40)))
        assert {r.status for r in burst} == {503}
        assert all(r.headers.get("Retry-After") for r in burst)
        assert time.perf_counter() - started < TIMEOUT + 2.0
        assert _buffered_batches(api) <= settings.kafka_partitions

    # Back: the player retries its batches; the late first tries and the retries make one
    # row per event.
    for batch_id in ["frozen", *(f"burst-{n}" for n in range(40))]:
        for _ in range(20):
            resp = await api.post(stage.url("events"), json=_batch(token, batch_id))
            if resp.status == 200:
                break
            await asyncio.sleep(0.5)  # the producer reconnects
        assert resp.status == 200, await resp.text()
    expected = 5 * 42
    assert await audit_rows(db, session_id, expected) == (expected, expected)
