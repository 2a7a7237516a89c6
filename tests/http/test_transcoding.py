"""Uploads become HLS end to end: the API, the dispatch agent, a real transcoder worker, S3.

Sources are made by ffmpeg (test pattern + tone) in the test; packages are read back with
ffprobe through the gateway's local CDN with the cookies a student's play/ returns.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from storage.object_keys import hls_prefix
from storage.objects import open_object_store
from tests.http.media_fixtures import Classroom, build_classroom
from tests.http.playback_fixtures import Stage, play, set_tenant
from tests.http.transcode_fixtures import (
    V, Watched, ffmpeg_cookies, ffprobe, jobs_of, make_source, results_of, segments, upload,
    wait_for_status,
)

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _workers(agents_worker, dispatch_worker, transcoder_worker) -> None:
    """Every test here needs the dispatch agent, a transcoder worker and (to play) the agents."""


async def ready_video(api: TestClient, db: asyncpg.Pool, room: Classroom, tmp_path: Path,
                      size: tuple[int, int], seconds: float, audio: bool) -> Watched:
    data = await make_source(tmp_path / "source.mp4", *size, seconds, audio)
    video = await upload(api, room, data)
    assert video["status"] == "UPLOADED"
    return await wait_for_status(db, video["id"], {"READY", "FAILED"})


async def student_play(api: TestClient, room: Classroom, video_id: int, bearer: Any
                       ) -> tuple[str, str]:
    """A student's play/: (playback token, the CDN cookies for ffmpeg)."""
    stage = Stage(room, {"id": video_id}, bearer(room.tenant, role="student", sub="stu-0"),
                  room.enrollments[0]["id"])
    for _ in range(10):  # 503 while the agents' group rebalances (other workers come and go)
        resp = await play(api, stage)
        if resp.status != 503:
            break
        await asyncio.sleep(2.0)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["token"], ffmpeg_cookies(resp.cookies, video_id)


async def package_keys(settings: Settings, video_id: int) -> list[str]:
    async with open_object_store(settings) as store:
        return await store.keys(hls_prefix(video_id))


async def expected_keys(api: TestClient, video_id: int, renditions: list[dict[str, Any]]
                        ) -> list[str]:
    """Every key the package should have: what its playlists lead to, plus the previews."""
    prefix = hls_prefix(video_id)
    keys = [prefix + n for n in ("master.m3u8", "poster.jpg", "sprite.jpg", "thumbnails.vtt")]
    for r in renditions:
        keys.append(prefix + r["playlist"])
        text = await (await api.get(f"/{prefix}{r['playlist']}")).text()
        folder = r["playlist"].rsplit("/", 1)[0]
        keys += [f"{prefix}{folder}/{uri}" for _d, uri in segments(text)]
    return sorted(keys)


