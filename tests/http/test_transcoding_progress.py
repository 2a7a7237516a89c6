"""The transcoding bar moves while ffmpeg encodes (issue 17): polled through the API.

With the poster and the sprite in the HLS command, Debian's ffmpeg 5.1 printed no ``-progress``
line before the sprite's only frame (at the end), so the bar sat at 2 % and jumped to 89.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from tests.http.media_fixtures import build_classroom
from tests.http.transcode_fixtures import V, make_source, upload
from transcoder.pipeline import ENCODE_FROM, UPLOAD_FROM

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _workers(dispatch_worker, transcoder_worker) -> None:
    """The dispatch agent and a real transcoder worker."""


async def test_the_progress_polled_through_the_api_moves_steadily_while_encoding(
        api: TestClient, bearer, tenant_slug: str, tmp_path: Path) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    data = await make_source(tmp_path / "source.mp4", 854, 480, 75.0)
    video = await upload(api, room, data)
    seen: list[tuple[float, str, int]] = []  # (seconds since upload, status, a new progress)
    began = time.monotonic()
    while True:
        resp = await api.get(f"{V}{video['id']}/", headers=room.admin)
        assert resp.status == 200, await resp.text()
        shown = await resp.json()
        now = (shown["status"], shown["processing_progress"])
        if not seen or seen[-1][1:] != now:
            seen.append((round(time.monotonic() - began, 1), *now))
        if shown["status"] in {"READY", "FAILED"}:
            break
        assert time.monotonic() - began < 180, f"still {shown['status']}: {seen}"
        await asyncio.sleep(0.1)
    print("progress seen (s, %):", seen)
    assert shown["status"] == "READY", shown["error_reason"]
    values = [v for _t, _s, v in seen]
    assert values == sorted(values) and values[-1] == 100  # never down
    encoding = [v for v in values if ENCODE_FROM < v < UPLOAD_FROM]
    assert len(encoding) >= 5, f"the bar jumped over the encode: {seen}"
    assert max(b - a for a, b in itertools.pairwise(values)) <= 30, seen
