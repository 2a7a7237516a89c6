"""The spine: HTTP request -> gateway -> Kafka -> Faust agent -> PostgreSQL row."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import asyncpg
import pytest

from config.settings import Settings
from gateway import playback_tokens as pt
from gateway.app import create_app
from storage.tenants import Tenant
from tests.http.test_events import open_session

pytestmark = pytest.mark.stack


async def wait_for_rows(db: asyncpg.Pool, session_id: str, count: int,
                        timeout: float = 30.0) -> list[asyncpg.Record]:
    deadline = time.monotonic() + timeout
    while True:
        rows = await db.fetch(
            "SELECT * FROM playback_events WHERE session_id = $1 ORDER BY occurred_at", session_id)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def test_an_accepted_event_becomes_an_audit_row(
        aiohttp_client, settings: Settings, db: asyncpg.Pool, make_tenant, agents_worker) -> None:
    tenant: Tenant = await make_tenant()
    session = f"skeleton-{time.time_ns()}"
    claims = pt.PlaybackClaims(tenant=tenant.slug, tenant_id=tenant.id, user_id="u-1",
                               video_id=11, enrollment_id=12, device_id="d", session_id=session,
                               policy={"allow_seek": False})
    token = pt.sign(claims, settings.playback_keys(), now=time.time(), ttl_seconds=600)
    client = await aiohttp_client(create_app(settings))
    await open_session(settings, session, user="u-1")
    start = int(time.time()) - 2
    body = {"token": token, "batch_id": "b-1", "events": [
        {"type": "play_start", "occurred_at": start},
        {"type": "seek_attempt", "occurred_at": start + 1, "payload": {"from": 1, "to": 90}},
    ]}
    resp = await client.post("/api/v1/media/videos/11/events/", json=body)
    assert resp.status == 200 and await resp.json() == {"stored": 2}

    rows = await wait_for_rows(db, session, 2)
    assert [r["event_type"] for r in rows] == ["PLAY_START", "SEEK_ATTEMPT"]
    assert {(r["tenant_id"], r["video_id"], r["enrollment_id"], r["user_id"]) for r in rows} == \
        {(tenant.id, 11, 12, "u-1")}
    assert rows[1]["event_payload"] == {"from": 1, "to": 90}
    assert rows[1]["policy_snapshot"] == {"allow_seek": False}
    assert rows[0]["occurred_at"].timestamp() == start

    # The player retries the same batch (its first answer was lost): still stored once.
    again = await client.post("/api/v1/media/videos/11/events/", json=body)
    assert again.status == 200
    marker = f"{session}-marker"
    marker_token = pt.sign(dataclasses.replace(claims, session_id=marker),
                           settings.playback_keys(), now=time.time(), ttl_seconds=600)
    await open_session(settings, marker, user="u-1")
    # Same key, so same partition: once the marker is stored, the retry has been processed.
    await client.post("/api/v1/media/videos/11/events/",
                      json={"token": marker_token, "events": [{"type": "pause"}]})
    assert len(await wait_for_rows(db, marker, 1)) == 1
    assert len(await wait_for_rows(db, session, 3, timeout=0)) == 2
