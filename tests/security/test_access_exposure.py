"""Finding 7: what students and the internet saw.

Students read ``file_key`` (the S3 key of the source upload) and ffmpeg's ``error_reason`` (with
the transcoder's scratch paths) in video responses; ``next``/``previous`` links were built from
the ``Host`` header (a poisoned link for whoever follows it); ``/readyz`` gave anyone the
backends' exception text (addresses, ports, driver messages).
"""

from __future__ import annotations

import dataclasses

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from gateway.app import create_app
from gateway.video_views import STUDENT_ERROR_REASON
from tests.http.media_fixtures import add_link_video, build_classroom

pytestmark = pytest.mark.stack
SCRATCH = "/var/tmp/lecturecast-transcode-7f3a/source.mp4: Invalid data found when processing input"
FILE_KEY = "uploads/acme/2024/secret-name-of-the-source.mp4"


async def test_students_never_see_file_keys_or_ffmpeg_reasons(
        api: TestClient, bearer, tenant_slug: str, db: asyncpg.Pool) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    video = await add_link_video(api, room)
    await db.execute("UPDATE videos SET file_key = $2, status = 'FAILED', error_reason = $3 "
                     "WHERE id = $1", video["id"], FILE_KEY, SCRATCH)
    student = bearer(tenant_slug, role="student", sub="stu-0")
    item = f"/api/v1/media/videos/{video['id']}/"
    for path in (item, "/api/v1/media/videos/", f"/api/v1/lectures/videos/{video['id']}/"):
        resp = await api.get(path, headers=student)
        text = await resp.text()
        assert resp.status == 200, text
        assert FILE_KEY not in text and "secret-name" not in text, path
        assert "lecturecast-transcode" not in text and "Invalid data" not in text, path
    shown = await (await api.get(item, headers=student)).json()
    assert shown["status"] == "FAILED"
    assert shown["error_reason"] == STUDENT_ERROR_REASON
    assert shown["file_key"] == "" and shown["source_type"] == "s3"
    # Managers keep the detail they need to act on it.
    managed = await (await api.get(item, headers=room.admin)).json()
    assert managed["file_key"] == FILE_KEY and managed["error_reason"] == SCRATCH


async def test_pagination_links_never_come_from_the_host_header(
        aiohttp_client, api: TestClient, bearer, tenant_slug: str, settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    for i in range(3):
        await add_link_video(api, room, title=f"V{i}")
    hostile = {**room.admin, "Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    page = await (await api.get("/api/v1/media/videos/", params={"page_size": 1, "page": 2},
                                headers=hostile)).json()
    assert page["next"] == "/api/v1/media/videos/?page_size=1&page=3"
    assert page["previous"] == "/api/v1/media/videos/?page_size=1&page=1"
    public = dataclasses.replace(settings, public_base_url="https://lectures.academy.test/")
    client = await aiohttp_client(create_app(public))
    page = await (await client.get("/api/v1/media/videos/", params={"page_size": 1},
                                   headers=hostile)).json()
    assert page["next"] == "https://lectures.academy.test/api/v1/media/videos/?page_size=1&page=2"
    assert "evil" not in str(page)


async def test_readyz_names_the_failing_dependency_without_its_error(
        aiohttp_client, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    broken = dataclasses.replace(settings, redis_url="redis://127.0.0.1:1/0")
    client = await aiohttp_client(create_app(broken))
    resp = await client.get("/readyz")
    body = await resp.json()
    assert resp.status == 503
    assert body == {"status": "unavailable", "failing": ["redis"],
                    "checks": {"kafka": "ok", "postgres": "ok", "redis": "error", "s3": "ok"}}
    assert "127.0.0.1" not in await resp.text()
    # The operator still finds the reason, in the log.
    [logged] = [r for r in caplog.records if getattr(r, "dependency", None) == "redis"]
    assert "127.0.0.1" in logged.getMessage() or "Connect" in logged.getMessage()
