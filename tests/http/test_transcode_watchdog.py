"""The stall watchdog on the real stack: a quiet transcode is retried; one that stays quiet
through every attempt ends FAILED with the reason.

With the transcoder worker stopped, jobs sit in Kafka and nobody reports on them: to the
watchdog, exactly a stalled transcode. The test ages the heartbeats in PostgreSQL instead of
waiting ``TRANSCODE_STALL_SECONDS``, and runs scans itself (the dispatch process's own timer may
get there first; the claim makes that the same outcome).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from agents.dispatch_worker import dispatch_app_id
from agents.watchdog import Watchdog
from config.settings import Settings
from storage.transcode_watch import StalledTranscodes
from streams import topics
from streams.publisher import Publisher
from streams.schemas import TranscodeResultV1
from transcoder.worker import GROUP_ID as transcoder_group
from tests.conftest import AgentsWorker
from tests.http.media_fixtures import build_classroom
from tests.http.transcode_fixtures import (
    jobs_of, make_source, results_of, upload, wait_committed, wait_for_attempt, wait_for_status,
)

pytestmark = pytest.mark.stack


@pytest.fixture(autouse=True)
def _workers(dispatch_worker, transcoder_worker) -> None:
    """The dispatch agent applies the watchdog's reports; the transcoder is stopped and
    restarted by the test."""


@pytest.fixture
async def watchdog(db: asyncpg.Pool, settings: Settings) -> AsyncIterator[Watchdog]:
    """A watchdog like the dispatch process's, publishing with a plain producer."""
    publisher = await Publisher.start(settings, client_id="watchdog-test")

    async def send(key: bytes, result: TranscodeResultV1) -> None:
        await publisher.publish(topics.TRANSCODE_RESULTS, [(key, result)])

    try:
        yield Watchdog(StalledTranscodes(db), send, settings.transcode_stall_seconds)
    finally:
        await publisher.stop()


async def go_quiet(db: asyncpg.Pool, settings: Settings, video_id: int) -> None:
    """Make the video's last sign of life twice the stall threshold old."""
    await db.execute(
        """UPDATE videos SET transcode_heartbeat_at = now() - make_interval(secs => $2)
           WHERE id = $1""", video_id, 2.0 * settings.transcode_stall_seconds)


