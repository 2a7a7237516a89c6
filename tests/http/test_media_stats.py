"""Video stats over HTTP: exact numbers, the three paths, roles, tenancy, statement count."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.logs import request_id_var
from gateway import keys
from gateway.video_views import VideoOut

pytestmark = pytest.mark.stack
MEDIA = "/api/v1/media/"


async def post(api: TestClient, path: str, body: object, h: dict[str, str]) -> Any:
    """Create through the catalog API."""
    resp = await api.post("/api/v1/catalog/" + path, json=body, headers=h)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def add_video(db: asyncpg.Pool, tenant: str, session_id: int, title: str = "Video") -> int:
    """A READY video row, inserted directly (video creation has its own endpoints)."""
    return await db.fetchval(
        "INSERT INTO videos (tenant_id, session_id, title, status) "
        "SELECT id, $2, $3, 'READY' FROM tenants WHERE slug = $1 RETURNING id",
        tenant, session_id, title)


async def enrolled_class(api: TestClient, h: dict[str, str], size: int) -> dict[str, Any]:
    """A lecture with two sessions and ``size`` enrolled students."""
    lecture = await post(api, "lectures/", {"title": "Algebra"}, h)
    sessions = [await post(api, "sessions/", {"lecture": lecture["id"], "title": f"W{i}"}, h)
                for i in (1, 2)]
    students: list[Any] = []
    enrollments: list[Any] = []
    if size:
        students = await post(api, "students/", [
            {"user_id": f"u{lecture['id']}-{i}", "name": f"Student {i}", "phone": f"010-{i}",
             "parent_phone": f"011-{i}" if i % 2 == 0 else "", "school": "North",
             "grade": 10 + i} for i in range(size)], h)
        enrollments = await post(api, "enrollments/", [
            {"student": s["id"], "lecture": lecture["id"]} for s in students], h)
    return {"lecture": lecture, "sessions": sessions, "students": students,
            "enrollments": enrollments}


async def progress(api: TestClient, h: dict[str, str], video: int, enrollment: int,
                   value: float) -> None:
    body = {"video": video, "enrollment": enrollment, "progress": value,
            "last_position": int(value * 600), "completed": value >= 0.99}
    resp = await api.post(MEDIA + "video-progress/update_progress/", json=body, headers=h)
    assert resp.status == 200, await resp.text()


async def get_stats(api: TestClient, path: str, h: dict[str, str],
                    status: int = 200) -> dict[str, Any]:
    resp = await api.get(path, headers=h)
    assert resp.status == status, await resp.text()
    return await resp.json()


async def test_exact_numbers_for_a_mixed_class(api: TestClient, bearer, tenant_slug: str,
                                               db: asyncpg.Pool) -> None:
    h = bearer(tenant_slug)
    cls = await enrolled_class(api, h, size=4)
    s1, s2 = (s["id"] for s in cls["sessions"])
    e0, e1, e2, e3 = (e["id"] for e in cls["enrollments"])
    video = await add_video(db, tenant_slug, s1)
    other_video = await add_video(db, tenant_slug, s1, "Other")
    # Noise the stats must ignore: another lecture's student, another video, another session.
    outsider = await enrolled_class(api, h, size=0)
    stranger = await post(api, "students/", {"user_id": "x", "name": "Stranger"}, h)
    await post(api, "enrollments/", {"student": stranger["id"],
                                     "lecture": outsider["lecture"]["id"]}, h)
    await progress(api, h, other_video, e3, 1.0)
    await post(api, "attendance/", {"session": s2, "enrollment": e2, "status": "ABSENT"}, h)
    # Every enrollment of the lecture counts, as in the seed: an inactive one too.
    resp = await api.patch(f"/api/v1/catalog/enrollments/{e3}/", json={"status": "INACTIVE"},
                           headers=h)
    assert resp.status == 200

    for enrollment, value in ((e0, 1.0), (e1, 0.95), (e2, 0.5)):
        await progress(api, h, video, enrollment, value)
    await post(api, "attendance/", {"session": s1, "enrollment": e0, "status": "PRESENT"}, h)
    await post(api, "attendance/", {"session": s1, "enrollment": e1, "status": "LATE"}, h)
    for enrollment, rule, override in ((e1, "blocked", True), (e2, "once", False)):
        resp = await api.post(MEDIA + "video-permissions/", headers=h, json={
            "video": video, "enrollment": enrollment, "rule": rule, "is_override": override})
        assert resp.status == 201, await resp.text()

    body = await get_stats(api, f"{MEDIA}videos/{video}/stats/", h)
    assert set(body) == {"video", "stats", "students"}
    assert set(body["video"]) == {f.name for f in dataclasses.fields(VideoOut)}
    assert body["video"]["id"] == video and body["video"]["session"] == s1
    assert body["stats"] == {"total_students": 4, "completed_100": 1, "completed_90": 2,
                             "avg_progress": pytest.approx((1.0 + 0.95 + 0.5 + 0) / 4)}
    people = cls["students"]
    expected = [
        (e0, 0, "PRESENT", 1.0, True, None, False, "free"),
        (e1, 1, "LATE", 0.95, False, "blocked", True, "blocked"),
        (e2, 2, None, 0.5, False, "once", False, "once"),
        (e3, 3, None, 0, False, None, False, "free"),
    ]
    assert body["students"] == [{
        "enrollment": enrollment, "student_id": people[i]["id"],
        "student_name": f"Student {i}", "parent_phone": f"011-{i}" if i % 2 == 0 else None,
        "student_phone": f"010-{i}", "school": "North", "grade": 10 + i,
        "attendance_status": attendance, "progress": value, "completed": completed,
        "rule": rule, "is_override": override, "effective_rule": effective,
        "user_id": people[i]["user_id"],  # the admin page lists the student's devices by it
    } for enrollment, i, attendance, value, completed, rule, override, effective in expected]

    # The same handler on the front end's alias and the seed's nested path.
    lecture = cls["lecture"]["id"]
    assert await get_stats(api, f"/api/v1/lectures/videos/{video}/stats/", h) == body
    nested = f"{MEDIA}lectures/{lecture}/sessions/{s1}/videos/{video}/stats/"
    assert await get_stats(api, nested, h) == body


async def test_nested_path_must_name_the_videos_lecture_and_session(
        api: TestClient, bearer, tenant_slug: str, db: asyncpg.Pool) -> None:
    h = bearer(tenant_slug)
    cls = await enrolled_class(api, h, size=1)
    other = await enrolled_class(api, h, size=0)
    s1, s2 = (s["id"] for s in cls["sessions"])
    video = await add_video(db, tenant_slug, s1)
    lecture, foreign_lecture = cls["lecture"]["id"], other["lecture"]["id"]
    for lec, ses in ((lecture, s2), (foreign_lecture, s1), (lecture, 999999999)):
        await get_stats(api, f"{MEDIA}lectures/{lec}/sessions/{ses}/videos/{video}/stats/", h,
                        status=404)


async def test_a_video_without_students(api: TestClient, bearer, tenant_slug: str,
                                        db: asyncpg.Pool) -> None:
    h = bearer(tenant_slug)
    cls = await enrolled_class(api, h, size=0)
    video = await add_video(db, tenant_slug, cls["sessions"][0]["id"])
    body = await get_stats(api, f"{MEDIA}videos/{video}/stats/", h)
    assert body["students"] == []
    assert body["stats"] == {"total_students": 0, "completed_100": 0, "completed_90": 0,
                             "avg_progress": 0}


async def test_roles_and_tenants(api: TestClient, bearer, tenant_slug: str,
                                 db: asyncpg.Pool) -> None:
    h = bearer(tenant_slug)
    cls = await enrolled_class(api, h, size=1)
    session, lecture = cls["sessions"][0]["id"], cls["lecture"]["id"]
    video = await add_video(db, tenant_slug, session)
    paths = [f"{MEDIA}videos/{video}/stats/", f"/api/v1/lectures/videos/{video}/stats/",
             f"{MEDIA}lectures/{lecture}/sessions/{session}/videos/{video}/stats/"]
    student = bearer(tenant_slug, role="student", sub="u0")
    theirs = bearer(tenant_slug + "-other")
    await get_stats(api, paths[0], theirs, status=404)  # creates the other tenant first
    for path in paths:
        await get_stats(api, path, student, status=403)
        await get_stats(api, path, theirs, status=404)
        assert (await api.get(path)).status == 401
        await get_stats(api, path, h)
    await get_stats(api, f"{MEDIA}videos/99999999999/stats/", h, status=404)
    await get_stats(api, f"{MEDIA}videos/99999999999999999999999/stats/", h, status=404)


class StatementLog:
    """Statements the app's pool runs per request id (background loops and resets left out)."""

    def __init__(self) -> None:
        self.by_request: Counter[str] = Counter()
        self._reset = ""

    async def attach(self, pool: asyncpg.Pool) -> None:
        """Log on every connection the pool may hand out (loggers outlive a release)."""
        conns = [await pool.acquire() for _ in range(pool.get_max_size())]
        self._reset = conns[0].get_reset_query()
        for conn in conns:
            conn.add_query_logger(self)
            await pool.release(conn)

    def __call__(self, record: asyncpg.connection.LoggedQuery) -> None:
        # asyncpg schedules loggers with call_soon, which keeps the running request's context.
        rid = request_id_var.get()
        if rid and record.query != self._reset:
            self.by_request[rid] += 1


async def test_the_statement_count_does_not_grow_with_the_class(
        api: TestClient, bearer, tenant_slug: str, db: asyncpg.Pool) -> None:
    h = bearer(tenant_slug)
    log = StatementLog()
    await log.attach(api.app[keys.DB])
    for size in (2, 40):
        cls = await enrolled_class(api, h, size=size)
        video = await add_video(db, tenant_slug, cls["sessions"][0]["id"])
        for e in cls["enrollments"][: size // 2]:
            await progress(api, h, video, e["id"], 0.5)
        rid = f"stats-{size}"
        body = await get_stats(api, f"{MEDIA}videos/{video}/stats/", {**h, "X-Request-ID": rid})
        assert body["stats"]["total_students"] == size
        await asyncio.sleep(0.01)  # the loggers run on the next loop turns
        # The class (one statement with joins) and the video row; the tenant id is cached.
        assert log.by_request[rid] == 2, size
