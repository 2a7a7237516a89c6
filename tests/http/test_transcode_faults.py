"""Transient S3 failures on the real stack: retried with backoff a bounded number of times.

The transcoder worker under test reaches S3 through a :class:`FlakyProxy` in this test, which
resets connections while it is down: real network faults against the real S3 server, no mocks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from config.settings import Settings
from storage.object_keys import hls_prefix
from storage.objects import open_object_store
from tests.conftest import TranscoderWorker
from tests.http.media_fixtures import build_classroom
from tests.http.transcode_fixtures import (
    jobs_of, make_source, results_of, upload, wait_for_attempt, wait_for_status,
)
from tests.stack.flaky_proxy import FlakyProxy

pytestmark = pytest.mark.stack


@pytest.fixture
async def s3_proxy(settings: Settings) -> AsyncIterator[FlakyProxy]:
    """A proxy to the test stack's S3, down until the test lets it up."""
    endpoint = urlsplit(settings.s3_endpoint_url)
    proxy = FlakyProxy(endpoint.hostname or "127.0.0.1", endpoint.port or 80)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
def flaky_worker(agents_worker, dispatch_worker, transcoder_worker: TranscoderWorker,
                 s3_proxy: FlakyProxy, tmp_path: Path) -> Iterator[TranscoderWorker]:
    """The only transcoder of the group while the test runs, with S3 behind the proxy."""
    transcoder_worker.stop()
    (tmp_path / "work").mkdir()
    worker = TranscoderWorker(tmp_path, tmp_path / "work",
                              extra_env={"S3_ENDPOINT_URL": s3_proxy.url})
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
        transcoder_worker.start()
        transcoder_worker.wait_ready()


async def package_keys(settings: Settings, video_id: int) -> list[str]:
    async with open_object_store(settings) as store:
        return await store.keys(hls_prefix(video_id))


async def test_s3_away_for_a_while_the_video_still_ends_ready(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, settings: Settings,
        tmp_path: Path, s3_proxy: FlakyProxy, flaky_worker: TranscoderWorker) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await upload(api, room, await make_source(tmp_path / "s.mp4", 640, 360, 3.0))
    # The first attempt meets a dead S3 and fails as retryable; the agent sends the second.
    row = await wait_for_attempt(db, video["id"], 2, timeout=90)
    assert row["status"] == "PROCESSING"
    s3_proxy.down = False  # before the second attempt's 5 s backoff is over
    watched = await wait_for_status(db, video["id"], {"READY", "FAILED"}, timeout=120)
    assert watched.row["status"] == "READY", watched.row["error_reason"]
    failed = await results_of(settings, video["id"], "failed")
    assert [(f["attempt"], f["retryable"]) for f in failed] == [(1, True)]
    assert failed[0]["error_reason"].startswith("temporary failure: "), failed[0]
    assert [r["attempt"] for r in await results_of(settings, video["id"], "ready")] == [2]
    assert s3_proxy.dropped > 0 and s3_proxy.passed > 0
    assert hls_prefix(video["id"]) + "master.m3u8" in await package_keys(settings, video["id"])
    assert list(flaky_worker.work_dir.iterdir()) == []


async def test_s3_never_back_fails_after_three_attempts_and_leaves_nothing(
        api: TestClient, db: asyncpg.Pool, bearer, tenant_slug: str, settings: Settings,
        tmp_path: Path, s3_proxy: FlakyProxy, flaky_worker: TranscoderWorker) -> None:
    room = await build_classroom(api, bearer, tenant_slug, students=0)
    video = await upload(api, room, await make_source(tmp_path / "s.mp4", 640, 360, 3.0))
    # Backoffs of 5 s and 20 s between the attempts, then the agent gives up.
    watched = await wait_for_status(db, video["id"], {"READY", "FAILED"}, timeout=150)
    reason = watched.row["error_reason"]
    assert watched.row["status"] == "FAILED"
    assert reason.startswith("temporary failure: S3 request failed (") and reason.endswith(
        "(gave up after 3 attempts)"), reason
    assert s3_proxy.url not in reason  # the worker's S3 address is logged, not shown
    assert [j["attempt"] for j in await jobs_of(settings, video["id"])] == [1, 2, 3]
    failed = await results_of(settings, video["id"], "failed")
    assert [(f["attempt"], f["retryable"]) for f in failed] == [(1, True), (2, True), (3, True)]
    assert s3_proxy.passed == 0 and s3_proxy.dropped >= 3
    assert await package_keys(settings, video["id"]) == []
    assert list(flaky_worker.work_dir.iterdir()) == []  # temp files removed on this path too
