"""Background work of a gateway process: the outbox relay and S3 clean-up, as cleanup contexts.

Each loop wakes when a handler signals new work, or every ``IDLE_SECONDS`` to pick up what
another process or a crash left behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from itertools import groupby

from aiohttp import web

from gateway import keys
from storage.deletions import DeletionQueue
from storage.outbox import OutboxMessage, OutboxRelay
from streams.topics import by_name

log = logging.getLogger(__name__)
IDLE_SECONDS = 1.0
ERROR_BACKOFF_SECONDS = 2.0


async def _loop(name: str, wake: asyncio.Event, step: Callable[[], Awaitable[int]]) -> None:
    while True:
        try:
            if await step():
                continue  # more may be pending: go again before sleeping
        except Exception:  # a loop must survive Kafka/S3 outages; the work stays pending
            log.exception("%s failed; retrying", name)
            await asyncio.sleep(ERROR_BACKOFF_SECONDS)
            continue
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(wake.wait(), IDLE_SECONDS)
        wake.clear()


@contextlib.asynccontextmanager
async def _running(name: str, wake: asyncio.Event,
                   step: Callable[[], Awaitable[int]]) -> AsyncIterator[None]:
    task = asyncio.create_task(_loop(name, wake, step), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def outbox_relay(app: web.Application) -> AsyncIterator[None]:
    """Relay outbox rows to Kafka for the life of the app."""
    relay = OutboxRelay(app[keys.DB])
    publisher = app[keys.PUBLISHER]

    async def publish(messages: Sequence[OutboxMessage]) -> None:
        for topic, group in groupby(messages, key=lambda m: m.topic):
            await publisher.publish(by_name(topic), [(m.key, m.value) for m in group])

    app[keys.OUTBOX_WAKE] = asyncio.Event()
    async with _running("outbox-relay", app[keys.OUTBOX_WAKE],
                        lambda: relay.relay_once(publish)):
        yield


async def object_deletions(app: web.Application) -> AsyncIterator[None]:
    """Remove deleted videos' S3 objects for the life of the app."""
    queue = DeletionQueue(app[keys.DB])
    store = app[keys.OBJECTS]
    app[keys.DELETIONS_WAKE] = asyncio.Event()
    async with _running("object-deletions", app[keys.DELETIONS_WAKE],
                        lambda: queue.drain_once(store)):
        yield