async def wait_for_log(path: Path, marker: str, count: int = 1, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while path.read_text().count(marker) < count:
        assert time.monotonic() < deadline, path.read_text()[-3000:]
        await asyncio.sleep(0.2)


async def test_a_stalled_transcode_is_retried_and_one_that_keeps_stalling_fails(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, settings: Settings,
        tmp_path: Path, transcoder_worker, watchdog: Watchdog) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    data = await make_source(tmp_path / "short.mp4", 640, 360, 3.0)
    transcoder_worker.stop()
    try:
        revived = (await upload(api, room, data, name="Revived.mp4"))["id"]
        doomed = (await upload(api, room, data, name="Doomed.mp4"))["id"]
        for video_id in (revived, doomed):
            row = await wait_for_attempt(db, video_id, 1)
            assert (row["status"], row["transcode_stalls"]) == ("PROCESSING", 0)

        # Two scans at once, as the timers of two dispatch workers: one claim between them.
        await go_quiet(db, settings, revived)
        scans = await asyncio.gather(watchdog.scan_once(), watchdog.scan_once())
        assert [run.video_id for scan in scans for run, _d in scan].count(revived) <= 1
        row = await wait_for_attempt(db, revived, 2)
        assert (row["status"], row["transcode_stalls"], row["transcode_attempt"]) == (
            "PROCESSING", 1, 2)
        assert await watchdog.scan_once() == []  # the retry restarted its clock

        for attempt in (1, 2, 3):
            await wait_for_attempt(db, doomed, attempt)
            await go_quiet(db, settings, doomed)
            await watchdog.scan_once()
        failed = await wait_for_status(db, doomed, {"FAILED"}, timeout=60)
        assert failed.row["error_reason"] == (
            f"transcode stalled: no progress for over {settings.transcode_stall_seconds} s "
            "(gave up after 3 attempts)")
        assert failed.row["transcode_stalls"] == 3
        assert [j["attempt"] for j in await jobs_of(settings, doomed)] == [1, 2, 3]
    finally:
        transcoder_worker.start()
        transcoder_worker.wait_ready()

    watched = await wait_for_status(db, revived, {"READY", "FAILED"}, timeout=120)
    assert watched.row["status"] == "READY", watched.row["error_reason"]
    jobs = await jobs_of(settings, revived)
    assert [j["attempt"] for j in jobs] == [1, 2]
    # The stale first job was skipped when its turn came: one transcode, by the second job.
    log = transcoder_worker.log_path
    await wait_for_log(log, f"job superseded; skipped video_id={revived} ")
    assert [r["job_id"] for r in await results_of(settings, revived, "ready")] == [
        jobs[1]["job_id"]]
    # The failed video's three queued jobs are skipped, not run.
    await wait_for_log(log, f"video not waiting for a transcode; job skipped video_id={doomed} ",
                       count=3)
    assert await results_of(settings, doomed, "ready") == []
    assert (await db.fetchrow("SELECT status FROM videos WHERE id = $1", doomed))["status"] == \
        "FAILED"


async def fake_a_lost_result_until_retried(db: asyncpg.Pool, video_id: int,
                                           timeout: float = 120.0) -> dict[str, Any]:
    """Make the READY row PROCESSING and quiet for a minute, as if its result had been lost,
    until the watchdog sends attempt 2.

    A result or job copy still in flight (at-least-once delivery, a rebalance as the quick
    worker joins) can make the row READY again after the fake: then it is faked again. The
    watchdog must still act within ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        row = await db.fetchrow("SELECT * FROM videos WHERE id = $1", video_id)
        assert row is not None, f"video {video_id} is gone"
        if row["transcode_attempt"] >= 2 or row["status"] == "FAILED":
            return dict(row)
        assert time.monotonic() < deadline, (
            f"video {video_id}: attempt {row['transcode_attempt']}, {row['status']}")
        if row["status"] == "READY":
            await db.execute(
                """UPDATE videos SET status = 'PROCESSING',
                       transcode_heartbeat_at = now() - interval '60 seconds' WHERE id = $1""",
                video_id)
        await asyncio.sleep(0.2)


async def test_the_dispatch_process_runs_the_watchdog_on_its_own(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, settings: Settings,
        tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await upload(api, room, await make_source(tmp_path / "s.mp4", 640, 360, 3.0))
    done = await wait_for_status(db, video["id"], {"READY", "FAILED"})
    assert done.row["status"] == "READY", done.row["error_reason"]
    first_job = done.row["transcode_job_id"]
    # The quick worker's join rebalances the group: what is not committed yet would replay.
    await wait_committed(settings, dispatch_app_id(settings), topics.TRANSCODE_RESULTS)
    # A job the transcoder put back for fair share (same job id) would run again once the row
    # says PROCESSING: wait until every job copy was consumed (and skipped, the video READY).
    await wait_committed(settings, transcoder_group, topics.TRANSCODE_JOBS, timeout=60)
    # A second dispatch worker whose threshold is short enough to scan every few seconds.
    quick = AgentsWorker(tmp_path_factory.mktemp("quick-dispatch") / "worker.log",
                         module="agents.dispatch_worker",
                         extra_env={"AGENTS_DATA_DIR": str(tmp_path / "faust"),
                                    "TRANSCODE_STALL_SECONDS": "30"})
    try:
        await asyncio.to_thread(quick.wait_ready)
        row = await fake_a_lost_result_until_retried(db, video["id"])
        assert row["transcode_stalls"] == 1
    finally:
        quick.stop()
    stalled = await results_of(settings, video["id"], "failed")
    assert [(r["job_id"], r["retryable"], r["error_reason"]) for r in stalled] == [
        (first_job, True, "transcode stalled: no progress for over 30 s")]
    assert f"transcode of video {video['id']} stalled" in quick.log_path.read_text()
    again = await wait_for_status(db, video["id"], {"READY", "FAILED"}, timeout=120,
                                  min_progress=100)
    assert again.row["status"] == "READY" and again.row["transcode_attempt"] == 2
