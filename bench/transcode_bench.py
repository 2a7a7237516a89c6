"""Wall time of the whole transcode pipeline against a bare ffmpeg making the same ladder.

Run on the test stack (see docs/benchmarks.md)::

    set -a; PROFILE=test; . infra/env.sh; set +a
    .venv/bin/python bench/transcode_bench.py [--seconds 60] [--runs 3]

Makes a 1280x720 30 fps source with a tone (not timed), uploads it to S3 once per run, then
alternates, ``--runs`` times each:

* **bare**: ffmpeg with the transcoder's own ladder command (``build_hls_argv`` without the
  poster and sprite outputs) from a local file to a local directory;
* **pipeline**: ``complete/`` on the real gateway app -> outbox -> Kafka -> dispatch agent ->
  job -> ``python -m transcoder`` (S3 download, ffprobe, ffmpeg with poster and sprite, upload,
  master last) -> result -> dispatch agent -> READY, timed from the ``complete/`` answer to
  READY in PostgreSQL.

It starts its own dispatch and transcoder workers and prints a markdown table of medians.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestServer

from config.settings import Settings, load_settings
from gateway.app import create_app
from gateway.auth import mint_token
from policy.ladder import choose_ladder
from storage.db import create_pool
from transcoder.hls_argv import HlsSpec, build_hls_argv

ROOT = Path(__file__).resolve().parent.parent
WIDTH, HEIGHT, FPS = 1280, 720, 30


def make_source(path: Path, seconds: int) -> None:
    """A moving test pattern with a tone, encoded like a camera upload (CRF 20)."""
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(path)], check=True)


def bare_argv(settings: Settings, source: Path, out: Path) -> list[str]:
    """The same ladder as the pipeline, as one plain ffmpeg command."""
    return build_hls_argv(HlsSpec(
        source=str(source), output_dir=str(out), renditions=choose_ladder(WIDTH, HEIGHT, True),
        has_audio=True, fps=FPS, preset=settings.transcoder_x264_preset))


def start(module: str, log: Path, marker: bytes, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A worker subprocess, once its log shows ``marker``."""
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", module], cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT,
                                env={**os.environ, "LOG_JSON": "false", **env})
    deadline = time.monotonic() + 600  # a Faust worker first recovers its tables
    while marker not in log.read_bytes():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{module} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    return proc


class Gateway:
    """An admin talking to the real gateway app on a local port."""

    def __init__(self, http: aiohttp.ClientSession, base: str, settings: Settings) -> None:
        self.http, self.base = http, base
        slug = f"bench-{uuid.uuid4().hex[:8]}"
        self.headers = {"Authorization": "Bearer " + mint_token(
            settings.auth_jwt_secret, tenant=slug, sub="bench-admin", role="admin")}
        self.session_id = 0

    async def post(self, path: str, body: object, status: int = 201) -> Any:
        async with self.http.post(self.base + path, json=body, headers=self.headers) as resp:
            assert resp.status == status, await resp.text()
            return await resp.json()

    async def setup(self) -> None:
        lecture = await self.post("/api/v1/catalog/lectures/", {"title": "Bench"})
        session = await self.post("/api/v1/catalog/sessions/",
                                  {"lecture": lecture["id"], "title": "Week 1"})
        self.session_id = session["id"]

    async def upload(self, data: bytes) -> str:
        """presign + PUT: the file key (not timed)."""
        plan = await self.post("/api/v1/media/videos/presign/", {
            "session": self.session_id, "filename": "bench.mp4", "size": len(data)}, 200)
        async with self.http.put(plan["upload_url"], data=data,
                                 headers={"Content-Type": "video/mp4"}) as put:
            assert put.status == 200, await put.text()
        return plan["file_key"]


async def pipeline_once(gw: Gateway, db: asyncpg.Pool, data: bytes) -> dict[str, float]:
    """complete/ -> READY: wall seconds, and when the video became PROCESSING."""
    key = await gw.upload(data)
    started = time.monotonic()
    video = await gw.post("/api/v1/media/videos/complete/", {
        "session": gw.session_id, "title": "bench", "file_key": key})
    processing = None
    while True:
        status = await db.fetchval("SELECT status FROM videos WHERE id = $1", video["id"])
        now = time.monotonic()
        if status == "PROCESSING" and processing is None:
            processing = now - started
        if status in ("READY", "FAILED"):
            assert status == "READY", await db.fetchval(
                "SELECT error_reason FROM videos WHERE id = $1", video["id"])
            return {"wall": now - started, "dispatch": processing or 0.0}
        await asyncio.sleep(0.05)


