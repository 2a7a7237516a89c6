"""Video permissions over HTTP: CRUD, bulk upsert, validation, roles, tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.http.media_fixtures import add_link_video, build_classroom

pytestmark = pytest.mark.stack
BASE = "/api/v1/media/video-permissions/"
DEFAULTS = {"rule": "once", "allow_skip_override": None, "max_speed_override": None,
            "show_watermark_override": None, "block_speed_control": False, "block_seek": False,
            "is_override": False}


async def call(api: TestClient, method: str, path: str, h: dict[str, str], body: object = None,
               status: int = 200) -> Any:
    resp = await api.request(method, path, json=body, headers=h)
    assert resp.status == status, await resp.text()
    return await resp.json() if status != 204 else None


async def setup(api: TestClient, bearer: Any, tenant: str,
                students: int = 3) -> tuple[int, list[int]]:
    """A video and the enrollment ids of its lecture's class."""
    room = await build_classroom(api, bearer, tenant, students)
    video = await add_link_video(api, room)
    return video["id"], [e["id"] for e in room.enrollments]


async def test_crud_round_trip(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, (e0, e1, _) = await setup(api, bearer, tenant_slug)
    created = await call(api, "POST", BASE, h, {"video": video, "enrollment": e0}, 201)
    assert created == {"id": created["id"], "video": video, "enrollment": e0, **DEFAULTS,
                       "student_name": "Student 0"}
    item = f"{BASE}{created['id']}/"
    assert await call(api, "GET", item, h) == created
    patched = await call(api, "PATCH", item, h, {"rule": "free", "max_speed_override": 1.5,
                                                 "block_seek": True})
    assert patched == {**created, "rule": "free", "max_speed_override": 1.5, "block_seek": True}
    moved = await call(api, "PATCH", item, h, {"enrollment": e1})
    assert moved["enrollment"] == e1 and moved["student_name"] == "Student 1"
    await call(api, "DELETE", item, h, status=204)
    await call(api, "GET", item, h, status=404)


async def test_list_filters_and_pages(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    room = await build_classroom(api, bearer, tenant_slug, students=3)
    video, other_video = [(await add_link_video(api, room, title))["id"] for title in "AB"]
    enrollments = [e["id"] for e in room.enrollments]
    for e in enrollments:
        await call(api, "POST", BASE, h, {"video": video, "enrollment": e}, 201)
    await call(api, "POST", BASE, h, {"video": other_video, "enrollment": enrollments[0]}, 201)
    page = await call(api, "GET", f"{BASE}?video={video}&page_size=2", h)
    assert page["count"] == 3 and len(page["results"]) == 2 and "page=2" in page["next"]
    assert {r["video"] for r in page["results"]} == {video}
    mine = await call(api, "GET", f"{BASE}?enrollment={enrollments[0]}", h)
    assert {r["video"] for r in mine["results"]} == {video, other_video}
    both = await call(api, "GET", f"{BASE}?enrollment={enrollments[0]}&video={other_video}", h)
    assert both["count"] == 1
    await call(api, "GET", f"{BASE}?video=abc", h, status=400)


async def test_one_permission_per_video_and_enrollment(api: TestClient, bearer,
                                                       tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, (e0, e1, _) = await setup(api, bearer, tenant_slug)
    await call(api, "POST", BASE, h, {"video": video, "enrollment": e0}, 201)
    errors = await call(api, "POST", BASE, h, {"video": video, "enrollment": e0}, status=400)
    assert errors == {"non_field_errors": ["The fields video, enrollment must make a unique set."]}
    second = await call(api, "POST", BASE, h, {"video": video, "enrollment": e1}, 201)
    errors = await call(api, "PATCH", f"{BASE}{second['id']}/", h, {"enrollment": e0}, 400)
    assert "non_field_errors" in errors


@pytest.mark.parametrize(("body", "field"), [
    ({"max_speed_override": 0.1}, "max_speed_override"),
    ({"max_speed_override": 4.5}, "max_speed_override"),
    ({"max_speed_override": "fast"}, "max_speed_override"),
    ({"rule": "sometimes"}, "rule"),
    ({"block_seek": "yes"}, "block_seek"),
    ({"colour": "red"}, "colour"),
    ({"video": None}, "video"),
    ({"enrollment": 0}, "enrollment"),
])
async def test_bad_input_names_the_field(api: TestClient, bearer, tenant_slug: str,
                                         body: dict[str, Any],
                                         field: str) -> None:
    h = bearer(tenant_slug)
    video, enrollments = await setup(api, bearer, tenant_slug, students=1)
    full = {"video": video, "enrollment": enrollments[0], **body}
    errors = await call(api, "POST", BASE, h, full, status=400)
    assert field in errors and isinstance(errors[field], list)
    row = await call(api, "POST", BASE, h, {"video": video, "enrollment": enrollments[0]}, 201)
    errors = await call(api, "PATCH", f"{BASE}{row['id']}/", h, body, status=400)
    assert field in errors


async def test_limits_of_max_speed_are_accepted(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, (e0, e1, e2) = await setup(api, bearer, tenant_slug)
    for e, speed in ((e0, 0.25), (e1, 4), (e2, None)):
        row = await call(api, "POST", BASE, h,
                         {"video": video, "enrollment": e, "max_speed_override": speed}, 201)
        assert row["max_speed_override"] == speed


async def test_unknown_ids_are_400_naming_the_field(api: TestClient, bearer,
                                                    tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, enrollments = await setup(api, bearer, tenant_slug, students=1)
    errors = await call(api, "POST", BASE, h, {"video": 2**62, "enrollment": enrollments[0]},
                        status=400)
    assert errors == {"video": [f'Invalid pk "{2**62}" - object does not exist.']}
    errors = await call(api, "POST", BASE, h, {"video": video, "enrollment": 2**62}, status=400)
    assert list(errors) == ["enrollment"]


async def test_bulk_upserts_in_one_go(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    video, (e0, e1, e2, e3) = await setup(api, bearer, tenant_slug, students=4)
    first = await call(api, "POST", BASE + "bulk/", h, {
        "video": video, "enrollments": [e2, e0, e1, e0], "rule": "blocked", "block_seek": True,
        "max_speed_override": 2.0})
    assert [r["enrollment"] for r in first] == [e2, e0, e1]
    assert all(r["rule"] == "blocked" and r["block_seek"] and r["max_speed_override"] == 2.0
               for r in first)
    assert [r["student_name"] for r in first] == ["Student 2", "Student 0", "Student 1"]
    # Update two, create one: fields not sent stay on existing rows and default on new ones.
    second = await call(api, "POST", BASE + "bulk/", h, {
        "video": video, "enrollments": [e0, e3, e1], "rule": "free", "is_override": True,
        "max_speed_override": None})
    by_enrollment = {r["enrollment"]: r for r in second}
    assert by_enrollment[e0]["id"] == first[1]["id"]
    assert by_enrollment[e0] == {**first[1], "rule": "free", "is_override": True,
                                 "max_speed_override": None}
    assert by_enrollment[e3] == {"id": by_enrollment[e3]["id"], "video": video,
                                 "enrollment": e3, **DEFAULTS, "rule": "free",
                                 "is_override": True, "student_name": "Student 3"}
    listed = await call(api, "GET", f"{BASE}?video={video}", h)
    assert listed["count"] == 4
    untouched = next(r for r in listed["results"] if r["enrollment"] == e2)
    assert untouched == first[0]


@pytest.mark.parametrize(("body", "field"), [
    ({"enrollments": []}, "enrollments"),
    ({"enrollments": "all"}, "enrollments"),
    ({"rule": None}, "rule"),
    ({"max_speed_override": 9}, "max_speed_override"),
    ({"enrollment": 1}, "enrollment"),
])
async def test_bulk_bad_input(api: TestClient, bearer, tenant_slug: str,
                              body: dict[str, Any], field: str) -> None:
    h = bearer(tenant_slug)
    video, enrollments = await setup(api, bearer, tenant_slug, students=1)
    full = {"video": video, "enrollments": enrollments, "rule": "once", **body}
    errors = await call(api, "POST", BASE + "bulk/", h, full, status=400)
    assert field in errors


async def test_bulk_with_a_foreign_id_writes_nothing(api: TestClient, bearer,
                                                     tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    theirs = bearer(tenant_slug + "-other")
    video, enrollments = await setup(api, bearer, tenant_slug)
    their_video, their_enrollments = await setup(api, bearer, tenant_slug + "-other", 1)
    errors = await call(api, "POST", BASE + "bulk/", h, {
        "video": video, "enrollments": [*enrollments, their_enrollments[0]], "rule": "free"},
        status=400)
    assert errors == {"enrollments": [
        f'Invalid pk "{their_enrollments[0]}" - object does not exist.']}
    errors = await call(api, "POST", BASE + "bulk/", h, {
        "video": their_video, "enrollments": enrollments, "rule": "free"}, status=400)
    assert list(errors) == ["video"]
    assert (await call(api, "GET", BASE, h))["count"] == 0
    assert (await call(api, "GET", BASE, theirs))["count"] == 0


async def test_tenants_cannot_see_or_use_each_other(api: TestClient, bearer,
                                                    tenant_slug: str) -> None:
    mine = bearer(tenant_slug)
    theirs = bearer(tenant_slug + "-other")
    video, enrollments = await setup(api, bearer, tenant_slug, students=1)
    row = await call(api, "POST", BASE, mine, {"video": video, "enrollment": enrollments[0]}, 201)
    item = f"{BASE}{row['id']}/"
    assert (await call(api, "GET", BASE, theirs))["count"] == 0
    assert (await call(api, "GET", f"{BASE}?video={video}", theirs))["count"] == 0
    await call(api, "GET", item, theirs, status=404)
    await call(api, "PATCH", item, theirs, {"rule": "free"}, status=404)
    await call(api, "DELETE", item, theirs, status=404)
    # The pair already has a permission in my tenant: theirs learns nothing from a create.
    errors = await call(api, "POST", BASE, theirs,
                        {"video": video, "enrollment": enrollments[0]}, status=400)
    assert list(errors) == ["video"]
    await call(api, "POST", BASE + "bulk/", theirs,
               {"video": video, "enrollments": enrollments, "rule": "free"}, status=400)
    assert await call(api, "GET", item, mine) == row


async def test_students_may_not_touch_permissions(api: TestClient, bearer,
                                                  tenant_slug: str) -> None:
    h = bearer(tenant_slug, role="student", sub="s1")
    for method, path in (("GET", BASE), ("POST", BASE), ("POST", BASE + "bulk/"),
                         ("GET", BASE + "1/"), ("PATCH", BASE + "1/"), ("DELETE", BASE + "1/")):
        resp = await api.request(method, path, json={}, headers=h)
        assert resp.status == 403, (method, path)
        assert (await api.request(method, path, json={})).status == 401
