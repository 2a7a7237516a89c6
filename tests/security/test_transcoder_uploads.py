"""Finding 6: the size of an upload is bound from the presign to the stored object.

The declared ``size`` is signed into the presigned PUT and into each part's URL as
``Content-Length``, so S3 itself refuses a body of another size; ``complete/`` reads the stored
size back and refuses (400 naming ``size``) one that differs from the declared size or is over
the academy's ``max_source_bytes``; the form upload stops streaming at that limit.
"""

from __future__ import annotations

import os

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from storage.objects import open_object_store
from tests.http.media_fixtures import Classroom, build_classroom
from tests.http.playback_fixtures import set_tenant

pytestmark = pytest.mark.stack
V = "/api/v1/media/videos/"
MIB = 1024 * 1024


async def presign(api: TestClient, room: Classroom, size: int) -> dict[str, str]:
    resp = await api.post(V + "presign/", json={"session": room.session["id"],
                                                "filename": "a.mp4", "size": size},
                          headers=room.admin)
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def put(url: str, data: bytes) -> int:
    async with aiohttp.ClientSession() as http:
        resp = await http.put(url, data=data, headers={"Content-Type": "video/mp4"})
        return resp.status


async def complete(api: TestClient, room: Classroom, key: str, **extra: object
                   ) -> aiohttp.ClientResponse:
    return await api.post(V + "complete/", json={"session": room.session["id"], "title": "x",
                                                 "file_key": key, **extra}, headers=room.admin)


async def test_the_presigned_put_takes_exactly_the_declared_size(
        api: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    target = await presign(api, room, 3000)
    assert await put(target["upload_url"], os.urandom(3001)) == 403
    assert await put(target["upload_url"], os.urandom(2999)) == 403
    async with open_object_store(settings) as store:
        assert await store.size(target["file_key"]) is None
    assert await put(target["upload_url"], os.urandom(3000)) == 200
    resp = await complete(api, room, target["file_key"], size=3000)
    assert resp.status == 201 and (await resp.json())["file_size"] == 3000


async def test_presign_needs_a_size_within_the_academy_limit(
        api: TestClient, bearer, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    missing = await api.post(V + "presign/", json={"session": room.session["id"],
                                                   "filename": "a.mp4"}, headers=room.admin)
    assert missing.status == 400 and "size" in await missing.json()
    await set_tenant(api, room, max_source_bytes=2 * MIB)
    for path, body in [("presign/", {"filename": "a.mp4"}),
                       ("presign-multipart/", {"filename": "a.mov"})]:
        resp = await api.post(V + path, json={"session": room.session["id"], **body,
                                              "size": 2 * MIB + 1}, headers=room.admin)
        assert resp.status == 400, path
        assert (await resp.json())["size"] == [
            "The file is 2.0 MiB, over this academy's limit of 2 MiB per video."]


async def test_complete_refuses_a_stored_size_that_is_not_the_declared_one_or_too_large(
        api: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    target = await presign(api, room, 1500 * 1024)
    assert await put(target["upload_url"], os.urandom(1500 * 1024)) == 200
    resp = await complete(api, room, target["file_key"], size=1000)
    assert resp.status == 400
    assert (await resp.json())["size"] == [
        f"The stored file has {1500 * 1024} bytes, not the 1000 declared."]
    # The academy lowers its limit between the upload and complete/: refused, object removed.
    target = await presign(api, room, 1500 * 1024)
    assert await put(target["upload_url"], os.urandom(1500 * 1024)) == 200
    await set_tenant(api, room, max_source_bytes=MIB)
    resp = await complete(api, room, target["file_key"])
    assert resp.status == 400
    assert (await resp.json())["size"] == [
        "The file is 1.5 MiB, over this academy's limit of 1 MiB per video."]
    async with open_object_store(settings) as store:
        assert await store.size(target["file_key"]) is None


async def test_each_part_url_takes_exactly_its_part(api: TestClient, bearer,
                                                    tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    size = 8 * MIB + 1234
    plan = await (await api.post(V + "presign-multipart/", json={
        "session": room.session["id"], "filename": "long.mov", "size": size},
        headers=room.admin)).json()
    first, last = plan["parts"][0]["url"], plan["parts"][1]["url"]
    async with aiohttp.ClientSession() as http:
        assert (await http.put(last, data=os.urandom(8 * MIB))).status == 403
        assert (await http.put(first, data=os.urandom(8 * MIB + 1))).status == 403
        assert (await http.put(last, data=os.urandom(1234))).status == 200


async def test_the_form_upload_stops_at_the_academy_limit(
        api: TestClient, bearer, tenant_slug: str) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    await set_tenant(api, room, max_source_bytes=MIB)
    form = aiohttp.FormData()
    form.add_field("session", str(room.session["id"]))
    form.add_field("files", os.urandom(MIB + 1), filename="big.mp4", content_type="video/mp4")
    resp = await api.post(V + "upload/", data=form, headers=room.admin)
    assert resp.status == 413
    assert "larger than this academy's limit of 1 MiB" in (await resp.json())["detail"]
    listed = await (await api.get(V, headers=room.admin)).json()
    assert listed["count"] == 0 if isinstance(listed, dict) else listed == []
