"""Video progress over HTTP: upsert, list/retrieve, students' own rows, input, tenancy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.http.media_fixtures import add_link_video, build_classroom

pytestmark = pytest.mark.stack
BASE = "/api/v1/media/video-progress/"
UPDATE = BASE + "update_progress/"
FRONT_END_UPDATE = "/api/v1/lectures/video-progress/update_progress/"


async def call(api: TestClient, method: str, path: str, h: dict[str, str], body: object = None,
               status: int = 200) -> Any:
    resp = await api.request(method, path, json=body, headers=h)
    assert resp.status == status, await resp.text()
    return await resp.json()


async def setup(api: TestClient, bearer: Any, tenant: str,
                students: int = 2) -> tuple[int, list[int]]:
    """A video and the enrollment ids of its lecture's class (students stu-0, stu-1, ...)."""
    room = await build_classroom(api, bearer, tenant, students)
    video = await add_link_video(api, room)
    return video["id"], [e["id"] for e in room.enrollments]


def body(video: int, enrollment: int, progress: float = 0.5, **extra: Any) -> dict[str, Any]:
    return {"video": video, "enrollment": enrollment, "progress": progress,
            "last_position": 120, "completed": False, **extra}


async def test_update_progress_upserts(api: TestClient, bearer, tenant_slug: str,
                                       db: asyncpg.Pool) -> None:
    h = bearer(tenant_slug)
    video, (e0, _) = await setup(api, bearer, tenant_slug)
    first = await call(api, "POST", UPDATE, h, body(video, e0, 0.25))
    assert set(first) == {"id", "video", "enrollment", "progress", "last_position", "completed",
                          "updated_at", "student_name"}
    assert first["video"] == video and first["enrollment"] == e0
    assert (first["progress"], first["last_position"], first["completed"]) == (0.25, 120, False)
    assert first["student_name"] == "Student 0"
    datetime.fromisoformat(first["updated_at"])
    # The front end's path, same row: overwritten, not duplicated.
    second = await call(api, "POST", FRONT_END_UPDATE, h,
                        body(video, e0, 1.0, last_position=600, completed=True))
    assert second["id"] == first["id"]
    assert (second["progress"], second["last_position"], second["completed"]) == (1.0, 600, True)
    assert second["updated_at"] >= first["updated_at"]
    assert await call(api, "GET", f"{BASE}{first['id']}/", h) == second
    completed_at = await db.fetchval("SELECT completed_at FROM video_progress WHERE id = $1",
                                     first["id"])
    assert completed_at is not None
    assert (await call(api, "GET", BASE, h))["count"] == 1


