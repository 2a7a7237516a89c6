"""``python -m transcoder``: run a transcoder worker until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal

from config.entry import settings_or_exit
from config.settings import Settings
from streams.schemas import TranscodeJobV1
from transcoder.worker import run_worker

log = logging.getLogger("transcoder")


async def log_job(job: TranscodeJobV1) -> None:
    """Until the HLS pipeline lands (issue 6), a job is only logged, never silently dropped."""
    log.warning("transcode job received; the HLS pipeline is not implemented yet",
                extra={"video_id": job.video_id, "job_id": job.job_id})


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run_worker(settings, log_job, stop)


def main() -> int:
    """Load settings once and run the worker."""
    asyncio.run(_serve(settings_or_exit("transcoder")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
