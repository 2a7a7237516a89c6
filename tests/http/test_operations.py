"""Health, readiness, metrics, request ids and JSON errors, through the real app."""

from __future__ import annotations

import dataclasses

import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway.app import create_app

pytestmark = pytest.mark.stack


@pytest.fixture
async def client(aiohttp_client, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))


async def test_healthz_answers_with_a_request_id(client: TestClient) -> None:
    resp = await client.get("/healthz")
    assert resp.status == 200 and await resp.json() == {"status": "ok"}
    assert len(resp.headers["X-Request-ID"]) == 32


async def test_a_client_request_id_is_kept(client: TestClient) -> None:
    resp = await client.get("/healthz", headers={"X-Request-ID": "trace-abc-1"})
    assert resp.headers["X-Request-ID"] == "trace-abc-1"


async def test_readyz_is_200_when_all_four_dependencies_answer(client: TestClient) -> None:
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 200, body
    assert body["checks"] == {"kafka": "ok", "postgres": "ok", "redis": "ok", "s3": "ok"}


async def test_readyz_names_the_failing_dependency(aiohttp_client, settings: Settings) -> None:
    # Nothing listens on port 1: Redis is down for this app, the rest are up.
    broken = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    client = await aiohttp_client(create_app(broken))
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503
    assert body["failing"] == ["redis"]
    assert body["checks"]["postgres"] == "ok"


async def test_metrics_count_requests_by_route(client: TestClient) -> None:
    await client.get("/healthz")
    await client.get("/healthz")
    text = await (await client.get("/metrics")).text()
    line = 'lecturecast_http_requests_total{method="GET",route="/healthz",status="200"} 2.0'
    assert line in text
    assert "lecturecast_http_request_duration_seconds_bucket" in text


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/no/such/path", 404),
    ("PUT", "/healthz", 405),
])
async def test_http_errors_are_json(client: TestClient, method: str, path: str,
                                    status: int) -> None:
    resp = await client.request(method, path)
    assert resp.status == status
    assert "detail" in await resp.json()
