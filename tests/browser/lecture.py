"""A class with one real, transcoded lecture video, built through the gateway's own API.

The video is a few seconds of ffmpeg test pattern uploaded by the presign -> PUT -> complete
flow and turned into HLS by a real transcoder worker, so the browser plays real segments
through the local CDN with real cookies.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp

from gateway.auth import mint_token
from tests.http.media_fixtures import Classroom, build_classroom
from tests.http.transcode_fixtures import make_source, upload

T = TypeVar("T")
STUDENTS = 12  # stu-0..stu-8: test_player.py; stu-10, stu-11: test_first_hour.py
SOURCE_SECONDS = 16  # long enough to play a few seconds and still have somewhere to skip to


@dataclass(frozen=True)
class Lecture:
    """The class, its READY video, and how to call the gateway as its people."""

    base_url: str
    secret: str
    room: Classroom
    video: dict[str, Any]

    @property
    def tenant(self) -> str:
        """The tenant slug."""
        return self.room.tenant

    @property
    def video_id(self) -> int:
        """The video's id."""
        return int(self.video["id"])

    def student_token(self, index: int) -> str:
        """A bearer token of student ``stu-{index}`` (enrolled, named ``Student {index}``)."""
        return mint_token(self.secret, tenant=self.tenant, sub=f"stu-{index}", role="student")

    def enrollment(self, index: int) -> int:
        """The enrollment id of student ``stu-{index}``."""
        return int(self.room.enrollments[index]["id"])

    def player_url(self, index: int) -> str:
        """The player link ``make run`` would print for student ``stu-{index}``."""
        return f"/app/player/#token={self.student_token(index)}"

    async def admin_get(self, path: str) -> Any:
        """GET as the tenant's admin; the JSON body of a 200."""
        async with aiohttp.ClientSession(self.base_url) as http:
            async with http.get(path, headers=self.room.admin) as resp:
                assert resp.status == 200, await resp.text()
                return await resp.json()

    async def admin_post(self, path: str, body: object) -> tuple[int, Any]:
        """POST as the tenant's admin: (status, JSON body)."""
        async with aiohttp.ClientSession(self.base_url) as http:
            async with http.post(path, json=body, headers=self.room.admin) as resp:
                return resp.status, await resp.json()


async def eventually(probe: Callable[[], Awaitable[T | None]], what: str,
                     timeout: float = 30.0, every: float = 0.5) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(every)


async def build_lecture(base_url: str, secret: str, tenant: str, scratch: Path,
                        **tenant_settings: object) -> Lecture:
    """Students stu-0..stu-9 in one class, one uploaded video transcoded to READY.

    The video forbids seeking, allows up to 1.5x and shows the watermark. ``tenant_settings``
    are PATCHed before the upload (``hls_encryption=True`` gives an encrypted package).
    """
    def bearer(tenant_: str, role: str = "admin", sub: str = "admin-1") -> dict[str, str]:
        return {"Authorization": "Bearer " + mint_token(secret, tenant=tenant_, sub=sub,
                                                        role=role)}

    data = await make_source(scratch / "lecture.mp4", 320, 240, SOURCE_SECONDS)
    # The HTTP helpers take aiohttp's TestClient; a ClientSession with a base URL quacks alike.
    async with aiohttp.ClientSession(base_url) as http:
        room = await build_classroom(http, bearer, tenant,  # type: ignore[arg-type]
                                     students=STUDENTS)
        if tenant_settings:
            patched = await http.patch("/api/v1/media/settings/", json=tenant_settings,
                                       headers=room.admin)
            assert patched.status == 200, await patched.text()
        created = await upload(http, room, data, name="Cell biology.mp4")  # type: ignore[arg-type]
        video_url = f"/api/v1/media/videos/{created['id']}/"
        resp = await http.post(video_url + "set-policy/", headers=room.admin,
                               json={"allow_skip": False, "max_speed": 1.5,
                                     "show_watermark": True})
        assert resp.status == 200, await resp.text()

        async def ready() -> dict[str, Any] | None:
            async with http.get(video_url, headers=room.admin) as got:
                video = await got.json()
            assert video["status"] != "FAILED", video
            return video if video["status"] == "READY" else None

        video = await eventually(ready, "the lecture video to be READY", timeout=240)
    return Lecture(base_url, secret, room, video)