CASES = {
    "landscape with audio": ((854, 480), 5.0, True, [("360p", 640, 360), ("480p", 854, 480)]),
    "portrait with audio": ((480, 854), 5.0, True, [("360p", 360, 640), ("480p", 480, 854)]),
    "landscape without audio": ((640, 360), 4.0, False, [("360p", 640, 360)]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_an_upload_becomes_adaptive_hls_a_student_can_play(
        case: str, api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str,
        settings: Settings, tmp_path: Path) -> None:
    size, seconds, audio, ladder = CASES[case]
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    watched = await ready_video(api, db, room, tmp_path, size, seconds, audio)
    row = watched.row
    assert row["status"] == "READY", row["error_reason"]
    assert watched.progress == sorted(watched.progress) and watched.progress[-1] == 100
    assert row["duration"] == round(seconds) and row["error_reason"] == ""
    assert row["thumbnail_key"] == hls_prefix(row["id"]) + "poster.jpg"
    assert [(r["name"], r["width"], r["height"]) for r in row["renditions"]] == ladder
    assert row["hls_key_ciphertext"] is None
    video_id = row["id"]
    shown = await (await api.get(f"{V}{video_id}/", headers=room.admin)).json()
    assert shown["thumbnail_url"] == f"/hls/videos/{video_id}/poster.jpg"

    token, cookies = await student_play(api, room, video_id, bearer)
    base = str(api.make_url(f"/hls/videos/{video_id}/"))
    code, probe, err = await ffprobe(base + "master.m3u8", cookies)
    assert code == 0, err
    sizes = {(s["width"], s["height"]) for s in probe["streams"] if s["codec_type"] == "video"}
    assert sizes == {(w, h) for _n, w, h in ladder}
    for name, width, height in ladder:
        code, probe, err = await ffprobe(f"{base}{name}/index.m3u8", cookies)
        assert code == 0, err
        kinds = {s["codec_type"]: s for s in probe["streams"]}
        assert (kinds["video"]["codec_name"], kinds["video"]["width"],
                kinds["video"]["height"]) == ("h264", width, height)
        assert ("audio" in kinds) == audio
        if audio:
            assert kinds["audio"]["codec_name"] == "aac"
        assert abs(float(probe["format"]["duration"]) - seconds) < 0.5
        playlist = await (await api.get(f"/hls/videos/{video_id}/{name}/index.m3u8")).text()
        durations = [d for d, _uri in segments(playlist)]
        assert all(4.0 <= d <= 6.0 for d in durations[:-1]) and durations[-1] <= 6.0
        assert "#EXT-X-PLAYLIST-TYPE:VOD" in playlist and "#EXT-X-ENDLIST" in playlist
    vtt = await api.get(f"/hls/videos/{video_id}/thumbnails.vtt")
    assert vtt.status == 200 and vtt.headers["Content-Type"].startswith("text/vtt")
    assert (await vtt.text()).startswith("WEBVTT") and "sprite.jpg#xywh=0,0," in await vtt.text()
    for image in ("poster.jpg", "sprite.jpg"):
        got = await api.get(f"/hls/videos/{video_id}/{image}")
        assert got.status == 200 and (await got.read())[:2] == b"\xff\xd8"  # a JPEG
    # Nothing under the prefix that the package does not lead to.
    assert await package_keys(settings, video_id) == await expected_keys(
        api, video_id, row["renditions"])


async def test_an_encrypted_package_plays_only_with_a_live_session(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, tmp_path: Path) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    await set_tenant(api, room, hls_encryption=True)
    watched = await ready_video(api, db, room, tmp_path, (640, 360), 4.0, True)
    row = watched.row
    assert row["status"] == "READY", row["error_reason"]
    video_id = row["id"]
    sealed = bytes(row["hls_key_ciphertext"])
    assert len(sealed) > 16  # stored encrypted, never the bare 16 bytes
    key_url = f"{V}{video_id}/hls-key/"
    token, cookies = await student_play(api, room, video_id, bearer)
    playlist = await (await api.get(f"/hls/videos/{video_id}/360p/index.m3u8")).text()
    assert f'#EXT-X-KEY:METHOD=AES-128,URI="{key_url}"' in playlist
    segment = await (await api.get(f"/hls/videos/{video_id}/360p/seg_000.ts")).read()
    assert segment[0] != 0x47  # not MPEG-TS in the clear

    got = await api.get(key_url, headers={"X-Playback-Token": token})
    assert got.status == 200 and got.headers["Cache-Control"] == "no-store"
    key = await got.read()
    assert len(key) == 16 and key not in sealed
    assert (await api.get(key_url + f"?token={token}")).status == 200
    assert (await api.get(key_url)).status == 401
    assert (await api.get(f"{V}{video_id + 1}/hls-key/?token={token}")).status == 401
    url = str(api.make_url(f"/hls/videos/{video_id}/master.m3u8"))
    code, probe, err = await ffprobe(url, cookies, token)
    assert code == 0, err
    assert {s["codec_type"] for s in probe["streams"]} == {"video", "audio"}

    ended = await api.post(f"{V}{video_id}/end/", json={"token": token},
                           headers=bearer(tenant_slug, role="student", sub="stu-0"))
    assert ended.status == 200
    gone = await api.get(key_url, headers={"X-Playback-Token": token})
    assert gone.status == 403 and (await gone.json())["detail"] == "session_not_active"
    # The CDN cookies still open the files until they expire, but without the key the
    # segments cannot be decoded.
    code, probe, err = await ffprobe(url, cookies, token)
    assert code != 0 and "Unable to open key file" in err, (code, probe)


async def test_corrupt_input_fails_once_with_a_reason_and_retry_runs_it_again(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str,
        settings: Settings) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await upload(api, room, os.urandom(64 * 1024), name="Broken.mp4")
    watched = await wait_for_status(db, video["id"], {"FAILED", "READY"})
    assert watched.row["status"] == "FAILED"
    assert watched.row["error_reason"].startswith("not a video: "), watched.row["error_reason"]
    assert "/tmp" not in watched.row["error_reason"]  # no worker paths in what admins read
    await asyncio.sleep(2.0)  # a retry storm would show meanwhile
    assert [j["attempt"] for j in await jobs_of(settings, video["id"])] == [1]
    failed = await results_of(settings, video["id"], "failed")
    assert len(failed) == 1 and not failed[0]["retryable"]
    shown = await (await api.get(f"{V}{video['id']}/", headers=room.admin)).json()
    assert (shown["status"], shown["error_reason"]) == ("FAILED", watched.row["error_reason"])
    assert await package_keys(settings, video["id"]) == []

    retried = await api.post(f"{V}{video['id']}/retry/", headers=room.admin)
    assert retried.status == 202
    again = await wait_for_status(db, video["id"], {"FAILED", "READY"}, min_progress=0)
    assert again.row["status"] == "FAILED"
    jobs = await jobs_of(settings, video["id"])
    assert len(jobs) == 2 and jobs[0]["job_id"] != jobs[1]["job_id"]
    assert len(await results_of(settings, video["id"], "failed")) == 2


def ffmpeg_processes_in(work_dir: Path) -> list[int]:
    """Pids of ffmpeg processes writing under ``work_dir``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"ffmpeg\x00") and str(work_dir).encode() in cmdline:
            found.append(int(proc.name))
    return found


async def wait_for_ffmpeg(work_dir: Path, timeout: float = 60.0) -> None:
    """Until the worker's ffmpeg runs: the job is mid-way, whatever the agents' lag."""
    deadline = time.monotonic() + timeout
    while not ffmpeg_processes_in(work_dir):
        assert time.monotonic() < deadline, "the worker never started ffmpeg"
        await asyncio.sleep(0.05)


async def test_deleting_a_video_while_it_transcodes_leaves_nothing_behind(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, settings: Settings,
        tmp_path: Path, transcoder_worker) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    data = await make_source(tmp_path / "long.mp4", 854, 480, 20.0)
    video = await upload(api, room, data)
    await wait_for_ffmpeg(transcoder_worker.work_dir)
    assert (await api.delete(f"{V}{video['id']}/", headers=room.admin)).status == 204
    marker = f"video deleted during its transcode; output removed video_id={video['id']} "
    deadline = time.monotonic() + 30
    while marker not in transcoder_worker.log_path.read_text():
        assert time.monotonic() < deadline, transcoder_worker.log_path.read_text()[-2000:]
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.5)  # the gateway's deletion loop runs every second
    assert await package_keys(settings, video["id"]) == []
    async with open_object_store(settings) as store:
        assert await store.size(video["file_key"]) is None
    assert await results_of(settings, video["id"], "ready") == []
    assert list(transcoder_worker.work_dir.iterdir()) == []


async def test_a_worker_killed_mid_job_is_replaced_and_the_video_ends_ready_once(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, settings: Settings,
        tmp_path: Path, transcoder_worker) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=1)
    data = await make_source(tmp_path / "long.mp4", 854, 480, 20.0)
    video = await upload(api, room, data)
    await wait_for_ffmpeg(transcoder_worker.work_dir)
    await asyncio.sleep(1.0)  # well into the encode
    transcoder_worker.kill()
    status = await db.fetchval("SELECT status FROM videos WHERE id = $1", video["id"])
    assert status == "PROCESSING"  # killed mid-job, not after it
    for _ in range(20):  # its ffmpeg dies with it (PR_SET_PDEATHSIG)
        if not ffmpeg_processes_in(transcoder_worker.work_dir):
            break
        await asyncio.sleep(0.1)
    assert ffmpeg_processes_in(transcoder_worker.work_dir) == []
    assert len(list(transcoder_worker.work_dir.iterdir())) == 1  # a SIGKILL cleans nothing

    transcoder_worker.start()
    transcoder_worker.wait_ready()
    watched = await wait_for_status(db, video["id"], {"READY", "FAILED"}, timeout=90)
    assert watched.row["status"] == "READY", watched.row["error_reason"]
    assert watched.progress == sorted(watched.progress) and watched.progress[-1] == 100
    assert len(await results_of(settings, video["id"], "ready")) == 1
    assert len({j["job_id"] for j in await jobs_of(settings, video["id"])}) == 1
    token, cookies = await student_play(api, room, video["id"], bearer)
    url = str(api.make_url(f"/hls/videos/{video['id']}/master.m3u8"))
    code, _probe, err = await ffprobe(url, cookies)
    assert code == 0, err
    assert await package_keys(settings, video["id"]) == await expected_keys(
        api, video["id"], watched.row["renditions"])
    assert list(transcoder_worker.work_dir.iterdir()) == []  # the dead worker's too
