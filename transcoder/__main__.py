"""``python -m transcoder``: run a transcoder worker until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal

import asyncpg

from config.entry import settings_or_exit
from config.exceptions import SettingsError
from config.settings import Settings
from storage.cache import create_redis
from storage.db import create_pool
from storage.hls_keys import HlsKeys
from storage.objects import open_object_store
from storage.transcode_claims import TranscodeClaims
from storage.transcode_slots import TranscodeSlots
from storage.transcodes import TranscodeRows
from streams.publisher import Publisher
from transcoder.jobs import JobHandler
from transcoder.pipeline import Tools
from transcoder.worker import run_worker
from transcoder.workdir import base_dir, sweep_stale

log = logging.getLogger("transcoder")


def _hls_keys(settings: Settings, pool: asyncpg.Pool) -> HlsKeys | None:
    try:
        kek = settings.hls_key_encryption_key()
    except SettingsError as exc:  # plain packages still work; encrypted jobs fail readably
        log.warning("HLS encryption unavailable", extra={"reason": str(exc)})
        return None
    return HlsKeys(pool, kek)


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    work = base_dir(settings.transcoder_work_dir)
    sweep_stale(work)  # what a SIGKILLed worker left on this machine
    # Each resource is closed on the way out, also when a later one fails to open.
    async with contextlib.AsyncExitStack() as resources:
        pool = await create_pool(settings, min_size=1,
                                 max_size=2 + settings.transcoder_concurrency)
        resources.push_async_callback(pool.close)
        redis = create_redis(settings)
        resources.push_async_callback(redis.aclose)
        publisher = await Publisher.start(
            settings, client_id=f"lecturecast-transcoder-{os.getpid()}")
        resources.push_async_callback(publisher.stop)
        store = await resources.enter_async_context(open_object_store(settings))
        tools = Tools(settings, store, TranscodeRows(pool), _hls_keys(settings, pool))
        handler = JobHandler(tools, TranscodeClaims(redis), publisher, work,
                             TranscodeSlots(redis))
        await run_worker(settings, handler.handle, stop)


def main() -> int:
    """Load settings once and run the worker."""
    asyncio.run(_serve(settings_or_exit("transcoder")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
