"""A job's reports on ``lecturecast.transcode-results.v1``: progress, then the outcome.

Progress is best effort (at most one message a second, only when the percentage grows, never
99+); the outcome is retried until Kafka has it, because the job's offset is committed only
after that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from streams import topics
from streams.exceptions import PublishError
from streams.publisher import Publisher
from streams.schemas import TranscodeJobV1, TranscodeResultV1

log = logging.getLogger(__name__)
PROGRESS_EVERY_SECONDS = 1.0
MAX_PROGRESS = 99
PUBLISH_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)


class JobReporter:
    """Publishes the results of one job."""

    def __init__(self, publisher: Publisher, job: TranscodeJobV1) -> None:
        self._publisher = publisher
        self.job = job
        self.last_progress = -1
        self._last_at = 0.0

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
