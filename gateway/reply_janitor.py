"""The reply-topic janitor, run by every gateway process as a background task.

Gateways are where reply topics come from and where the Kafka admin client already is, so
wherever reply topics are made, one is swept; with no gateway running, none is made. Several
gateways sweeping is harmless (a verdict never deletes a marked topic, deletion is idempotent),
and each waits a random part of the period so their sweeps spread out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator

from aiohttp import web

from gateway import keys
from policy.reply_topics import sweep_every
from streams.reply_janitor import sweep_once

log = logging.getLogger(__name__)


async def _sweep_forever(app: web.Application) -> None:
    settings = app[keys.SETTINGS]
    own = (app[keys.SESSIONS].reply_topic.name,)
    while True:
        await asyncio.sleep(sweep_every(settings.reply_topic_idle_seconds, random.random()))
        try:
            report = await sweep_once(settings, app[keys.PUBLISHER], own, time.time())
            log.info("reply topics swept", extra={
                "deleted": len(report.deleted), "dated": len(report.dated),
                "kept": len(report.kept)})
        except Exception:  # Kafka away: the topics wait for the next sweep
            log.exception("sweeping the reply topics failed")


async def reply_janitor(app: web.Application) -> AsyncIterator[None]:
    """Sweep the reply topics for the life of the app."""
    task = asyncio.create_task(_sweep_forever(app), name="reply-janitor")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
