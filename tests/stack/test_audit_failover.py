"""N accepted events give exactly N audit rows, even with a Faust worker or a recorder process
killed and restarted while the events arrive."""

from __future__ import annotations

import asyncio
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import asyncpg
import pytest

from gateway import playback_tokens as pt
from tests.conftest import AgentsWorker, ModuleProcess, RecorderProcess
from tests.http.test_events import open_session

pytestmark = pytest.mark.stack
USERS = 20
BATCHES = 15  # per user, 10 events each


async def load_with_chaos(settings: Any, gateways: list[Any], run: str,
                          chaos: Callable[[], Awaitable[None]]) -> int:
    """Post USERS x BATCHES batches through both gateways while ``chaos`` runs; return the
    number of events the gateways accepted."""
    tokens = []
    for u in range(USERS):
        session = f"audit-{run}-{u}"
        await open_session(settings, session, user=f"u{u}")
        claims = pt.PlaybackClaims(tenant="acme", tenant_id=1, user_id=f"u{u}", video_id=7,
                                   enrollment_id=9, device_id="d", session_id=session)
        tokens.append(pt.sign(claims, settings.playback_keys(), now=time.time(),
                              ttl_seconds=600))
    accepted = 0
    async with aiohttp.ClientSession() as http:
        async def user(u: int) -> None:
            nonlocal accepted
            for b in range(BATCHES):
                events = [{"type": "position", "payload": {"position": b * 10 + i},
                           "occurred_at": time.time()} for i in range(10)]
                url = f"{gateways[(u + b) % 2].url}/api/v1/media/videos/7/events/"
                async with http.post(url, json={"token": tokens[u], "events": events,
                                                "batch_id": f"{b}"}) as resp:
                    assert resp.status == 200, await resp.text()
                    accepted += (await resp.json())["stored"]
                await asyncio.sleep(0.05)

        await asyncio.gather(chaos(), *(user(u) for u in range(USERS)))
    return accepted


async def assert_stored_once(db: asyncpg.Pool, run: str, accepted: int) -> None:
    """Wait for the audit rows of ``run``; there must be exactly ``accepted``, all distinct."""
    deadline = time.monotonic() + 90
    while True:
        stored = await db.fetchval(
            "SELECT count(*) FROM playback_events WHERE session_id LIKE $1", f"audit-{run}-%")
        if stored >= accepted or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    distinct = await db.fetchval(
        "SELECT count(DISTINCT id) FROM playback_events WHERE session_id LIKE $1",
        f"audit-{run}-%")
    assert (stored, distinct) == (accepted, accepted)


def _faust_worker(tmp: pytest.TempPathFactory, name: str) -> ModuleProcess:
    # Own data dir: a second worker on one machine must not share the first one's stores.
    return AgentsWorker(tmp.mktemp(name) / "worker.log",
                        extra_env={"AGENTS_DATA_DIR": str(tmp.mktemp(name + "-data"))})


def _recorder(tmp: pytest.TempPathFactory, name: str) -> ModuleProcess:
    return RecorderProcess(tmp.mktemp(name) / "recorders.log")


@pytest.mark.parametrize("start", [_faust_worker, _recorder], ids=["faust-worker", "recorder"])
async def test_every_accepted_event_is_audited_once_across_a_crash(
        settings: Any, db: asyncpg.Pool, two_gateways: list[Any], agents_worker: AgentsWorker,
        tmp_path_factory: pytest.TempPathFactory,
        start: Callable[[pytest.TempPathFactory, str], ModuleProcess]) -> None:
    # A second process of the kind joins the group and takes half the partitions; it dies
    # mid-load (SIGKILL: its last batch perhaps written, never committed) and a new one takes
    # over its partitions.
    victim = start(tmp_path_factory, "victim")
    victim.wait_ready()
    restarted: list[ModuleProcess] = []

    async def chaos() -> None:
        await asyncio.sleep(0.5)
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait()
        await asyncio.sleep(1.0)
        restarted.append(start(tmp_path_factory, "restarted"))

    run = uuid.uuid4().hex[:8]
    try:
        accepted = await load_with_chaos(settings, two_gateways, run, chaos)
        assert accepted == USERS * BATCHES * 10
        await assert_stored_once(db, run, accepted)
    finally:
        for process in restarted:
            process.stop()
