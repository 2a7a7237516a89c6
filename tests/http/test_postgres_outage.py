"""PostgreSQL away: events and heartbeats keep answering 200 (Kafka holds the events, the audit
catches up), admin reads and plays answer 503 + Retry-After quickly, never 500, never a hang.

The gateway's PostgreSQL traffic goes through a TCP proxy that the test cuts (every connection
reset, new ones refused): the fault a stopped server gives, without stopping the PostgreSQL the
rest of the suite, and the recorders writing the audit rows, share.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway.app import create_app
from tests.http.playback_fixtures import Stage, audit_rows, build_stage, play
from tests.stack.flaky_proxy import FlakyProxy

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """The session actor, and the recorders that write the audit rows."""


@pytest.fixture
async def pg_proxy(settings: Settings) -> AsyncIterator[FlakyProxy]:
    """A cuttable proxy in front of the test PostgreSQL, up at first."""
    target = urlsplit(settings.database_url)
    proxy = FlakyProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    proxy.down = False
    yield proxy
    await proxy.close()


def through(settings: Settings, proxy: FlakyProxy) -> Settings:
    """The settings with DATABASE_URL pointing at the proxy."""
    url = urlsplit(settings.database_url)
    netloc = url.netloc.rsplit("@", 1)
    at = f"{netloc[0]}@" if len(netloc) == 2 else ""
    proxied = urlunsplit(url._replace(netloc=f"{at}127.0.0.1:{proxy.port}"))
    return dataclasses.replace(settings, database_url=proxied)


async def _events(api: TestClient, stage: Stage, token: str, batch: str) -> int:
    events = [{"type": "position", "payload": {"position": i}, "occurred_at": time.time()}
              for i in range(5)]
    resp = await api.post(stage.url("events"), json={"token": token, "events": events,
                                                     "batch_id": batch})
    assert resp.status == 200, await resp.text()
    return int((await resp.json())["stored"])


async def _heartbeat(api: TestClient, stage: Stage, token: str) -> None:
    resp = await api.post(stage.url("heartbeat"), json={"token": token}, headers=stage.student)
    assert resp.status == 200, await resp.text()


async def _unavailable(api: TestClient, method: str, path: str, headers: dict[str, str],
                       **kwargs: object) -> float:
    """Assert a 503 with Retry-After; the seconds it took."""
    started = time.perf_counter()
    resp = await api.request(method, path, headers=headers, **kwargs)
    waited = time.perf_counter() - started
    assert resp.status == 503, await resp.text()
    assert resp.headers.get("Retry-After")
    return waited


async def test_with_postgres_cut_events_and_heartbeats_answer_200_and_reads_503(
        aiohttp_client, settings: Settings, pg_proxy: FlakyProxy, bearer, tenant_slug: str,
        db: asyncpg.Pool) -> None:
    proxied = through(settings, pg_proxy)
    api = await aiohttp_client(create_app(proxied))
    stage = await build_stage(api, bearer, tenant_slug)
    resp = await play(api, stage, "outage-device")
    assert resp.status == 200, await resp.text()
    granted = await resp.json()
    token, session_id = granted["token"], granted["session_id"]
    accepted = await _events(api, stage, token, "before")
    await _heartbeat(api, stage, token)

    pg_proxy.cut()
    # A gateway started during the outage has no cache at all: the playback token is enough.
    fresh = await aiohttp_client(create_app(proxied))
    for n in range(6):
        for gateway in (api, fresh):
            accepted += await _events(gateway, stage, token, f"during-{id(gateway)}-{n}")
            await _heartbeat(gateway, stage, token)
    admin = stage.room.admin
    waits = [await _unavailable(api, "GET", "/api/v1/media/videos/", admin),
             await _unavailable(fresh, "GET", "/api/v1/media/settings/", admin),
             await _unavailable(api, "POST", stage.play_url(), stage.student,
                                json={"enrollment_id": stage.enrollment, "device_id": "d2"})]
    assert max(waits) < proxied.database_pool_timeout_seconds + 1.0, waits
    # Degraded, not unavailable: players are still served, so the balancer keeps the gateway.
    ready = await api.get("/readyz")
    assert ready.status == 200
    assert {k: v for k, v in (await ready.json()).items() if k != "checks"} == {
        "status": "degraded", "failing": ["postgres"]}

    pg_proxy.down = False
    accepted += await _events(api, stage, token, "after")
    assert (await api.get("/api/v1/media/videos/", headers=admin)).status == 200
    assert await audit_rows(db, session_id, accepted) == (accepted, accepted)
