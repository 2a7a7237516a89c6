"""Finding 6: an upload must not make the transcoder read anything but the upload itself.

An "mp4" that is really an HLS playlist of ``file://`` paths used to be demuxed as HLS: the
video came out READY, made from a local file of the transcoder's disk (another tenant's
unencrypted segments on a shared host). Now ffprobe and ffmpeg open uploads only with the
accepted container demuxers and only as local files: anything else is FAILED at once as "not a
video", with no retry. Sources over the academy's bounds (duration, picture) fail the same way.
"""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from storage.object_keys import hls_prefix
from storage.objects import open_object_store
from tests.http.media_fixtures import Classroom, build_classroom
from tests.http.playback_fixtures import set_tenant
from tests.http.transcode_fixtures import make_source, results_of, run, upload, wait_for_status

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _workers(dispatch_worker, transcoder_worker) -> None:
    """The dispatch agent and a real transcoder worker."""


async def secret_segment(tmp_path: Path) -> Path:
    """A local MPEG-TS file standing for another tenant's segment on the shared host."""
    path = tmp_path / "other-tenant" / "seg_000.ts"
    path.parent.mkdir()
    code, _, err = await run("ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                             "-i", "testsrc=size=320x240:rate=25:duration=2", "-c:v", "libx264",
                             "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mpegts",
                             str(path))
    assert code == 0, err.decode()
    return path


def hls_playlist(segment: Path) -> bytes:
    return (f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n"
            f"file://{segment}\n#EXT-X-ENDLIST\n").encode()


def concat_list(segment: Path) -> bytes:
    return f"ffconcat version 1.0\nfile {segment}\nfile ../other-tenant/seg_000.ts\n".encode()


async def jpeg(tmp_path: Path) -> bytes:
    path = tmp_path / "frame.jpg"
    code, _, err = await run("ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                             "-i", "testsrc=size=320x240:duration=1", "-frames:v", "1", str(path))
    assert code == 0, err.decode()
    return path.read_bytes()


async def failed_at_once(api: TestClient, db: asyncpg.Pool, settings: Settings,
                         room: Classroom, data: bytes) -> dict[str, object]:
    """Upload ``data`` as an mp4 and wait: it must end FAILED after one attempt, no package."""
    video = await upload(api, room, data)
    row = (await wait_for_status(db, video["id"], {"READY", "FAILED"})).row
    assert row["status"] == "FAILED", f"transcoded into {row['renditions']}"
    assert row["transcode_attempt"] == 1  # bad input: no retry
    failed = await results_of(settings, video["id"], "failed")
    assert [r["retryable"] for r in failed] == [False]
    async with open_object_store(settings) as store:
        assert await store.keys(hls_prefix(video["id"])) == []
    return row


async def test_an_hls_playlist_posing_as_an_mp4_never_reads_the_files_it_names(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, settings: Settings,
        tmp_path: Path) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    segment = await secret_segment(tmp_path)
    row = await failed_at_once(api, db, settings, room, hls_playlist(segment))
    reason = str(row["error_reason"])
    assert reason.startswith("not a video: the file is an HLS playlist (hls)"), reason
    assert str(segment) not in reason and "/" not in reason.split("accepts")[0]


@pytest.mark.parametrize("kind", ["concat list", "JPEG image"])
async def test_other_non_containers_are_refused_by_name(
        kind: str, api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str,
        settings: Settings, tmp_path: Path) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    data = concat_list(await secret_segment(tmp_path)) if kind == "concat list" \
        else await jpeg(tmp_path)
    row = await failed_at_once(api, db, settings, room, data)
    assert str(row["error_reason"]).startswith(f"not a video: the file is a {kind}"), \
        row["error_reason"]


@pytest.mark.parametrize(("limits", "reason"), [
    ({"max_source_seconds": 1}, "source too long: 2 s, over this academy's limit of 1 s"),
    ({"max_source_pixels": 64 * 64}, "source picture too large: 320x240"),
])
async def test_a_source_over_the_academy_bounds_fails_at_once(
        limits: dict[str, int], reason: str, api: TestClient, db: asyncpg.Pool, bearer,
        tenant_slug: str, settings: Settings, tmp_path: Path) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    await set_tenant(api, room, **limits)
    data = await make_source(tmp_path / "two-seconds.mp4", 320, 240, 2.0, audio=False)
    row = await failed_at_once(api, db, settings, room, data)
    assert str(row["error_reason"]).startswith(reason), row["error_reason"]
