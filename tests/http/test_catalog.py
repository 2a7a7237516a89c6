"""The catalog API over HTTP: CRUD, bulk create, filters, pagination, roles, tenancy, input."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

pytestmark = pytest.mark.stack
BASE = "/api/v1/catalog/"


async def post(api: TestClient, path: str, body: object, headers: dict[str, str],
               status: int = 201) -> object:
    resp = await api.post(BASE + path, json=body, headers=headers)
    assert resp.status == status, await resp.text()
    return await resp.json()


async def build_class(api: TestClient, h: dict[str, str], students: int = 3) -> dict[str, object]:
    lecture = await post(api, "lectures/", {"title": "Algebra"}, h)
    session = await post(api, "sessions/", {"lecture": lecture["id"], "title": "Week 1"}, h)
    people = await post(api, "students/", [
        {"user_id": f"u{i}", "name": f"Student {i}", "grade": 10} for i in range(students)], h)
    enrollments = await post(api, "enrollments/", [
        {"student": p["id"], "lecture": lecture["id"]} for p in people], h)
    return {"lecture": lecture, "session": session, "students": people,
            "enrollments": enrollments}


async def test_crud_round_trip(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    lecture = await post(api, "lectures/", {"title": "Physics"}, h)
    assert set(lecture) == {"id", "title"} and lecture["title"] == "Physics"
    session = await post(api, "sessions/", {"lecture": lecture["id"], "title": "W1", "order": 2}, h)
    assert session == {"id": session["id"], "lecture": lecture["id"], "title": "W1", "order": 2}
    url = f"{BASE}sessions/{session['id']}/"
    patched = await (await api.patch(url, json={"title": "Week one"}, headers=h)).json()
    assert patched["title"] == "Week one" and patched["order"] == 2
    assert (await (await api.get(url, headers=h)).json()) == patched
    assert (await api.delete(url, headers=h)).status == 204
    assert (await api.get(url, headers=h)).status == 404


async def test_bulk_create_and_filters_and_pages(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    cls = await build_class(api, h, students=5)
    assert len(cls["enrollments"]) == 5
    resp = await api.get(BASE + "enrollments/", params={"lecture": cls["lecture"]["id"],
                                                        "page_size": 2}, headers=h)
    page = await resp.json()
    assert page["count"] == 5 and len(page["results"]) == 2
    assert page["previous"] is None and "page=2" in page["next"]
    last = await (await api.get(BASE + "enrollments/", params={"page": 3, "page_size": 2},
                                headers=h)).json()
    assert len(last["results"]) == 1 and last["next"] is None
    one = await (await api.get(BASE + "students/", params={"user_id": "u3"}, headers=h)).json()
    assert [s["name"] for s in one["results"]] == ["Student 3"]


async def test_a_bulk_create_is_all_or_nothing(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    body = [{"user_id": "a", "name": "A"}, {"user_id": "b", "name": "B"},
            {"user_id": "a", "name": "duplicate"}]
    errors = await post(api, "students/", body, h, status=400)
    assert errors == {"2.user_id": ["A student with this user_id already exists."]}
    listed = await (await api.get(BASE + "students/", headers=h)).json()
    assert listed["count"] == 0


@pytest.mark.parametrize(("path", "body", "field"), [
    ("lectures/", {}, "title"),
    ("lectures/", {"title": ""}, "title"),
    ("lectures/", {"title": "x", "extra": 1}, "extra"),
    ("sessions/", {"lecture": "one", "title": "x"}, "lecture"),
    ("students/", {"user_id": "u", "name": "n", "grade": -1}, "grade"),
    ("enrollments/", {"student": 1, "lecture": 1, "status": "MAYBE"}, "status"),
    ("attendance/", {"session": 1, "enrollment": 1, "status": "HERE"}, "status"),
])
async def test_field_errors_name_the_field(api: TestClient, bearer, tenant_slug: str, path: str,
                                           body: dict[str, object], field: str) -> None:
    errors = await post(api, path, body, bearer(tenant_slug), status=400)
    assert field in errors and isinstance(errors[field], list)


async def test_natural_uniqueness_is_400(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    cls = await build_class(api, h, students=1)
    again = {"student": cls["students"][0]["id"], "lecture": cls["lecture"]["id"]}
    errors = await post(api, "enrollments/", again, h, status=400)
    assert "already enrolled" in errors["non_field_errors"][0]
    dup = await post(api, "students/", {"user_id": "u0", "name": "Twin"}, h, status=400)
    assert "user_id" in dup


async def test_tenants_cannot_see_or_use_each_other(api: TestClient, bearer, tenant_slug: str) -> None:
    mine = bearer(tenant_slug)
    theirs = bearer(tenant_slug + "-other")
    cls = await build_class(api, mine, students=1)
    for resource, row in (("lectures", cls["lecture"]), ("sessions", cls["session"]),
                          ("students", cls["students"][0]),
                          ("enrollments", cls["enrollments"][0])):
        url = f"{BASE}{resource}/{row['id']}/"
        assert (await api.get(url, headers=theirs)).status == 404
        assert (await api.patch(url, json={}, headers=theirs)).status in (400, 404)
        assert (await api.delete(url, headers=theirs)).status == 404
        assert (await api.get(url, headers=mine)).status == 200
    listed = await (await api.get(BASE + "lectures/", headers=theirs)).json()
    assert listed["count"] == 0
    # A foreign id inside a body is a 400 naming the field, never a link across tenants.
    errors = await post(api, "sessions/", {"lecture": cls["lecture"]["id"], "title": "x"},
                        theirs, status=400)
    assert "does not exist" in errors["lecture"][0]


@pytest.mark.parametrize("role", ["student"])
async def test_students_may_not_touch_the_catalog(api: TestClient, bearer, tenant_slug: str,
                                                  role: str) -> None:
    h = bearer(tenant_slug, role=role, sub="s1")
    for resource in ("lectures", "sessions", "students", "enrollments", "session-enrollments",
                     "attendance"):
        assert (await api.get(f"{BASE}{resource}/", headers=h)).status == 403
        assert (await api.post(f"{BASE}{resource}/", json={}, headers=h)).status == 403


@pytest.mark.parametrize("role", ["admin", "staff", "teacher"])
async def test_managers_may_write(api: TestClient, bearer, tenant_slug: str, role: str) -> None:
    await post(api, "lectures/", {"title": "ok"}, bearer(tenant_slug, role=role))


async def test_no_token_is_401(api: TestClient) -> None:
    resp = await api.get(BASE + "lectures/")
    assert resp.status == 401 and "detail" in await resp.json()


@pytest.mark.parametrize("query", [{"page": "0"}, {"page_size": "201"}, {"page": "x"},
                                   {"lecture": "abc"}])
async def test_bad_query_strings_are_400(api: TestClient, bearer, tenant_slug: str,
                                         query: dict[str, str]) -> None:
    resp = await api.get(BASE + "sessions/", params=query, headers=bearer(tenant_slug))
    assert resp.status == 400


async def test_huge_ids_and_bodies_are_4xx(api: TestClient, bearer, tenant_slug: str) -> None:
    h = bearer(tenant_slug)
    assert (await api.get(BASE + "lectures/99999999999999999999999/", headers=h)).status == 404
    big = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    resp = await api.post(BASE + "lectures/", data=big,
                          headers={**h, "Content-Type": "application/json"})
    assert resp.status == 413
    errors = await post(api, "sessions/", {"lecture": 2**63, "title": "x"}, h, status=400)
    assert "lecture" in errors
