"""Player events end to end: the seed front end's sequence, violations, revoke, progress."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from streams import topics
from tests.http.playback_fixtures import Stage, build_stage, play, set_tenant
from tests.stack.kafka_reader import read_topic

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """The session actor and the player-events agents run in this worker."""


async def started(api: TestClient, stage: Stage, device: str = "d") -> dict[str, Any]:
    resp = await play(api, stage, device)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def send(api: TestClient, stage: Stage, token: str, events: list[dict[str, Any]],
               **extra: Any) -> Any:
    resp = await api.post(stage.url("events"), json={"token": token, "events": events, **extra},
                          headers=stage.student)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def audit_rows(db: asyncpg.Pool, session_id: str, count: int, violated: int = 0,
                     timeout: float = 20.0) -> list[asyncpg.Record]:
    """The session's audit rows once ``count`` are stored and ``violated`` of them judged.

    The events and their verdicts reach the table by two paths (the recorders, and the judge
    via the violations topic): a row can be there before its verdict.
    """
    deadline = time.monotonic() + timeout
    while True:
        rows = await db.fetch("""SELECT * FROM playback_events WHERE session_id = $1
                                 ORDER BY occurred_at, event_type""", session_id)
        judged = sum(1 for r in rows if r["violated"])
        if (len(rows) >= count and judged >= violated) or time.monotonic() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def test_the_seed_front_ends_sequence_is_accepted_and_audited(
        api: TestClient, bearer, tenant_slug: str, db: asyncpg.Pool) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    session = await started(api, stage)
    t = time.time()
    seed_sequence = [
        {"type": "play_start", "occurred_at": t},
        {"type": "pause", "occurred_at": t + 1},
        {"type": "visibility_change", "payload": {"state": "visible"}, "occurred_at": t + 2},
        {"type": "seek_attempt", "payload": {"from": 3, "to": 40}, "occurred_at": t + 3},
        {"type": "speed_change_attempt", "payload": {"to": 2}, "occurred_at": t + 4},
        {"type": "ended", "occurred_at": t + 5},
    ]
    assert await send(api, stage, session["token"], seed_sequence,
                      session_id=session["session_id"]) == {"stored": 6}
    # The seed's best-effort flush: sendBeacon, text/plain, no Authorization header.
    beacon = orjson.dumps({"token": session["token"], "events": [
        {"type": "FOCUS_LOST", "occurred_at": t + 6}]})
    resp = await api.post(stage.url("events"), data=beacon,
                          headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert resp.status == 200 and await resp.json() == {"stored": 1}
    rows = await audit_rows(db, session["session_id"], 7, violated=2)
    assert [(r["event_type"], r["violated"], r["violation_reason"]) for r in rows] == [
        ("PLAY_START", False, ""), ("PAUSE", False, ""), ("VISIBILITY_VISIBLE", False, ""),
        ("SEEK_ATTEMPT", True, "seek_not_allowed"),
        ("SPEED_CHANGE_ATTEMPT", True, "speed_exceeds_max"), ("ENDED", False, ""),
        ("FOCUS_LOST", False, "")]
    assert rows[3]["policy_snapshot"]["allow_seek"] is False
    admin = await (await api.get("/api/v1/media/events/", params={
        "session_id": session["session_id"], "violated": "true"},
        headers=stage.room.admin)).json()
    assert admin["count"] == 2
    assert {r["event_type"] for r in admin["results"]} == {"SEEK_ATTEMPT", "SPEED_CHANGE_ATTEMPT"}
    assert set(admin["results"][0]) >= {"id", "video", "enrollment", "session_id", "user_id",
                                        "event_payload", "policy_snapshot", "violation_reason",
                                        "occurred_at", "received_at"}
    assert (await api.get("/api/v1/media/events/", headers=stage.student)).status == 403


async def test_a_tampered_player_is_caught_and_revoked(api: TestClient, bearer, tenant_slug: str,
                                                       settings: Settings) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    await set_tenant(api, stage.room, violation_action="revoke", violation_revoke_after=2)
    session = await started(api, stage)
    t = time.time()
    # Never reports a seek or a speed change, but its positions jump, then run at 3x (with
    # seeking off, both are forward moves beyond what 1x playback allows: position_jump).
    samples = [{"type": "position", "payload": {"position": p, "rate": 1.0},
                "occurred_at": t + w} for p, w in ((0, 0), (5, 5), (200, 10), (230, 20))]
    await send(api, stage, session["token"], samples)
    for _ in range(100):
        hb = await api.post(stage.url("heartbeat"), json={"token": session["token"]},
                            headers=stage.student)
        if hb.status == 409:
            break
        await asyncio.sleep(0.2)
    assert (hb.status, (await hb.json())["detail"]) == (409, "session_revoked")
    found = [v for _k, v in await read_topic(settings, topics.VIOLATIONS)
             if v["session_id"] == session["session_id"]]
    assert [(v["reason"], v["session_violations"], v["action"]) for v in found] == [
        ("position_jump", 1, "audit"), ("position_jump", 2, "revoke")]


async def test_progress_counts_only_what_was_watched(api: TestClient, bearer, tenant_slug: str,
                                                     db: asyncpg.Pool,
                                                     settings: Settings) -> None:
    # Coverage is paid by the server's clock (issue 11): the samples are sent as a player
    # sends them, in real time, so the video is short and may be played at 2x.
    stage = await build_stage(api, bearer, tenant_slug)
    await db.execute("UPDATE videos SET duration = 20, allow_skip = true, max_speed = 2"
                     " WHERE id = $1", stage.video["id"])
    session = await started(api, stage)

    def at(position: float, when: float | None = None) -> dict[str, Any]:
        return {"type": "position", "payload": {"position": position, "rate": 2},
                "occurred_at": time.time() if when is None else when}

    async def play_2x(start: float, end: float) -> None:
        """Play at 2x from ``start`` to ``end``, a sample a request every ~0.5 s."""
        position = start
        while position < end:
            await asyncio.sleep(0.5)
            position = min(end, position + 1.0)
            await send(api, stage, session["token"], [at(position)])

    # Watch 0..6, drag to 19 and watch to 19.8: 6.8 s of 20 covered, not completed.
    await send(api, stage, session["token"], [at(0)])
    await play_2x(0, 6)
    await send(api, stage, session["token"], [at(19)])
    await asyncio.sleep(0.4)
    await send(api, stage, session["token"], [at(19.8)])
    # A late batch (out of order) and a re-watch of 0..6 add nothing.
    await send(api, stage, session["token"], [at(2, time.time() - 60)])
    await send(api, stage, session["token"], [at(0)])
    await play_2x(0, 6)

    async def row() -> asyncpg.Record | None:
        for _ in range(100):
            found = await db.fetchrow(
                "SELECT * FROM video_progress WHERE video_id = $1 AND enrollment_id = $2",
                stage.video["id"], stage.enrollment)
            if found is not None and found["last_position"] == 6:
                return found
            await asyncio.sleep(0.2)
        return found

    progress = await row()
    assert progress is not None
    assert progress["progress"] == pytest.approx(0.34)
    assert progress["completed"] is False and progress["last_position"] == 6
    # Watching on to 18 s (90%) completes it; a `once` rule then refuses a new play.
    await play_2x(6, 18)
    for _ in range(100):
        done = await db.fetchval(
            "SELECT completed FROM video_progress WHERE video_id = $1 AND enrollment_id = $2",
            stage.video["id"], stage.enrollment)
        if done:
            break
        await asyncio.sleep(0.2)
    assert done is True
    stats = await (await api.get(f"/api/v1/media/videos/{stage.video['id']}/stats/",
                                 headers=stage.room.admin)).json()
    mine = [s for s in stats["students"] if s["enrollment"] == stage.enrollment]
    assert mine[0]["completed"] is True and mine[0]["progress"] >= 0.9
    milestones = [m for _k, v in await read_topic(settings, topics.PROGRESS)
                  if v["session_id"] == session["session_id"] for m in v["milestones"]]
    assert milestones == [25, 50, 75]
    await api.post("/api/v1/media/video-permissions/", json={
        "video": stage.video["id"], "enrollment": stage.enrollment, "rule": "once"},
        headers=stage.room.admin)
    await api.post(stage.url("end"), json={"token": session["token"]}, headers=stage.student)
    again = await play(api, stage)
    assert (again.status, (await again.json())["detail"]) == (403, "already_completed_once")
