"""Videos over HTTP: links, list/filter/search, student visibility, policy, retry, delete."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.http.media_fixtures import add_link_video, build_classroom

pytestmark = pytest.mark.stack
V = "/api/v1/media/videos/"


async def test_add_url_makes_ready_videos_from_youtube_and_links(api: TestClient, bearer,
                                                                 tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug)
    yt = await add_link_video(api, room)
    assert (yt["youtube_id"], yt["status"], yt["source_type"]) == ("dQw4w9WgXcQ", "READY", "youtube")
    assert yt["session"] == yt["session_id"] == room.session["id"] and yt["order"] == 1
    assert {"thumbnail_url", "error_reason", "processing_progress", "file", "file_size"} <= set(yt)
    resp = await api.post(V + "add-url/", json={"session": room.session["id"], "title": "Ext",
                                                "url": "https://cdn.example.org/a.mp4"},
                          headers=room.admin)
    ext = await resp.json()
    assert resp.status == 201 and ext["external_url"] == "https://cdn.example.org/a.mp4"
    assert ext["source_type"] == "external" and ext["order"] == 2
    # The front end's own path is served by the same handler.
    alias = await api.get(f"/api/v1/lectures/videos/{ext['id']}/", headers=room.admin)
    assert (await alias.json())["id"] == ext["id"]


@pytest.mark.parametrize(("body", "field"), [
    ({"title": "x", "url": "https://youtu.be/short"}, "url"),
    ({"title": "x", "url": "ftp://example.org/x.mp4"}, "url"),
    ({"title": "", "url": "https://example.org/x.mp4"}, "title"),
])
async def test_bad_links_are_400(api: TestClient, bearer, tenant_slug: str,
                                 body: dict[str, object], field: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    resp = await api.post(V + "add-url/", json={"session": room.session["id"], **body},
                          headers=room.admin)
    assert resp.status == 400 and field in await resp.json()


async def test_list_filters_search_and_order(api: TestClient, bearer, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    for title in ("Cells", "Genetics", "Cell division"):
        await add_link_video(api, room, title)
    page = await (await api.get(V, params={"search": "cell"}, headers=room.admin)).json()
    assert [v["title"] for v in page["results"]] == ["Cells", "Cell division"]
    ready = await (await api.get(V, params={"session": room.session["id"], "status": "READY"},
                                 headers=room.admin)).json()
    assert ready["count"] == 3
    bad = await api.get(V, params={"status": "DONE"}, headers=room.admin)
    assert bad.status == 400 and "status" in await bad.json()


async def test_students_see_only_their_sessions_videos(api: TestClient, bearer,
                                                       tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    mine = await add_link_video(api, room, "Mine")
    other_session = await (await api.post("/api/v1/catalog/sessions/", json={
        "lecture": room.lecture["id"], "title": "W2"}, headers=room.admin)).json()
    hidden = await add_link_video(api, room, "Not mine", session=other_session["id"])
    student = bearer(tenant_slug, role="student", sub="stu-0")
    listed = await (await api.get(V, headers=student)).json()
    assert [v["id"] for v in listed["results"]] == [mine["id"]]
    assert (await api.get(f"{V}{mine['id']}/", headers=student)).status == 200
    assert (await api.get(f"{V}{hidden['id']}/", headers=student)).status == 404
    stranger = bearer(tenant_slug, role="student", sub="nobody")
    assert (await (await api.get(V, headers=stranger)).json())["count"] == 0
    for method, path in (("POST", V + "add-url/"), ("PATCH", f"{V}{mine['id']}/"),
                         ("DELETE", f"{V}{mine['id']}/"), ("POST", f"{V}{mine['id']}/retry/"),
                         ("POST", f"{V}{mine['id']}/set-policy/")):
        assert (await api.request(method, path, json={}, headers=student)).status == 403


async def test_policy_and_patch(api: TestClient, bearer, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await add_link_video(api, room)
    url = f"{V}{video['id']}/set-policy/"
    resp = await api.post(url, json={"allow_skip": True, "max_speed": 1.5}, headers=room.admin)
    changed = await resp.json()
    assert resp.status == 200
    assert (changed["allow_skip"], changed["max_speed"], changed["show_watermark"]) == \
        (True, 1.5, True)
    for bad in ({"max_speed": 0}, {"max_speed": 16}, {"allow_skip": "yes"}, {"status": "READY"}):
        resp = await api.post(url, json=bad, headers=room.admin)
        assert resp.status == 400, bad
    patched = await (await api.patch(f"{V}{video['id']}/", json={"title": "Renamed", "order": 7},
                                     headers=room.admin)).json()
    assert (patched["title"], patched["order"]) == ("Renamed", 7)
    moved = await api.patch(f"{V}{video['id']}/", json={"session": 2**62}, headers=room.admin)
    assert moved.status == 400 and "session" in await moved.json()


async def test_retry_only_failed_or_uploaded(api: TestClient, bearer, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await add_link_video(api, room)
    resp = await api.post(f"{V}{video['id']}/retry/", headers=room.admin)
    assert resp.status == 400 and "READY" in (await resp.json())["detail"]


async def test_delete_and_tenant_isolation(api: TestClient, bearer, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await add_link_video(api, room)
    other = bearer(tenant_slug + "-x")
    vid = video["id"]
    for method, path, body in (
            ("GET", f"{V}{vid}/", None), ("PATCH", f"{V}{vid}/", {"title": "x"}),
            ("DELETE", f"{V}{vid}/", None), ("POST", f"{V}{vid}/retry/", None),
            ("POST", f"{V}{vid}/set-policy/", {"allow_skip": True}),
            ("GET", f"{V}{vid}/download/", None)):
        resp = await api.request(method, path, json=body, headers=other)
        assert resp.status == 404, (method, path, resp.status)
    foreign = await api.post(V + "add-url/", json={"session": room.session["id"], "title": "x",
                                                   "url": "https://e.org/a.mp4"}, headers=other)
    assert foreign.status == 400 and "session" in await foreign.json()
    assert (await api.delete(f"{V}{vid}/", headers=room.admin)).status == 204
    assert (await api.get(f"{V}{vid}/", headers=room.admin)).status == 404


async def test_nested_path_checks_lecture_and_session(api: TestClient, bearer,
                                                      tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await add_link_video(api, room)
    good = (f"/api/v1/media/lectures/{room.lecture['id']}/sessions/{room.session['id']}/"
            f"videos/{video['id']}/")
    assert (await api.get(good, headers=room.admin)).status == 200
    wrong = f"/api/v1/media/lectures/{room.lecture['id'] + 1000}/sessions/{room.session['id']}/" \
            f"videos/{video['id']}/"
    assert (await api.get(wrong, headers=room.admin)).status == 404
