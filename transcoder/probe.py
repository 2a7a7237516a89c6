"""ffprobe of a local source: duration, displayed size, frame rate, audio."""

from __future__ import annotations

import asyncio
import contextlib

import orjson

from policy.media_probe import InvalidSource, SourceInfo, parse_probe

PROBE_TIMEOUT_SECONDS = 60.0


async def probe(path: str, ffprobe: str = "ffprobe") -> SourceInfo:
    """Probe ``path``; :class:`InvalidSource` (with ffprobe's reason) if it is not a video."""
    proc = await asyncio.create_subprocess_exec(
        ffprobe, "-v", "error", "-print_format", "json", "-show_streams", "-show_format", path,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), PROBE_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        raise InvalidSource("not a video: ffprobe could not read the file in time") from None
    finally:
        # Timed out, or the job cancelled (SIGTERM): no ffprobe outlives the call.
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
    if proc.returncode != 0:
        # ffprobe names the local temp path; the reason is for admins: call it "source".
        detail = err.decode(errors="replace").replace(path, "source").strip().splitlines()
        raise InvalidSource(f"not a video: {detail[-1] if detail else 'unreadable file'}"[:400])
    try:
        return parse_probe(orjson.loads(out))
    except orjson.JSONDecodeError as exc:
        raise InvalidSource("not a video: ffprobe output unreadable") from exc
