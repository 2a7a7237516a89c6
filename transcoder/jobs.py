"""The job handler: one job at most once per video at a time, and what a failure means.

Per job: take the video's lease -> skip a job already finished or a video no longer PROCESSING
-> defer it when another academy waits with less running (fair share, :mod:`policy.fair_share`)
-> count it as running -> back off (later attempts) -> run the pipeline -> publish ``ready`` or
``failed`` -> mark the job done. Failures are sorted here: bad input fails for good (no retry storm), infrastructure
trouble is retryable (the dispatch agent sends the next attempt, up to a bound).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from policy import fair_share
from policy.media_probe import InvalidSource
from policy.transcode import backoff_seconds
from storage.exceptions import ObjectStoreError
from storage.hls_keys import KeyUnreadable
from storage.object_keys import hls_prefix
from storage.transcode_claims import Lease, LeaseLost, TranscodeClaims
from storage.transcode_slots import TranscodeSlots
from streams import topics
from streams.publisher import Publisher
from streams.schemas import TranscodeJobV1, TranscodeResultV1
from transcoder import ffmpeg
from transcoder.pipeline import PermanentFailure, Superseded, Tools, VideoGone, transcode
from transcoder.reporter import JobReporter
from transcoder.workdir import job_dir

log = logging.getLogger(__name__)
MAX_REASON = 1000


def classify(exc: Exception) -> tuple[str, bool]:
    """(readable reason, retryable) of a failed transcode."""
    if isinstance(exc, (InvalidSource, PermanentFailure, KeyUnreadable)):
        return str(exc), False
    if isinstance(exc, ffmpeg.FfmpegTimeout):
        return str(exc), True
    if isinstance(exc, ffmpeg.FfmpegError):
        # A full disk is this machine's problem, not the file's.
        return str(exc), "No space left on device" in str(exc)
    if isinstance(exc, ObjectStoreError):
        # Admins read this: name the operation, not the S3 endpoint's address (that is logged).
        operation = str(exc).split(":", 1)[0]
        return f"temporary failure: S3 request failed ({operation})", True
    if isinstance(exc, (OSError, asyncio.TimeoutError)):
        return f"temporary failure: {exc}", True
    return f"internal error: {exc!r}", True


class JobHandler:
    """Handles the jobs of one worker process."""

    def __init__(self, tools: Tools, claims: TranscodeClaims, publisher: Publisher,
                 work_base: Path, slots: TranscodeSlots | None = None) -> None:
        self.tools = tools
        self.claims = claims
        self.publisher = publisher
        self.work_base = work_base
        self.slots = slots  # None: no fair share (every job starts when its turn comes)

    async def handle(self, job: TranscodeJobV1) -> None:
        """Handle one job (raises only on infrastructure trouble: the job is then redone)."""
        fields = {"video_id": job.video_id, "job_id": job.job_id, "attempt": job.attempt}
        async with self.claims.hold(job.tenant, job.video_id) as lease:
            if await self.claims.is_done(job.job_id):
                log.info("job already done; skipped", extra=fields)
                return
            current = await self.tools.rows.current_job(job.tenant_id, job.video_id)
            if current is None or current.status != "PROCESSING":
                log.info("video not waiting for a transcode; job skipped",
                         extra={**fields, "status": current and current.status})
                return
            if current.job_id and current.job_id != job.job_id:
                # A retry or the stall watchdog sent a later job: this one's result would be
                # ignored, so don't spend a transcode on it.
                log.info("job superseded; skipped", extra={**fields, "current": current.job_id})
                return
            if await self._defer(job):
                return
            reporter = JobReporter(self.publisher, job)
            async with self._running(job), reporter.keeping_alive():
                wait = backoff_seconds(job.attempt)
                if wait:
                    await asyncio.sleep(wait)
                outcome = await self._run(job, lease, reporter)
            if outcome is not None:
                await reporter.outcome(outcome)
            await self.claims.mark_done(job.job_id)

    def _running(self, job: TranscodeJobV1) -> contextlib.AbstractAsyncContextManager[None]:
        if self.slots is None:
            return contextlib.nullcontext()
        return self.slots.running(job.tenant_id, job.video_id)

    async def _defer(self, job: TranscodeJobV1) -> bool:
        """Send the job to the back of the queue if another academy should go first.

        The same job (same id) is published again before this one is committed, so it is
        never lost; a duplicate left by a crash in between is skipped by its done-marker.
        """
        if self.slots is None:
            return False
        snapshot = await self.slots.snapshot()
        processing = await self.tools.rows.processing_by_tenant(
            self.tools.settings.transcode_stall_seconds)
        load = fair_share.loads(processing, snapshot.running, snapshot.last_start)
        if not fair_share.should_defer(job.tenant_id, load):
            return False
        log.info("job deferred: another academy waits with fewer transcodes running",
                 extra={"video_id": job.video_id, "job_id": job.job_id,
                        "tenant_id": job.tenant_id})
        await self.publisher.publish(topics.TRANSCODE_JOBS,
                                     [(topics.video_key(job.tenant, job.video_id), job)])
        await asyncio.sleep(fair_share.DEFER_PAUSE_SECONDS)
        return True

    async def _run(self, job: TranscodeJobV1, lease: Lease,
                   reporter: JobReporter) -> TranscodeResultV1 | None:
        fields = {"video_id": job.video_id, "job_id": job.job_id, "attempt": job.attempt}
        with job_dir(self.work_base, job.job_id) as work:
            try:
                result = await transcode(self.tools, job, lease, reporter, work)
            except LeaseLost:
                raise  # another worker may be writing the prefix now: touch nothing
            except VideoGone:
                log.info("video deleted during its transcode; output removed", extra=fields)
                await self._clear(job)
                return None
            except Superseded:
                # The later job clears the prefix itself once it holds the lease we hold now.
                log.info("job superseded during its transcode; stopped", extra=fields)
                return None
            except Exception as exc:
                reason, retryable = classify(exc)
                level = logging.ERROR if reason.startswith("internal") else logging.WARNING
                log.log(level, "transcode failed", exc_info=level == logging.ERROR,
                        extra={**fields, "reason": reason, "retryable": retryable,
                               "error": str(exc)})
                await self._clear(job)
                return reporter.result("failed", error_reason=reason[:MAX_REASON],
                                       retryable=retryable)
        log.info("transcode ready", extra={**fields, "renditions": len(result.renditions)})
        return result

    async def _clear(self, job: TranscodeJobV1) -> None:
        """Remove what this attempt uploaded (best effort: the next attempt clears it too)."""
        try:
            await self.tools.store.delete_prefix(hls_prefix(job.video_id))
        except ObjectStoreError as exc:
            log.warning("could not remove partial output", extra={"reason": str(exc)})
