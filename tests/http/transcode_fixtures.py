"""Shared set-up for the transcoding tests: sources made by ffmpeg, uploads, waits, ffprobe."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
from aiohttp.test_utils import TestClient

from config.settings import Settings
from streams import topics
from streams.lag import backlog
from tests.http.media_fixtures import Classroom
from tests.stack.kafka_reader import read_topic

V = "/api/v1/media/videos/"


async def run(*argv: str, timeout: float = 60.0) -> tuple[int, bytes, bytes]:
    """Run a command without blocking the loop (the in-process gateway must keep serving)."""
    proc = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout)
    assert proc.returncode is not None
    return proc.returncode, out, err


async def make_source(path: Path, width: int, height: int, seconds: float,
                      audio: bool = True, fps: int = 25) -> bytes:
    """A test-pattern video (with a sine tone), small and fast to encode."""
    argv = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
            "-i", f"testsrc=size={width}x{height}:rate={fps}:duration={seconds}"]
    if audio:
        argv += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", "-c:a", "aac"]
    argv += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)]
    code, _, err = await run(*argv)
    assert code == 0, err.decode()
    return path.read_bytes()


async def upload(api: TestClient, room: Classroom, data: bytes, name: str = "Lecture.mp4"
                 ) -> dict[str, Any]:
    """presign -> PUT to S3 -> complete: the video, UPLOADED."""
    presigned = await (await api.post(V + "presign/", json={
        "session": room.session["id"], "filename": name, "size": len(data)},
        headers=room.admin)).json()
    async with aiohttp.ClientSession() as http:
        put = await http.put(presigned["upload_url"], data=data,
                             headers={"Content-Type": "video/mp4"})
        assert put.status == 200, await put.text()
    resp = await api.post(V + "complete/", json={"session": room.session["id"], "title": name,
                                                 "file_key": presigned["file_key"]},
                          headers=room.admin)
    assert resp.status == 201, await resp.text()
    return await resp.json()


@dataclass
class Watched:
    """A video row as the wait ended, and every progress value seen on the way."""

    row: dict[str, Any]
    progress: list[int] = field(default_factory=list)


async def wait_for_status(db: asyncpg.Pool, video_id: int, statuses: set[str],
                          timeout: float = 120.0, min_progress: int = 0) -> Watched:
    """Poll the row until its status is one of ``statuses`` (and progress reached)."""
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        row = await db.fetchrow("SELECT * FROM videos WHERE id = $1", video_id)
        assert row is not None, f"video {video_id} is gone"
        if not seen or seen[-1] != row["processing_progress"]:
            seen.append(row["processing_progress"])
        if row["status"] in statuses and row["processing_progress"] >= min_progress:
            return Watched(dict(row), seen)
        assert time.monotonic() < deadline, f"video {video_id} still {row['status']} {seen}"
        await asyncio.sleep(0.1)


def ffmpeg_cookies(cookies: Any, video_id: int) -> str:
    """The play response's CDN cookies in ffmpeg's ``-cookies`` format (Set-Cookie lines).

    Host-only, like the gateway sets them (ffmpeg 5.1 never matches a ``domain`` of an IP).
    """
    path = f"/hls/videos/{video_id}/"
    return "".join(f"{name}={morsel.value}; path={path};\n"
                   for name, morsel in cookies.items() if name.startswith("CloudFront-"))


async def ffprobe(url: str, cookies: str, token: str = "") -> tuple[int, dict[str, Any], str]:
    """ffprobe of an HLS URL through the local CDN: (exit code, JSON, stderr)."""
    argv = ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
            "-cookies", cookies]
    if token:
        argv += ["-headers", f"X-Playback-Token: {token}\r\n"]
    code, out, err = await run(*argv, url)
    return code, orjson.loads(out or b"{}"), err.decode(errors="replace")


def segments(playlist: str) -> list[tuple[float, str]]:
    """(duration, uri) of every segment of a media playlist."""
    return [(float(d), uri) for d, uri in
            re.findall(r"#EXTINF:([\d.]+),[^\n]*\n([^\n#]+)", playlist)]


async def results_of(settings: Settings, video_id: int, kind: str) -> list[dict[str, Any]]:
    """The video's results of ``kind`` on the results topic, in order."""
    return [v for _k, v in await read_topic(settings, topics.TRANSCODE_RESULTS)
            if v["video_id"] == video_id and v["kind"] == kind]


async def jobs_of(settings: Settings, video_id: int) -> list[dict[str, Any]]:
    """The video's jobs on the jobs topic, in order."""
    return [v for _k, v in await read_topic(settings, topics.TRANSCODE_JOBS)
            if v["video_id"] == video_id]


async def wait_committed(settings: Settings, group: str, spec: topics.TopicSpec,
                         timeout: float = 30.0) -> None:
    """Wait until ``group`` has committed every message now in ``spec``'s topic.

    Faust commits every few seconds: a worker joining the group before that replays what was
    consumed but not committed yet (a test that rewrites a row after a result must wait).
    """
    deadline = time.monotonic() + timeout
    while (behind := await backlog(settings.kafka_bootstrap_servers, group, spec.name)) > 0:
        assert time.monotonic() < deadline, f"{group} is {behind} behind on {spec.name}"
        await asyncio.sleep(0.2)


async def wait_for_attempt(db: asyncpg.Pool, video_id: int, attempt: int,
                           timeout: float = 60.0) -> dict[str, Any]:
    """Poll until the dispatch agent has sent the video's job ``attempt`` (row updated)."""
    deadline = time.monotonic() + timeout
    while True:
        row = await db.fetchrow("SELECT * FROM videos WHERE id = $1", video_id)
        assert row is not None, f"video {video_id} is gone"
        if row["transcode_attempt"] >= attempt or row["status"] == "FAILED":
            return dict(row)
        assert time.monotonic() < deadline, (
            f"video {video_id}: attempt {row['transcode_attempt']}, {row['status']}")
        await asyncio.sleep(0.1)
