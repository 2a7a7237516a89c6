"""ffprobe of a local source: container, duration, displayed size, frame rate, audio.

ffprobe opens the upload with the same whitelists as ffmpeg (accepted container demuxers,
local files only), so a playlist or concat list posing as a video is refused before anything
follows its references; the refusal names what the file really is.
"""

from __future__ import annotations

import asyncio
import contextlib

import orjson

from policy.media_probe import InvalidSource, SourceInfo, parse_probe, refused_by_whitelist
from transcoder.hls_argv import input_options

PROBE_TIMEOUT_SECONDS = 60.0


def probe_argv(path: str, ffprobe: str = "ffprobe") -> list[str]:
    """The ffprobe command for ``path`` (pure, tested by argv)."""
    return [ffprobe, "-v", "error", *input_options(), "-print_format", "json",
            "-show_streams", "-show_format", path]


async def probe(path: str, ffprobe: str = "ffprobe") -> SourceInfo:
    """Probe ``path``; :class:`InvalidSource` (with a readable reason) if it is not a video."""
    proc = await asyncio.create_subprocess_exec(
        *probe_argv(path, ffprobe), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
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
        text = err.decode(errors="replace")
        refused = refused_by_whitelist(text)
        if refused is not None:
            raise refused
        # ffprobe names the local temp path; the reason is for admins: call it "source".
        detail = text.replace(path, "source").strip().splitlines()
        raise InvalidSource(f"not a video: {detail[-1] if detail else 'unreadable file'}"[:400])
    try:
        return parse_probe(orjson.loads(out))
    except orjson.JSONDecodeError as exc:
        raise InvalidSource("not a video: ffprobe output unreadable") from exc
