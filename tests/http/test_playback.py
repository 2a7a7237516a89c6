"""Playback sessions over HTTP with a real session actor (Faust worker) behind Kafka."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp.test_utils import TestClient

from tests.http.playback_fixtures import build_stage, play, set_tenant

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """Every test here needs the session actor running."""


async def test_play_heartbeat_refresh_end(api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    resp = await play(api, stage)
    body = await resp.json()
    assert resp.status == 200, body
    assert set(body) == {"token", "session_id", "expires_at", "policy", "play_url",
                         "cdn_expires_at"}
    assert body["play_url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert body["policy"]["watermark"]["text"] == "Student 0 (stu-0)"
    assert body["policy"]["concurrency"] == {"max_sessions": 1, "max_devices": 2}
    token = body["token"]
    hb = await api.post(stage.url("heartbeat"), json={"token": token,
                                                      "session_id": body["session_id"]},
                        headers=stage.student)
    assert hb.status == 200 and (await hb.json())["status"] == "ok"
    fresh = await api.post(stage.url("refresh"), json={"token": token}, headers=stage.student)
    refreshed = await fresh.json()
    assert fresh.status == 200, refreshed
    assert refreshed["session_id"] == body["session_id"]
    assert refreshed["expires_at"] >= body["expires_at"]
    ended = await api.post(stage.url("end"), json={"token": token}, headers=stage.student)
    assert ended.status == 200 and await ended.json() == {"status": "ended"}
    after = await api.post(stage.url("heartbeat"), json={"token": token}, headers=stage.student)
    assert after.status == 409 and (await after.json())["detail"] == "session_not_active"


async def test_one_stream_at_a_time_and_end_frees_the_slot(api: TestClient, bearer,
                                                           tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    first = await (await play(api, stage, "laptop")).json()
    second = await play(api, stage, "phone")
    assert second.status == 409 and (await second.json())["detail"] == \
        "concurrency_limit_exceeded"
    await api.post(stage.url("end"), json={"token": first["token"]}, headers=stage.student)
    third = await play(api, stage, "phone")
    assert third.status == 200


async def test_device_limit(api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, max_sessions=5, max_devices=2)
    assert (await play(api, stage, "a")).status == 200
    assert (await play(api, stage, "b")).status == 200
    third = await play(api, stage, "c")
    assert third.status == 409 and (await third.json())["detail"] == "device_limit_exceeded"
    assert (await play(api, stage, "a")).status == 200  # a counted device plays again


async def test_the_same_device_replaces_its_session(api: TestClient, bearer,
                                                    tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    old = await (await play(api, stage, "tablet")).json()
    new = await play(api, stage, "tablet")
    assert new.status == 200
    hb = await api.post(stage.url("heartbeat"), json={"token": old["token"]},
                        headers=stage.student)
    assert hb.status == 409 and (await hb.json())["detail"] == "session_revoked"


async def test_evict_oldest(api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, on_limit="evict_oldest")
    old = await (await play(api, stage, "a")).json()
    assert (await play(api, stage, "b")).status == 200
    hb = await api.post(stage.url("heartbeat"), json={"token": old["token"]},
                        headers=stage.student)
    assert (await hb.json())["detail"] == "session_revoked"


async def test_an_idle_session_expires_and_frees_its_slot(api: TestClient, bearer,
                                                          tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, session_idle_seconds=15)
    first = await (await play(api, stage, "a")).json()
    assert (await play(api, stage, "b")).status == 409
    await asyncio.sleep(16)
    hb = await api.post(stage.url("heartbeat"), json={"token": first["token"]},
                        headers=stage.student)
    assert hb.status == 409 and (await hb.json())["detail"] == "session_not_active"
    assert (await play(api, stage, "b")).status == 200


async def test_refusals_in_the_seed_order(api: TestClient, bearer, tenant_slug: str,
                                          db) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    room = stage.room
    unlinked = bearer(tenant_slug, role="student", sub="no-profile")
    resp = await play(api, stage, headers=unlinked)
    assert (resp.status, (await resp.json())["detail"]) == (403, "student_profile_not_linked")
    other_enrollment = room.enrollments[1]["id"]  # Student 1's, not the caller's
    resp = await play(api, stage, enrollment=other_enrollment)
    assert (resp.status, (await resp.json())["detail"]) == (404, "enrollment_not_found")
    await api.patch(f"/api/v1/catalog/enrollments/{stage.enrollment}/",
                    json={"status": "INACTIVE"}, headers=room.admin)
    resp = await play(api, stage)
    assert (resp.status, (await resp.json())["detail"]) == (404, "enrollment_not_found")
    await api.patch(f"/api/v1/catalog/enrollments/{stage.enrollment}/",
                    json={"status": "ACTIVE"}, headers=room.admin)
    await db.execute("UPDATE videos SET status = 'PROCESSING' WHERE id = $1", stage.video["id"])
    resp = await play(api, stage)
    assert (resp.status, (await resp.json())["detail"]) == (403, "video_not_ready")
    await db.execute("UPDATE videos SET status = 'READY' WHERE id = $1", stage.video["id"])
    link = await (await api.get("/api/v1/catalog/session-enrollments/",
                                params={"enrollment": stage.enrollment},
                                headers=room.admin)).json()
    await api.delete(f"/api/v1/catalog/session-enrollments/{link['results'][0]['id']}/",
                     headers=room.admin)
    resp = await play(api, stage)
    assert (resp.status, (await resp.json())["detail"]) == (403, "no_session_access")
    await api.post("/api/v1/catalog/session-enrollments/", json={
        "session": room.session["id"], "enrollment": stage.enrollment}, headers=room.admin)
    perm = await api.post("/api/v1/media/video-permissions/", json={
        "video": stage.video["id"], "enrollment": stage.enrollment, "rule": "blocked"},
        headers=room.admin)
    assert perm.status == 201, await perm.text()
    resp = await play(api, stage)
    assert (resp.status, (await resp.json())["detail"]) == (403, "blocked")
    perm_id = (await perm.json())["id"]
    await api.patch(f"/api/v1/media/video-permissions/{perm_id}/", json={"rule": "once"},
                    headers=room.admin)
    await db.execute(
        """INSERT INTO video_progress (tenant_id, video_id, enrollment_id, progress, completed)
           SELECT tenant_id, $1, $2, 1.0, true FROM videos WHERE id = $1""",
        stage.video["id"], stage.enrollment)
    resp = await play(api, stage)
    assert (resp.status, (await resp.json())["detail"]) == (403, "already_completed_once")


async def test_policy_overrides_reach_the_token(api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    await api.post("/api/v1/media/video-permissions/", json={
        "video": stage.video["id"], "enrollment": stage.enrollment, "rule": "free",
        "allow_skip_override": True, "max_speed_override": 2.0, "block_speed_control": True},
        headers=stage.room.admin)
    policy = (await (await play(api, stage)).json())["policy"]
    assert policy["allow_seek"] is True
    assert policy["playback_rate"] == {"max": 1.0, "ui_control": False}


@pytest.mark.parametrize("mutate", ["tamper", "other_user", "other_video"])
async def test_token_failures(api: TestClient, bearer, tenant_slug: str, mutate: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    token = (await (await play(api, stage)).json())["token"]
    headers, url, expected = stage.student, stage.url("refresh"), "invalid_token"
    if mutate == "tamper":
        head, body, sig = token.split(".")
        token = f"{head}.{body[:-2]}AA.{sig}"
    elif mutate == "other_user":
        headers, expected = bearer(tenant_slug, role="student", sub="stu-1"), "user_mismatch"
    else:
        url, expected = f"/api/v1/media/videos/{stage.video['id'] + 10_000}/refresh/", \
            "video_mismatch"
    resp = await api.post(url, json={"token": token}, headers=headers)
    assert resp.status == 401 and (await resp.json())["detail"] == expected


async def wait_for(predicate, timeout: float = 15.0):
    """Poll an async predicate until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await predicate()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.2)


