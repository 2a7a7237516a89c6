"""Redis restarted empty: live sessions keep working, because the actor's table is the record.

Redis holds only the read model of playback sessions; the session actor's Faust table is the
authority. After a FLUSHALL (or a restart of the slot's redis-server without data), a live
session's heartbeat, events, refresh and HLS key must keep answering (the gateway asks the
actor on a miss, the actor writes the entry back); a session the actor does not know stays
409. While Redis is away, those routes answer 503 with Retry-After, never 500.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from storage import keys
from storage.cache import create_redis
from tests.conftest import ROOT
from tests.http.playback_fixtures import Stage, build_stage, flush_redis, play

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _actor(agents_worker: Any) -> None:
    """Every test here needs the session actor running."""


async def in_redis(settings: Settings, session_id: str) -> dict[bytes, bytes]:
    client = create_redis(settings)
    try:
        return await client.hgetall(keys.live_session(session_id))  # type: ignore[no-any-return]
    finally:
        await client.aclose()


async def started(api: TestClient, stage: Stage, device: str = "dev-1") -> dict[str, Any]:
    resp = await play(api, stage, device)
    body: dict[str, Any] = await resp.json()
    assert resp.status == 200, body
    return body


async def beat(api: TestClient, stage: Stage, token: str) -> Any:
    return await api.post(stage.url("heartbeat"), json={"token": token}, headers=stage.student)


async def send_events(api: TestClient, stage: Stage, token: str) -> Any:
    return await api.post(stage.url("events"), json={"token": token,
                                                     "events": [{"type": "pause"}]})


async def test_a_live_session_survives_an_emptied_redis(api: TestClient, bearer,
                                                        tenant_slug: str,
                                                        settings: Settings) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    body = await started(api, stage)
    token, session = body["token"], body["session_id"]
    assert (await beat(api, stage, token)).status == 200
    await flush_redis(settings)
    hb = await beat(api, stage, token)
    assert hb.status == 200, await hb.text()
    # The actor wrote the entry back: the next heartbeat is a Redis hit again.
    entry = await in_redis(settings, session)
    assert entry[b"status"] == b"ACTIVE" and entry[b"user"] == b"stu-0"
    assert (await beat(api, stage, token)).status == 200
    await flush_redis(settings)
    ev = await send_events(api, stage, token)
    assert ev.status == 200 and await ev.json() == {"stored": 1}
    await flush_redis(settings)
    fresh = await api.post(stage.url("refresh"), json={"token": token}, headers=stage.student)
    assert fresh.status == 200, await fresh.text()
    assert (await fresh.json())["session_id"] == session
    # The limits still hold: the actor's table, not Redis, decides a second stream.
    second = await play(api, stage, "dev-2")
    assert second.status == 409
    assert (await second.json())["detail"] == "concurrency_limit_exceeded"


async def test_a_session_the_actor_does_not_know_stays_409(api: TestClient, bearer,
                                                           tenant_slug: str,
                                                           settings: Settings) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    body = await started(api, stage)
    token = body["token"]
    ended = await api.post(stage.url("end"), json={"token": token}, headers=stage.student)
    assert ended.status == 200
    await flush_redis(settings)  # the ENDED entry is gone with the rest
    for resp in (await beat(api, stage, token), await send_events(api, stage, token),
                 await api.post(stage.url("refresh"), json={"token": token},
                                headers=stage.student)):
        assert resp.status == 409, await resp.text()
        assert (await resp.json())["detail"] == "session_not_active"
    # Nothing was written back for it: an unknown session leaves no entry behind.
    assert await in_redis(settings, body["session_id"]) == {}


async def test_the_actor_rebuilds_the_read_model_without_a_request(
        api: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    session = (await started(api, stage))["session_id"]
    await asyncio.sleep(16)  # one sweep tick after the play: the worker marked Redis as seen
    await flush_redis(settings)
    deadline = time.monotonic() + 40
    while not await in_redis(settings, session):
        assert time.monotonic() < deadline, "the sweep never wrote the session back"
        await asyncio.sleep(0.5)
    entry = await in_redis(settings, session)
    assert entry[b"status"] == b"ACTIVE" and entry[b"user"] == b"stu-0"


def _stack(action: str) -> None:
    env = {**os.environ, "PROFILE": "test"}
    subprocess.run(["bash", str(ROOT / "infra" / "stack.sh"), action, "test"], env=env,
                   check=True, capture_output=True, timeout=60)


@pytest.fixture
async def redis_pid(settings: Settings) -> AsyncIterator[int]:
    """The slot's redis-server pid; the stack is started again after the test in any case."""
    pid_file = ROOT / ".infra" / "test" / "pids" / "redis.pid"
    if not pid_file.exists():
        pytest.skip("the slot's redis-server is not ours to restart")
    yield int(pid_file.read_text())
    _stack("start")


def _stop_redis(pid: int, pid_file: Path) -> None:
    os.kill(pid, 15)
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    pid_file.unlink(missing_ok=True)


async def test_redis_away_then_back_empty(api: TestClient, bearer, tenant_slug: str,
                                          settings: Settings, redis_pid: int) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    token = (await started(api, stage))["token"]
    assert (await beat(api, stage, token)).status == 200
    _stop_redis(redis_pid, ROOT / ".infra" / "test" / "pids" / "redis.pid")
    for resp in (await beat(api, stage, token), await send_events(api, stage, token)):
        assert resp.status == 503, await resp.text()
        assert resp.headers["Retry-After"].isdigit()
    _stack("start")  # a new redis-server, without data (the test profile keeps none)
    back = time.monotonic()
    hb = await beat(api, stage, token)
    took = time.monotonic() - back
    assert hb.status == 200, await hb.text()
    assert took < 3.0, took
    ev = await send_events(api, stage, token)
    assert ev.status == 200, await ev.text()
