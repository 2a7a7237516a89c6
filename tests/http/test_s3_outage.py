"""S3 away or its connections all busy: the routes that call S3 answer 503 + Retry-After within
a bounded time, never 500 and never an unbounded queue."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway import keys
from gateway.app import create_app
from tests.http.media_fixtures import Classroom, build_classroom
from tests.stack.flaky_proxy import FlakyProxy

pytestmark = pytest.mark.stack
V = "/api/v1/media/videos/"


@pytest.fixture
async def s3_down() -> AsyncIterator[FlakyProxy]:
    """An S3 endpoint that resets every connection (no S3 answers there)."""
    proxy = FlakyProxy("127.0.0.1", 1)
    await proxy.start()
    yield proxy
    await proxy.close()


async def _presigned_key(api: TestClient, room: Classroom) -> str:
    # Presigning signs locally: it works with S3 away (the PUT then fails at S3, not here).
    resp = await api.post(V + "presign/", json={"session": room.session["id"],
                                                "filename": "a.mp4", "size": 3000},
                          headers=room.admin)
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["file_key"])


async def _unavailable(api: TestClient, path: str, body: object, room: Classroom) -> float:
    started = time.perf_counter()
    resp = await api.post(path, json=body, headers=room.admin)
    waited = time.perf_counter() - started
    assert resp.status == 503, await resp.text()
    assert resp.headers.get("Retry-After") == "1"
    assert (await resp.json())["detail"] == "service_unavailable"
    return waited


async def test_with_s3_away_upload_routes_answer_503_with_retry_after(
        aiohttp_client, settings: Settings, s3_down: FlakyProxy, bearer,
        tenant_slug: str) -> None:
    api = await aiohttp_client(create_app(
        dataclasses.replace(settings, s3_endpoint_url=s3_down.url)))
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    key = await _presigned_key(api, room)
    waits = [
        await _unavailable(api, V + "complete/", {"session": room.session["id"], "title": "x",
                                                  "file_key": key}, room),
        await _unavailable(api, V + "presign-multipart/", {
            "session": room.session["id"], "filename": "b.mov", "size": 20 * 1024 * 1024}, room),
    ]
    assert s3_down.dropped >= 2  # each call did reach for S3 (3 attempts each)
    # 3 attempts with exponential backoff (standard retry mode): seconds, not a hang.
    assert max(waits) < 10.0, waits
    ready = await api.get("/readyz")
    body = await ready.json()
    assert (ready.status, body["status"], body["failing"]) == (200, "degraded", ["s3"])


async def test_with_every_s3_connection_busy_a_call_answers_503_after_the_pool_wait(
        aiohttp_client, settings: Settings, bearer, tenant_slug: str) -> None:
    small = dataclasses.replace(settings, s3_max_pool_connections=1, s3_pool_timeout_seconds=0.3)
    api = await aiohttp_client(create_app(small))
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    key = await _presigned_key(api, room)
    body = {"session": room.session["id"], "title": "x", "file_key": key}
    async with api.app[keys.OBJECTS].connection():  # the only connection, busy elsewhere
        waited = await _unavailable(api, V + "complete/", body, room)
    assert 0.3 <= waited < 1.3, waited
    # Freed: the same call reaches S3, which answers that nothing was uploaded there.
    resp = await api.post(V + "complete/", json=body, headers=room.admin)
    assert resp.status == 409, await resp.text()