async def test_sessions_are_recorded_and_admins_can_revoke(api: TestClient, bearer,
                                                           tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    admin = stage.room.admin
    played = await (await play(api, stage, "desk")).json()

    async def listed():
        page = await (await api.get("/api/v1/media/playback-sessions/",
                                    params={"user": "stu-0", "status": "ACTIVE"},
                                    headers=admin)).json()
        return page["results"]

    rows = await wait_for(listed)
    assert [r["session_id"] for r in rows] == [played["session_id"]]
    assert rows[0]["device_id"] == "desk" and rows[0]["video"] == stage.video["id"]
    resp = await api.post(f"/api/v1/media/playback-sessions/{played['session_id']}/revoke/",
                          headers=admin)
    assert resp.status == 200
    hb = await api.post(stage.url("heartbeat"), json={"token": played["token"]},
                        headers=stage.student)
    assert (await hb.json())["detail"] == "session_revoked"

    async def revoked():
        page = await (await api.get("/api/v1/media/playback-sessions/",
                                    params={"status": "REVOKED"}, headers=admin)).json()
        return page["results"]

    [row] = await wait_for(revoked)
    assert row["end_reason"] == "admin" and row["ended_at"] is not None
    student = stage.student
    assert (await api.get("/api/v1/media/playback-sessions/", headers=student)).status == 403


async def test_admins_can_forget_a_device(api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, max_sessions=5, max_devices=1)
    assert (await play(api, stage, "old-phone")).status == 200
    assert (await play(api, stage, "new-phone")).status == 409

    async def devices():
        return await (await api.get("/api/v1/media/devices/", params={"user": "stu-0"},
                                    headers=stage.room.admin)).json()

    [device] = await wait_for(devices)
    assert device["device_id"] == "old-phone"
    resp = await api.delete(f"/api/v1/media/devices/{device['id']}/", headers=stage.room.admin)
    assert resp.status == 204
    assert (await play(api, stage, "new-phone")).status == 200
    other = bearer(tenant_slug + "-z")
    assert (await api.delete(f"/api/v1/media/devices/{device['id']}/", headers=other)).status \
        == 404


FIREFOX_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


async def test_a_device_keeps_the_browser_it_played_from(api: TestClient, bearer, db,
                                                         tenant_slug: str) -> None:
    """Devices and sessions carry the play's User-Agent (bounded, printable), so the admin
    pages can say "Firefox on Windows"; forgetting the device forgets it too."""
    stage = await build_stage(api, bearer, tenant_slug, max_sessions=5, max_devices=2)
    headers = {**stage.student, "User-Agent": FIREFOX_UA}
    assert (await play(api, stage, "web:firefox:abc", headers=headers)).status == 200
    odd = {**stage.student, "User-Agent": "x\t" + "y" * 5000}
    assert (await play(api, stage, "web:chromium:def", headers=odd)).status == 200
    refused = await play(api, stage, "web:chromium:zzz", headers=headers)
    assert refused.status == 409

    async def devices():
        rows = await (await api.get("/api/v1/media/devices/", params={"user": "stu-0"},
                                    headers=stage.room.admin)).json()
        return rows if len(rows) == 2 else None

    agents = {d["device_id"]: d["user_agent"] for d in await wait_for(devices)}
    assert agents == {"web:firefox:abc": FIREFOX_UA, "web:chromium:def": "x " + "y" * 254}
    sessions = await (await api.get("/api/v1/media/playback-sessions/",
                                     params={"user": "stu-0", "status": "ACTIVE"},
                                     headers=stage.room.admin)).json()
    assert {s["device_id"]: s["user_agent"] for s in sessions["results"]} == agents
    firefox = next(d for d in await devices() if d["device_id"] == "web:firefox:abc")
    resp = await api.delete(f"/api/v1/media/devices/{firefox['id']}/", headers=stage.room.admin)
    assert resp.status == 204
    left = await db.fetch(
        """SELECT device_id FROM playback_device_agents a JOIN tenants t ON t.id = a.tenant_id
           WHERE t.slug = $1 AND a.user_id = 'stu-0'""", stage.room.tenant)
    assert "web:firefox:abc" not in {r["device_id"] for r in left}
    assert "web:chromium:def" in {r["device_id"] for r in left}
