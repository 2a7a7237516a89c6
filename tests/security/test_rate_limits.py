"""Finding 5, "no rate limit anywhere": one student's flood is cut with 429 + Retry-After.

Through HTTP on the real stack: per user and per tenant, on play/, refresh/, heartbeat/,
events/ and the upload routes; the defaults cut a flood, another student of the same tenant is
not affected by the first one's user limit, the tenant limit caps the sum, and a tenant's
PATCHed settings change the limits at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway.app import create_app
from tests.http.playback_fixtures import Stage, build_stage, play, set_tenant

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _actor(agents_worker) -> None:
    """play/ needs the session actor."""


def second_student(stage: Stage, bearer: Any) -> tuple[dict[str, str], int]:
    return bearer(stage.room.tenant, role="student", sub="stu-1"), stage.room.enrollments[1]["id"]


async def granted(api: TestClient, stage: Stage, headers: dict[str, str] | None = None,
                  enrollment: int | None = None) -> str:
    resp = await play(api, stage, enrollment=enrollment, headers=headers)
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["token"])


async def heartbeat(api: TestClient, stage: Stage, token: str,
                    headers: dict[str, str] | None = None) -> Any:
    return await api.post(stage.url("heartbeat"), json={"token": token},
                          headers=headers or stage.student)


async def assert_limited(resp: Any, scope: str) -> None:
    body = await resp.json()
    assert resp.status == 429, body
    assert body["detail"] == "rate_limited" and body["scope"] == scope
    retry = resp.headers["Retry-After"]
    assert retry.isdigit() and int(retry) >= 1


async def test_a_heartbeat_flood_is_cut_and_another_student_is_not(
        api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    token = await granted(api, stage)
    statuses = [(await heartbeat(api, stage, token)).status for _ in range(80)]
    # The default (60 a minute, bursts of 60) lets the first 60 through, then one a second.
    assert statuses[:60] == [200] * 60 and statuses[60:].count(429) >= 15, statuses
    await assert_limited(await heartbeat(api, stage, token), "user")
    other, enrollment = second_student(stage, bearer)
    other_token = await granted(api, stage, other, enrollment)
    assert (await heartbeat(api, stage, other_token, other)).status == 200
    metrics = await (await api.get("/metrics")).text()
    assert 'lecturecast_rate_limited_total{route="heartbeat",scope="user"}' in metrics


async def test_an_events_flood_by_beacon_is_cut_by_event_count(
        api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    token = await granted(api, stage)
    full = [{"type": "position", "payload": {"position": i, "rate": 1}} for i in range(100)]
    statuses = []
    for _ in range(8):
        # A beacon: no Authorization header, the playback token names tenant and user.
        resp = await api.post(stage.url("events"), json={"token": token, "events": full})
        statuses.append(resp.status)
    # 600 events a minute per student: six full batches, then 429.
    assert statuses[:6] == [200] * 6 and statuses[6:] == [429, 429], statuses
    await assert_limited(resp, "user")


async def test_play_and_refresh_floods_follow_patched_settings(
        api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, rate_play_user_per_minute=3,
                              rate_refresh_user_per_minute=2)
    answers = [(await play(api, stage, "same-device")).status for _ in range(3)]
    assert 429 not in answers, answers
    await assert_limited(await play(api, stage, "same-device"), "user")
    token = (await (await play(api, stage, "x", headers=bearer(tenant_slug, role="student",
                                                                sub="stu-1"),
                               enrollment=stage.room.enrollments[1]["id"])).json())["token"]
    other = bearer(tenant_slug, role="student", sub="stu-1")
    refreshes = [(await api.post(stage.url("refresh"), json={"token": token},
                                 headers=other)).status for _ in range(3)]
    assert refreshes[:2] == [200, 200] and refreshes[2] == 429, refreshes


async def test_the_tenant_limit_caps_the_sum_of_its_students(
        api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug)
    other, enrollment = second_student(stage, bearer)
    first, second = await granted(api, stage), await granted(api, stage, other, enrollment)
    await set_tenant(api, stage.room, rate_heartbeat_tenant_per_minute=4)
    assert [(await heartbeat(api, stage, first)).status for _ in range(2)] == [200, 200]
    assert [(await heartbeat(api, stage, second, other)).status for _ in range(2)] == [200, 200]
    await assert_limited(await heartbeat(api, stage, second, other), "tenant")
    await assert_limited(await heartbeat(api, stage, first), "tenant")
    # Another tenant is not affected.
    elsewhere = await build_stage(api, bearer, tenant_slug + "-b")
    assert (await heartbeat(api, elsewhere, await granted(api, elsewhere))).status == 200


async def test_an_upload_flood_is_cut(api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, rate_upload_user_per_minute=2)
    body = {"session": stage.room.session["id"], "filename": "a.mp4", "size": 1000}
    statuses = [(await api.post("/api/v1/media/videos/presign/", json=body,
                                headers=stage.room.admin)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    form = aiohttp.FormData()
    form.add_field("session", str(stage.room.session["id"]))
    form.add_field("files", b"data", filename="a.mp4", content_type="video/mp4")
    await assert_limited(await api.post("/api/v1/lectures/videos/upload/", data=form,
                                        headers=stage.room.admin), "user")
    # Another manager of the same academy still uploads.
    teacher = bearer(tenant_slug, role="teacher", sub="teacher-2")
    resp = await api.post("/api/v1/media/videos/presign/", json=body, headers=teacher)
    assert resp.status == 200, await resp.text()


async def test_malformed_requests_are_refused_before_the_limiter(
        api: TestClient, bearer, tenant_slug: str) -> None:
    stage = await build_stage(api, bearer, tenant_slug, rate_upload_user_per_minute=1)
    bad = {"session": stage.room.session["id"], "filename": "notes.pdf", "size": 1000}
    for _ in range(3):
        resp = await api.post("/api/v1/media/videos/presign/", json=bad, headers=stage.room.admin)
        assert resp.status == 400
    good = {**bad, "filename": "a.mp4"}
    assert (await api.post("/api/v1/media/videos/presign/", json=good,
                           headers=stage.room.admin)).status == 200


async def test_without_redis_the_limiter_lets_uploads_through(
        aiohttp_client, bearer, tenant_slug: str, settings: Settings) -> None:
    api = await aiohttp_client(create_app(settings))
    stage = await build_stage(api, bearer, tenant_slug)
    broken = await aiohttp_client(create_app(
        dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")))
    body = {"session": stage.room.session["id"], "filename": "a.mp4", "size": 1000}
    resp = await broken.post("/api/v1/media/videos/presign/", json=body, headers=stage.room.admin)
    assert resp.status == 200, await resp.text()
    metrics = await (await broken.get("/metrics")).text()
    assert 'lecturecast_rate_limit_errors_total{route="upload"} 1.0' in metrics
