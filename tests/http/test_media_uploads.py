"""Uploads against the real S3 server and Kafka: presigned PUT, resumable multipart, form."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from storage.objects import open_object_store
from streams import topics
from tests.http.media_fixtures import Classroom, build_classroom
from tests.stack.kafka_reader import read_topic

pytestmark = pytest.mark.stack
V = "/api/v1/media/videos/"
MIB = 1024 * 1024


async def transcode_requests_for(settings: Settings, video_id: int,
                                 timeout: float = 15.0) -> list[dict[str, Any]]:
    """The transcode requests of a video, waiting for the outbox relay to publish them."""
    deadline = time.monotonic() + timeout
    while True:
        found = [v for _k, v in await read_topic(settings, topics.TRANSCODE_REQUESTS)
                 if v["video_id"] == video_id]
        if found or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.3)


async def presign_and_put(api: TestClient, room: Classroom, data: bytes) -> str:
    resp = await api.post(V + "presign/", json={"session": room.session["id"],
                                                "filename": "Lesson 1.MP4", "size": len(data)},
                          headers=room.admin)
    body = await resp.json()
    assert resp.status == 200, body
    assert body["file_key"].startswith("uploads/") and body["file_key"].endswith(".mp4")
    async with aiohttp.ClientSession() as http:
        put = await http.put(body["upload_url"], data=data, headers={"Content-Type": "video/mp4"})
        assert put.status == 200, await put.text()
    return body["file_key"]


async def test_presign_put_complete_gives_an_uploaded_video_and_a_request(
        api: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    data = os.urandom(3000)
    key = await presign_and_put(api, room, data)
    body = {"session": room.session["id"], "title": "Lesson 1", "file_key": key}
    resp = await api.post(V + "complete/", json=body, headers=room.admin)
    video = await resp.json()
    assert resp.status == 201, video
    assert (video["status"], video["file_key"], video["file_size"]) == ("UPLOADED", key, 3000)
    requests = await transcode_requests_for(settings, video["id"])
    assert len(requests) == 1
    assert requests[0]["source_key"] == key and requests[0]["reason"] == "complete"
    # Idempotent per file_key: the same video, nothing new dispatched.
    again = await api.post(V + "complete/", json=body, headers=room.admin)
    assert again.status == 200 and (await again.json())["id"] == video["id"]
    await asyncio.sleep(1.5)
    assert len(await transcode_requests_for(settings, video["id"])) == 1
    # The source can be downloaded through a short-lived presigned GET.
    dl = await api.get(f"{V}{video['id']}/download/", headers=room.admin, allow_redirects=False)
    assert dl.status == 302
    async with aiohttp.ClientSession() as http:
        got = await http.get(dl.headers["Location"])
        assert got.status == 200 and await got.read() == data


async def test_complete_without_the_object_is_409(api: TestClient, bearer,
                                                  tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    resp = await api.post(V + "presign/", json={"session": room.session["id"],
                                                "filename": "a.mp4", "size": 10},
                          headers=room.admin)
    key = (await resp.json())["file_key"]
    done = await api.post(V + "complete/", json={"session": room.session["id"], "title": "x",
                                                 "file_key": key}, headers=room.admin)
    assert done.status == 409 and (await done.json())["detail"] == "S3 object not found"


@pytest.mark.parametrize(("body", "field"), [
    ({"filename": "notes.pdf", "size": 10}, "filename"),
    ({"filename": "noext", "size": 10}, "filename"),
    ({"filename": "a.mp4"}, "size"),  # required: it is signed into the PUT
    ({"filename": "a.mp4", "size": 0}, "size"),
    ({"filename": "a.mp4", "size": 50 * 1024**3}, "size"),
    ({"filename": "a.mp4", "size": 10, "content_type": "text/html"}, "content_type"),
])
async def test_presign_checks_the_file(api: TestClient, bearer, tenant_slug: str,
                                       body: dict[str, object], field: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    resp = await api.post(V + "presign/", json={"session": room.session["id"], **body},
                          headers=room.admin)
    assert resp.status == 400 and field in await resp.json()


async def test_complete_refuses_another_tenants_key(api: TestClient, bearer,
                                                    tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    resp = await api.post(V + "complete/", json={"session": room.session["id"], "title": "x",
                                                 "file_key": "uploads/999999/1/x.mp4"},
                          headers=room.admin)
    assert resp.status == 400 and "file_key" in await resp.json()


async def test_multipart_upload_resumes_after_an_interrupted_part(
        api: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    data = os.urandom(8 * MIB + 1234)  # two parts
    start = {"session": room.session["id"], "filename": "long.mov", "size": len(data)}
    plan = await (await api.post(V + "presign-multipart/", json=start, headers=room.admin)).json()
    assert plan["part_size"] == 8 * MIB and [p["part_number"] for p in plan["parts"]] == [1, 2]
    chunks = [data[:plan["part_size"]], data[plan["part_size"]:]]
    async with aiohttp.ClientSession() as http:
        first = await http.put(plan["parts"][0]["url"], data=chunks[0])
        etags = {1: first.headers["ETag"]}
        # The connection drops in the middle of part 2: only half of it reaches the server.
        with pytest.raises((aiohttp.ClientError, asyncio.TimeoutError)):
            async def half() -> Any:
                yield chunks[1][: len(chunks[1]) // 2]
                raise ConnectionResetError("network gone")
            await http.put(plan["parts"][1]["url"], data=half(),
                           headers={"Content-Length": str(len(chunks[1]))})
        # Later: fresh URLs for the same upload, and only the missing part is sent again.
        resume = {**start, "upload_id": plan["upload_id"], "file_key": plan["file_key"]}
        again = await (await api.post(V + "presign-multipart/", json=resume,
                                      headers=room.admin)).json()
        assert again["upload_id"] == plan["upload_id"]
        second = await http.put(again["parts"][1]["url"], data=chunks[1])
        assert second.status == 200
        etags[2] = second.headers["ETag"]
    done = await api.post(V + "complete/", json={
        "session": room.session["id"], "title": "Long", "file_key": plan["file_key"],
        "upload_id": plan["upload_id"],
        "parts": [{"part_number": n, "etag": e} for n, e in etags.items()]}, headers=room.admin)
    video = await done.json()
    assert done.status == 201, video
    assert video["file_size"] == len(data) and video["status"] == "UPLOADED"
    async with open_object_store(settings) as store:
        assert await store.size(plan["file_key"]) == len(data)


async def test_form_upload_streams_files_to_s3(api: TestClient, bearer, tenant_slug: str,
                                               settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    form = aiohttp.FormData()
    form.add_field("session", str(room.session["id"]))
    form.add_field("files", os.urandom(9 * MIB), filename="Week 1.mp4", content_type="video/mp4")
    form.add_field("files", b"small", filename="Week 2.webm", content_type="video/webm")
    resp = await api.post("/api/v1/lectures/videos/upload/", data=form, headers=room.admin)
    created = await resp.json()
    assert resp.status == 201, created
    assert [v["title"] for v in created] == ["Week 1", "Week 2"]
    assert [v["file_size"] for v in created] == [9 * MIB, 5]
    assert all(v["status"] == "UPLOADED" for v in created)
    reasons = await transcode_requests_for(settings, created[1]["id"])
    assert reasons[0]["reason"] == "upload"


async def test_deleting_a_video_removes_its_objects(api: TestClient, bearer, tenant_slug: str,
                                                    settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    key = await presign_and_put(api, room, b"x" * 100)
    video = await (await api.post(V + "complete/", json={
        "session": room.session["id"], "title": "gone", "file_key": key},
        headers=room.admin)).json()
    assert (await api.delete(f"{V}{video['id']}/", headers=room.admin)).status == 204
    async with open_object_store(settings) as store:
        for _ in range(50):
            if await store.size(key) is None:
                break
            await asyncio.sleep(0.2)
        assert await store.size(key) is None


@pytest.mark.parametrize(("fields", "field"), [
    ([("files", b"data", "a.mp4")], "session"),
    ([("session", "abc", None), ("files", b"data", "a.mp4")], "session"),
    ([("session", "{session}", None), ("files", b"data", "notes.pdf")], "files"),
    ([("session", "{session}", None), ("files", b"", "empty.mp4")], "files"),
    ([("session", "{session}", None)], "files"),
])
async def test_bad_form_uploads_are_400(api: TestClient, bearer, tenant_slug: str,
                                        fields: list[tuple[str, Any, str | None]],
                                        field: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    form = aiohttp.FormData()
    for name, value, filename in fields:
        if isinstance(value, str):
            value = value.replace("{session}", str(room.session["id"]))
        if filename:
            form.add_field(name, value, filename=filename, content_type="video/mp4")
        else:
            form.add_field(name, value)
    resp = await api.post(V + "upload/", data=form, headers=room.admin)
    assert resp.status == 400 and field in await resp.text()