def bare_once(settings: Settings, source: Path, work: Path) -> float:
    out = work / f"bare-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    subprocess.run(bare_argv(settings, source, out), check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


async def run(settings: Settings, seconds: int, runs: int) -> None:
    with tempfile.TemporaryDirectory(prefix="transcode-bench-") as tmp:
        work = Path(tmp)
        source = work / "source.mp4"
        make_source(source, seconds)
        data = source.read_bytes()
        procs: list[subprocess.Popen[bytes]] = []
        try:
            # Dispatch runs in its own Faust app; its table stores are the stack's own, so
            # recovery replays only what changed since.
            procs.append(start("agents.dispatch_worker", work / "dispatch.log", b"Worker ready",
                               {}))
            procs.append(start("transcoder", work / "transcoder.log",
                               b"transcoder waiting for jobs",
                               {"TRANSCODER_WORK_DIR": str(work / "jobs")}))
            bare, pipe = await measure(settings, work, source, data, runs)
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=60)
        phases = worker_phases((work / "transcoder.log").read_text())[1:]  # minus the warm-up
    report(settings, seconds, bare, pipe, phases)


async def measure(settings: Settings, work: Path, source: Path, data: bytes,
                  runs: int) -> tuple[list[float], list[dict[str, float]]]:
    """A warm-up through the pipeline, then bare and pipeline runs, alternately."""
    server = TestServer(create_app(settings))
    await server.start_server()
    db = await create_pool(settings, max_size=2)
    try:
        async with aiohttp.ClientSession() as http:
            gw = Gateway(http, str(server.make_url("")).rstrip("/"), settings)
            await gw.setup()
            warm = work / "warm.mp4"
            make_source(warm, 2)
            await pipeline_once(gw, db, warm.read_bytes())  # partitions assigned, caches warm
            bare, pipe = [], []
            for _ in range(runs):
                bare.append(bare_once(settings, source, work))
                pipe.append(await pipeline_once(gw, db, data))
    finally:
        await db.close()
        await server.close()
    return bare, pipe


def worker_phases(log: str) -> list[dict[str, float]]:
    """The worker's per-job phase times (its "package uploaded" log lines)."""
    out = []
    for line in log.splitlines():
        if "package uploaded" in line:
            fields = dict(re.findall(r"(\w+_s)=([\d.]+)", line))
            out.append({k: float(v) for k, v in fields.items()})
    return out


def report(settings: Settings, seconds: int, bare: list[float],
           pipe: list[dict[str, float]], phases: list[dict[str, float]]) -> None:
    b = statistics.median(bare)
    p = statistics.median(r["wall"] for r in pipe)
    d = statistics.median(r["dispatch"] for r in pipe)
    print(f"source: {seconds} s {WIDTH}x{HEIGHT} {FPS} fps + AAC; ladder "
          f"{', '.join(r.name for r in choose_ladder(WIDTH, HEIGHT, True))}; "
          f"x264 preset {settings.transcoder_x264_preset}; {len(bare)} runs each\n")
    walls = ", ".join(f"{r['wall']:.1f}" for r in pipe)
    dispatches = ", ".join(f"{r['dispatch']:.2f}" for r in pipe)
    print("| measure | median s | all runs s |\n|---|---:|---|")
    print(f"| bare ffmpeg, same ladder | {b:.1f} | {', '.join(f'{x:.1f}' for x in bare)} |")
    print(f"| pipeline, complete/ to READY | {p:.1f} | {walls} |")
    print(f"| of which complete/ to PROCESSING | {d:.2f} | {dispatches} |")
    for name, label in (("prepare_s", "worker: lease, S3 download, ffprobe"),
                        ("ffmpeg_s", "worker: ffmpeg (ladder + poster + sprite)"),
                        ("upload_s", "worker: upload, master last")):
        values = [ph[name] for ph in phases if name in ph]
        if values:
            print(f"| {label} | {statistics.median(values):.2f} | "
                  f"{', '.join(f'{v:.2f}' for v in values)} |")
    print(f"\nratio pipeline / bare: {p / b:.3f}  (target <= 1.15)")
    print(f"realtime factor: pipeline {seconds / p:.2f}x, bare {seconds / b:.2f}x")
    print("\nbare command:\n" + shlex.join(bare_argv(settings, Path("source.mp4"), Path("out"))))


def main() -> None:
    """Parse arguments, load settings, run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="source duration")
    parser.add_argument("--runs", type=int, default=3, help="runs of each")
    args = parser.parse_args()
    asyncio.run(run(load_settings(os.environ), args.seconds, args.runs))


if __name__ == "__main__":
    main()