async def test_list_filters_and_pages(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    room = await build_classroom(api, bearer, tenant_slug, students=3)
    video, other = [(await add_link_video(api, room, title))["id"] for title in "AB"]
    enrollments = [e["id"] for e in room.enrollments]
    for e in enrollments:
        await call(api, "POST", UPDATE, h, body(video, e))
    await call(api, "POST", UPDATE, h, body(other, enrollments[0]))
    page = await call(api, "GET", f"{BASE}?video={video}&page_size=2", h)
    assert page["count"] == 3 and len(page["results"]) == 2 and "page=2" in page["next"]
    last = await call(api, "GET", f"{BASE}?video={video}&page_size=2&page=2", h)
    assert len(last["results"]) == 1 and last["next"] is None
    first_student = await call(api, "GET", f"{BASE}?enrollment={enrollments[0]}", h)
    assert {r["video"] for r in first_student["results"]} == {video, other}
    await call(api, "GET", f"{BASE}?enrollment=-1", h, status=400)


async def test_students_see_only_their_own_rows(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, (mine, yours) = await setup(api, bearer, tenant_slug)
    own = await call(api, "POST", UPDATE, h, body(video, mine))
    other = await call(api, "POST", UPDATE, h, body(video, yours))
    student = bearer(tenant_slug, role="student", sub="stu-0")  # the profile of enrollment `mine`
    listed = await call(api, "GET", BASE, student)
    assert listed["count"] == 1 and listed["results"] == [own]
    assert (await call(api, "GET", f"{BASE}?enrollment={yours}", student))["count"] == 0
    assert await call(api, "GET", f"{BASE}{own['id']}/", student) == own
    await call(api, "GET", f"{BASE}{other['id']}/", student, status=404)
    # No student profile at all: nothing.
    stranger = bearer(tenant_slug, role="student", sub="nobody")
    assert (await call(api, "GET", BASE, stranger))["count"] == 0
    await call(api, "GET", f"{BASE}{own['id']}/", stranger, status=404)


async def test_students_only_move_their_own_resume_point(api: TestClient, bearer,
                                                        tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, (mine, yours) = await setup(api, bearer, tenant_slug)
    student = bearer(tenant_slug, role="student", sub="stu-0")
    for path, position in ((UPDATE, 120), (FRONT_END_UPDATE, 150)):
        row = await call(api, "POST", path, student,
                         body(video, mine, progress=1.0, completed=True, last_position=position))
        # The resume point moves; progress and completion stay what the server observed.
        assert (row["last_position"], row["progress"], row["completed"]) == (position, 0, False)
        assert (await api.post(path, json=body(video, mine))).status == 401
    await call(api, "POST", UPDATE, student, body(video, yours), status=404)
    admin_row = await call(api, "POST", UPDATE, h, body(video, mine, progress=0.7))
    assert admin_row["progress"] == 0.7
    again = await call(api, "POST", UPDATE, student, body(video, mine, progress=0.0))
    assert again["progress"] == 0.7 and again["last_position"] == 120


@pytest.mark.parametrize(("change", "field"), [
    ({"progress": 1.5}, "progress"),
    ({"progress": -0.1}, "progress"),
    ({"progress": "half"}, "progress"),
    ({"last_position": -1}, "last_position"),
    ({"last_position": 2**31}, "last_position"),
    ({"completed": "yes"}, "completed"),
    ({"video": 0}, "video"),
    ({"speed": 2}, "speed"),
])
async def test_bad_input_names_the_field(api: TestClient, bearer, tenant_slug: str,
                                         change: dict[str, Any],
                                         field: str) -> None:
    h = bearer(tenant_slug)
    video, (e0, _) = await setup(api, bearer, tenant_slug)
    errors = await call(api, "POST", UPDATE, h, {**body(video, e0), **change}, status=400)
    assert field in errors and isinstance(errors[field], list)


async def test_missing_fields_and_unknown_ids(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, (e0, _) = await setup(api, bearer, tenant_slug)
    partial = {"video": video, "enrollment": e0, "progress": 0.5, "last_position": 3}
    assert list(await call(api, "POST", UPDATE, h, partial, status=400)) == ["completed"]
    errors = await call(api, "POST", UPDATE, h, body(2**62, e0), status=400)
    assert errors == {"video": [f'Invalid pk "{2**62}" - object does not exist.']}
    errors = await call(api, "POST", UPDATE, h, body(video, 2**62), status=400)
    assert list(errors) == ["enrollment"]
    await call(api, "GET", f"{BASE}99999999999/", h, status=404)


async def test_tenants_cannot_see_or_use_each_other(api: TestClient, bearer,
                                                    tenant_slug: str) -> None:
    mine = bearer(tenant_slug)
    theirs = bearer(tenant_slug + "-other")
    video, (e0, _) = await setup(api, bearer, tenant_slug)
    their_video, (their_e0, _) = await setup(api, bearer, tenant_slug + "-other")
    row = await call(api, "POST", UPDATE, mine, body(video, e0, 0.3))
    assert (await call(api, "GET", BASE, theirs))["count"] == 0
    assert (await call(api, "GET", f"{BASE}?video={video}", theirs))["count"] == 0
    await call(api, "GET", f"{BASE}{row['id']}/", theirs, status=404)
    # My (video, enrollment) already has a row: their upsert must not reach it.
    for ids in ((video, e0), (video, their_e0), (their_video, e0)):
        await call(api, "POST", UPDATE, theirs, body(*ids, 1.0), status=400)
    assert await call(api, "GET", f"{BASE}{row['id']}/", mine) == row
    # A student of the other tenant with the same user id sees nothing of mine.
    their_student = bearer(tenant_slug + "-other", role="student", sub="stu-0")
    assert (await call(api, "GET", BASE, their_student))["count"] == 0
