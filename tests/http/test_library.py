"""The student's library (``my-videos/``): their videos, the enrollment to play, rule, progress."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.http.media_fixtures import add_link_video, build_classroom

pytestmark = pytest.mark.stack
MINE = "/api/v1/media/my-videos/"


async def get(api: TestClient, path: str, headers: dict[str, str]) -> Any:
    resp = await api.get(path, headers=headers)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_a_student_sees_their_videos_with_enrollment_rule_and_progress(
        api: TestClient, bearer, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=2)
    first, second = [await add_link_video(api, room, title) for title in ("One", "Two")]
    e0, e1 = [e["id"] for e in room.enrollments]
    blocked = await api.post("/api/v1/media/video-permissions/", headers=room.admin,
                             json={"video": second["id"], "enrollment": e0, "rule": "blocked"})
    assert blocked.status == 201
    progress = await api.post("/api/v1/media/video-progress/update_progress/", headers=room.admin,
                              json={"video": first["id"], "enrollment": e0, "progress": 0.4,
                                    "last_position": 42, "completed": False})
    assert progress.status == 200

    mine = await get(api, MINE, bearer(tenant_slug, role="student", sub="stu-0"))
    assert mine["count"] == 2
    one, two = mine["results"]
    assert one == {"video": first["id"], "title": "One", "session": room.session["id"],
                   "status": "READY", "duration": None, "source_type": "youtube",
                   "enrollment": e0, "rule": "free", "progress": 0.4, "last_position": 42,
                   "completed": False, "poster_url": None}
    assert two["video"] == second["id"] and two["rule"] == "blocked" and two["progress"] == 0

    other = await get(api, MINE, bearer(tenant_slug, role="student", sub="stu-1"))
    assert [(r["enrollment"], r["rule"], r["last_position"]) for r in other["results"]] == [
        (e1, "free", 0), (e1, "free", 0)]


async def test_strangers_and_other_tenants_see_nothing(api: TestClient, bearer,
                                                       tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    await add_link_video(api, room)
    assert (await get(api, MINE, bearer(tenant_slug, role="student", sub="nobody")))["count"] == 0
    assert (await get(api, MINE, bearer(tenant_slug + "-x", role="student",
                                        sub="stu-0")))["count"] == 0
    assert (await get(api, MINE, room.admin))["count"] == 0  # an admin is no student


async def test_pages_past_the_end_keep_the_count(api: TestClient, bearer,
                                                 tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    for title in "ABC":
        await add_link_video(api, room, title)
    student = bearer(tenant_slug, role="student", sub="stu-0")
    page = await get(api, MINE + "?page_size=2", student)
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    assert [r["title"] for r in page["results"]] == ["A", "B"]
    beyond = await get(api, MINE + "?page=9&page_size=2", student)
    assert beyond["count"] == 3 and beyond["results"] == []
    assert (await api.get(MINE + "?page_size=0", headers=student)).status == 400
    assert (await api.get(MINE)).status == 401


async def test_posters_come_as_urls_and_me_names_the_student(
        api: TestClient, bearer, db, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    video = await add_link_video(api, room, "With a poster")
    await db.execute("UPDATE videos SET thumbnail_key = $2 WHERE id = $1", video["id"],
                     f"hls/videos/{video['id']}/poster.jpg")
    student = bearer(tenant_slug, role="student", sub="stu-0")
    [item] = (await get(api, MINE, student))["results"]
    # A path under the HLS tree (no CDN base set here), signed only when CDN keys are set.
    assert item["poster_url"].split("?")[0].endswith(f"/hls/videos/{video['id']}/poster.jpg")

    me = await get(api, "/api/v1/media/me/", student)
    assert me == {"user_id": "stu-0", "role": "student",
                  "name": room.students[0]["name"]}
    admin = await get(api, "/api/v1/media/me/", room.admin)
    assert admin["name"] == "" and admin["role"] == "admin"
    assert (await api.get("/api/v1/media/me/")).status == 401
