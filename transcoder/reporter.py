"""A job's reports on ``lecturecast.transcode-results.v1``: progress, then the outcome.

Progress is best effort (at most one message a second, only when the percentage grows, never
99+), plus a keep-alive every 30 s while the job runs, so phases without progress (a long
download, a slow upload) never look stalled to the dispatch watchdog. The outcome is retried
until Kafka has it, because the job's offset is committed only after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from streams import topics
from streams.exceptions import PublishError
from streams.publisher import Publisher
from streams.schemas import TranscodeJobV1, TranscodeResultV1

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 1.0
MAX_PROGRESS = 99
PUBLISH_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)
KEEPALIVE_SECONDS = 30.0


class JobReporter:
    """Publishes the results of one job."""

    def __init__(self, publisher: Publisher, job: TranscodeJobV1) -> None:
        self._publisher = publisher
        self.job = job
        self.last_progress = -1
        self._last_at = time.monotonic()  # the job was just sent: the keep-alive waits a period

    def result(self, kind: str, **fields: Any) -> TranscodeResultV1:
        """A result of this job."""
        job = self.job
        return TranscodeResultV1(job_id=job.job_id, tenant=job.tenant, tenant_id=job.tenant_id,
                                 video_id=job.video_id, attempt=job.attempt, kind=kind,
                                 at=time.time(), **fields)

    async def progress(self, percent: float) -> None:
        """Report progress if it grew and the last report is a second old."""
        value = max(0, min(MAX_PROGRESS, int(percent)))
        now = time.monotonic()
        if value <= self.last_progress or (
                now - self._last_at < PROGRESS_EVERY_SECONDS and self.last_progress >= 0):
            return
        try:
            await self._send(self.result("progress", progress=value))
        except PublishError as exc:  # the next report (or the outcome) will get through
            log.warning("progress not published", extra={"reason": str(exc)})
            return
        self.last_progress, self._last_at = value, now

    @contextlib.asynccontextmanager
    async def keeping_alive(self, every: float = KEEPALIVE_SECONDS) -> AsyncIterator[None]:
        """Inside the block, re-send the last progress whenever nothing was sent for ``every``."""
        task = asyncio.create_task(self._keep_alive(every))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep_alive(self, every: float) -> None:
        while True:
            await asyncio.sleep(max(0.0, self._last_at + every - time.monotonic()))
            if time.monotonic() - self._last_at < every:
                continue  # a progress report went out meanwhile
            try:
                await self._send(self.result("progress", progress=max(0, self.last_progress)))
            except PublishError as exc:
                log.warning("keep-alive not published", extra={"reason": str(exc)})
            self._last_at = time.monotonic()

    async def outcome(self, result: TranscodeResultV1) -> None:
        """Publish the job's ``ready``/``failed`` result, retrying until Kafka acknowledges it."""
        attempt = 0
        while True:
            try:
                await self._send(result)
                return
            except PublishError as exc:
                wait = PUBLISH_BACKOFF_SECONDS[min(attempt, len(PUBLISH_BACKOFF_SECONDS) - 1)]
                log.warning("result not published; retrying",
                            extra={"reason": str(exc), "retry_in": wait})
                attempt += 1
                await asyncio.sleep(wait)

    async def _send(self, result: TranscodeResultV1) -> None:
        key = topics.video_key(self.job.tenant, self.job.video_id)
        await self._publisher.publish(topics.TRANSCODE_RESULTS, [(key, result)])
