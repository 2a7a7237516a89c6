"""The ffmpeg runner: owns the subprocess, its timeout, its termination and its progress.

ffmpeg runs in its own session (a Ctrl-C meant for the worker must not kill it and look like
bad input) and dies with the worker (``PR_SET_PDEATHSIG``): a SIGKILLed worker leaves no ffmpeg
writing into a directory nobody will clean. Whatever ends the wait (timeout, cancellation, the
progress callback raising), the process is terminated, then killed, before ``run`` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import signal
import sys
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

log = logging.getLogger(__name__)
TERMINATE_GRACE_SECONDS = 3.0
STDERR_LINES = 8
_PR_SET_PDEATHSIG = 1

ProgressCallback = Callable[[float], Awaitable[None]]


class FfmpegError(Exception):
    """ffmpeg failed; the message is the end of what it printed (a readable reason)."""


class FfmpegTimeout(FfmpegError):
    """ffmpeg ran longer than its timeout and was killed."""


class ProgressReader:
    """Turns ``-progress`` output (``key=value`` blocks ending in ``progress=``) into percent."""

    def __init__(self, duration: float) -> None:
        self.duration = duration
        self._out_us: int | None = None

    def feed(self, line: str) -> float | None:
        """The percentage (0-100) done when ``line`` ends a block, else None."""
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" or (key == "out_time_ms" and self._out_us is None):
            # out_time_ms is microseconds too (an old ffmpeg misnomer); both may be "N/A".
            with contextlib.suppress(ValueError):
                self._out_us = max(0, int(value))
        elif key == "progress":
            if value == "end":
                return 100.0
            if self._out_us is None or self.duration <= 0:
                return None
            return min(100.0, 100.0 * self._out_us / 1e6 / self.duration)
        return None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        await asyncio.wait_for(proc.wait(), TERMINATE_GRACE_SECONDS)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


async def _tail(stream: asyncio.StreamReader, lines: deque[str]) -> None:
    async for raw in stream:
        text = raw.decode(errors="replace").strip()
        if text:
            lines.append(text)


def reason(lines: Sequence[str], returncode: int | None) -> str:
    """A one-line reason from ffmpeg's last error lines."""
    text = " | ".join(lines)[-400:] if lines else f"exit status {returncode}"
    return f"ffmpeg failed: {text}"


async def run(argv: Sequence[str], *, timeout: float, duration: float,
              on_progress: ProgressCallback | None = None) -> None:
    """Run ffmpeg to the end; raise :class:`FfmpegError` unless it exits 0.

    ``on_progress`` gets the percentage after each progress block; if it raises, ffmpeg is
    stopped and the exception propagates (that is how a deleted video aborts its transcode).
    """
    proc = await asyncio.create_subprocess_exec(
        *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, start_new_session=True, preexec_fn=_die_with_parent)
    assert proc.stdout is not None and proc.stderr is not None
    errors: deque[str] = deque(maxlen=STDERR_LINES)
    stderr_task = asyncio.create_task(_tail(proc.stderr, errors))
    reader = ProgressReader(duration)
    try:
        async with asyncio.timeout(timeout):
            async for raw in proc.stdout:
                percent = reader.feed(raw.decode(errors="replace"))
                if percent is not None and on_progress is not None:
                    await on_progress(percent)
            await proc.wait()
            await stderr_task
    except TimeoutError:
        raise FfmpegTimeout(f"ffmpeg timed out after {timeout:.0f} s") from None
    finally:
        await _stop(proc)
        stderr_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stderr_task
    if proc.returncode != 0:
        raise FfmpegError(reason(list(errors), proc.returncode))
