"""Bursts and overload: past what it can do, the gateway answers 503 + Retry-After, never 500."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import keys
from gateway.app import create_app
from tests.http.playback_fixtures import Stage, build_stage, play

pytestmark = pytest.mark.stack

# Answers a client may get under a burst: served, refused by state, rate limited, shed.
ALLOWED = {200, 409, 429, 503}
# Limits high enough that the rate limiter does not hide what the pools do under load.
HIGH_RATES = {"rate_heartbeat_user_per_minute": 100_000,
              "rate_heartbeat_tenant_per_minute": 10_000_000,
              "rate_events_user_per_minute": 100_000,
              "rate_events_tenant_per_minute": 10_000_000}


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """The session actor and the player-events agents run in this worker."""


async def _live_session(api: TestClient, stage: Stage) -> str:
    resp = await play(api, stage, "burst-device")
    assert resp.status == 200, await resp.text()
    return (await resp.json())["token"]


async def _burst(api: TestClient, stage: Stage, token: str, count: int
                 ) -> list[tuple[int, str | None, str]]:
    """``count`` heartbeats and event batches in flight at once; (status, Retry-After, body)."""
    t = time.time()

    async def one(session: aiohttp.ClientSession, i: int) -> tuple[int, str | None, str]:
        if i % 2:
            path, body = stage.url("heartbeat"), {"token": token}
        else:
            batch = [{"type": "visibility_change", "payload": {"state": "visible"},
                      "occurred_at": t + i / 1000}]
            path, body = stage.url("events"), {"token": token, "events": batch}
        async with session.post(api.make_url(path), json=body, headers=stage.student) as resp:
            return resp.status, resp.headers.get("Retry-After"), await resp.text()

    # The test client's connector allows 100 connections; a burst needs them all at once.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        return await asyncio.gather(*(one(session, i) for i in range(count)))


def _assert_only_allowed(answers: list[tuple[int, str | None, str]]) -> Counter[int]:
    statuses = Counter(status for status, _, _ in answers)
    bad = [(s, body[:200]) for s, _, body in answers if s not in ALLOWED]
    assert not bad, f"{statuses}: {bad[:3]}"
    assert all(retry for s, retry, _ in answers if s == 503), "a 503 without Retry-After"
    return statuses


async def test_a_burst_of_heartbeats_and_events_never_answers_500(
        api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, **HIGH_RATES)
    token = await _live_session(api, stage)
    statuses = _assert_only_allowed(await _burst(api, stage, token, 500))
    assert statuses[200] > 0, statuses


async def test_past_max_in_flight_requests_are_shed_with_503_and_the_gateway_recovers(
        aiohttp_client, settings: Settings, bearer, tenant_slug: str) -> None:
    small = dataclasses.replace(settings, gateway_max_in_flight=8)
    api = await aiohttp_client(create_app(small))
    stage = await build_stage(api, bearer, tenant_slug, **HIGH_RATES)
    token = await _live_session(api, stage)
    statuses = _assert_only_allowed(await _burst(api, stage, token, 200))
    assert statuses[503] > 0, statuses
    shed = sum(sample.value for metric in api.app[keys.METRICS].shed.collect()
               for sample in metric.samples if sample.name.endswith("_total"))
    assert shed == statuses[503]  # every 503 of this burst was shed, not a pool timeout
    started = time.perf_counter()
    resp = await api.post(stage.url("heartbeat"), json={"token": token}, headers=stage.student)
    assert resp.status == 200, await resp.text()
    assert time.perf_counter() - started < 1.0


async def test_heartbeat_with_redis_down_answers_503_with_retry_after(
        aiohttp_client, settings: Settings, bearer, tenant_slug: str) -> None:
    api = await aiohttp_client(create_app(settings))
    stage = await build_stage(api, bearer, tenant_slug)
    token = await _live_session(api, stage)
    dead = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    dead_api = await aiohttp_client(create_app(dead))
    resp = await dead_api.post(stage.url("heartbeat"), json={"token": token},
                               headers=stage.student)
    assert resp.status == 503, await resp.text()
    assert resp.headers.get("Retry-After")
    assert "detail" in await resp.json()


async def test_a_request_finding_no_free_database_connection_answers_503_in_bounded_time(
        aiohttp_client, settings: Settings, bearer, tenant_slug: str) -> None:
    quick = dataclasses.replace(settings, database_pool_timeout_seconds=0.3)
    api = await aiohttp_client(create_app(quick))
    admin = bearer(tenant_slug)
    assert (await api.get("/api/v1/media/videos/", headers=admin)).status == 200
    pool = api.app[keys.DB]
    # Hold every connection of the gateway's pool, as a burst of slow queries would.
    held = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        started = time.perf_counter()
        resp = await api.get("/api/v1/media/videos/", headers=admin)
        waited = time.perf_counter() - started
        assert resp.status == 503, await resp.text()
        assert resp.headers.get("Retry-After") == "1"
        assert (await resp.json())["detail"] == "service_unavailable"
        assert waited < 2.0
    finally:
        for conn in held:
            await pool.release(conn)
    assert (await api.get("/api/v1/media/videos/", headers=admin)).status == 200
