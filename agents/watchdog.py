"""The stall watchdog: PROCESSING videos whose transcode went quiet are retried, then FAILED.

Runs as a Faust timer in the dispatch process. Per scan: read the quiet rows -> decide (pure,
:func:`policy.transcode.on_stall_check`) -> claim the row atomically -> act. A retry is a
``failed`` (retryable) result for the video's current job on the results topic, so the dispatch
agent applies its usual bounded retry (next attempt, or FAILED after the last). The timer runs
on every dispatch worker; the claim makes a second scanner's action a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import faust
from aiokafka.errors import KafkaError

from config.settings import Settings
from policy import transcode as policy
from policy.transcode import RunningTranscode, StallAction, StallDecision
from storage.db import create_pool
from storage.transcode_watch import StalledTranscodes
from streams import codecs, topics
from streams.app import faust_topic
from streams.exceptions import PublishError
from streams.schemas import TranscodeResultV1

log = logging.getLogger(__name__)
SendResult = Callable[[bytes, TranscodeResultV1], Awaitable[None]]


class Watchdog:
    """One scan at a time over the stalled videos."""

    def __init__(self, watch: StalledTranscodes, send: SendResult, stall_seconds: float) -> None:
        self.watch = watch
        self.send = send
        self.stall_seconds = stall_seconds

    async def scan_once(self) -> list[tuple[RunningTranscode, StallDecision]]:
        """Judge every quiet video once; return the ones this scan claimed and acted on."""
        now, quiet = await self.watch.quiet_for(self.stall_seconds)
        acted = []
        for run in quiet:
            decision = policy.on_stall_check(now, run, self.stall_seconds)
            if decision.action is StallAction.RETRY:
                if not await self.watch.claim_retry(run, self.stall_seconds):
                    continue
                # Claimed, then sent: if the send fails, the next scan claims it again.
                await self.send(topics.video_key(run.tenant, run.video_id),
                                policy.stall_result(run, decision.reason, now))
            elif decision.action is StallAction.FAIL:
                if not await self.watch.claim_failure(run, self.stall_seconds, decision.reason):
                    continue
            else:
                continue
            log.warning("transcode of video %s stalled (job %s, attempt %s): %s",
                        run.video_id, run.job_id, run.attempt, decision.action.value)
            acted.append((run, decision))
        return acted


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the watchdog timer to ``app`` (the dispatch app)."""
    results = faust_topic(app, topics.TRANSCODE_RESULTS, settings)

    async def send(key: bytes, result: TranscodeResultV1) -> None:
        sent = await results.send(key=key, value=codecs.encode(result), force=True)
        await sent

    @app.timer(interval=policy.watchdog_interval(settings.transcode_stall_seconds),
               name="transcode-watchdog")
    async def transcode_watchdog() -> None:
        """One scan; failures are logged and left to the next scan."""
        # A pool per scan (a scan a minute at most): nothing held between scans, nothing leaked.
        try:
            pool = await create_pool(settings, min_size=1, max_size=1)
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("watchdog scan skipped: %r", exc)
            return
        try:
            await Watchdog(StalledTranscodes(pool), send,
                           settings.transcode_stall_seconds).scan_once()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, KafkaError,
                PublishError) as exc:  # the next scan tries again
            log.warning("watchdog scan failed: %r", exc)
        finally:
            await pool.close()

    return transcode_watchdog
