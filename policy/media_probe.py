"""What a source file is, from ffprobe's JSON (pure: the transcoder runs ffprobe).

Sizes are the *displayed* size: a phone video stored 1920x1080 with a 90-degree rotation is a
1080x1920 portrait video (ffmpeg rotates it while decoding), and anamorphic pixels are
stretched to square ones.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

DEFAULT_FPS = 25.0

# The only demuxers (ffmpeg's names) an upload is ever opened with: the containers of the
# accepted upload extensions. Nothing that reads other files or the network: no hls, dash,
# concat/ffconcat, playlists, image2 or image pipes, subtitles, tee, data URIs. A demuxer
# matches on any of its names, so "mov" is the MP4/MOV/M4V/3GP demuxer, "matroska" reads WebM
# too, "asf" reads WMV, "mpeg" is MPEG-PS and "mpegvideo" raw MPEG-1/2 video.
SOURCE_DEMUXERS = ("mov", "matroska", "avi", "mpeg", "mpegts", "mpegvideo", "asf", "flv")
SOURCE_PROTOCOLS = ("file",)  # the local scratch copy only: no http, tcp, data, subfile...
ACCEPTED_CONTAINERS = "MP4/MOV/M4V/3GP, MKV/WebM, AVI, MPEG-PS/TS, WMV, FLV"
_REFUSED = re.compile(r"\[([\w-]+) @ 0x[0-9a-f]+\] Format not on whitelist")
_KNOWN = {"hls": "an HLS playlist", "concat": "a concat list", "dash": "a DASH manifest",
          "image2": "an image sequence", "jpeg_pipe": "a JPEG image", "png_pipe": "a PNG image",
          "webp_pipe": "a WebP image", "gif": "a GIF image", "mp3": "an audio file",
          "wav": "an audio file", "tty": "a text file"}


class InvalidSource(ValueError):
    """The file is not a video we can transcode; the message is the readable reason.

    Bad input, never retried: another attempt would read the same bytes.
    """


class SourceOutOfBounds(InvalidSource):
    """A real video over one of the academy's source limits (duration, picture, size)."""


def refused_container(name: str) -> InvalidSource:
    """The readable refusal of a file ffmpeg recognised as the demuxer ``name``."""
    what = _KNOWN.get(name) or (name.endswith("_pipe") and "an image") or f"{name!r} data"
    return InvalidSource(f"not a video: the file is {what} ({name}), not a video container "
                         f"this service accepts ({ACCEPTED_CONTAINERS})")


def refused_by_whitelist(stderr: str) -> InvalidSource | None:
    """The refusal ffprobe/ffmpeg reported for a demuxer off the whitelist, if it did."""
    found = _REFUSED.search(stderr)
    return refused_container(found.group(1)) if found else None


def source_demuxer(format_name: str) -> str:
    """The accepted demuxer ffprobe's ``format_name`` names; :class:`InvalidSource` if none."""
    names = [n.strip() for n in format_name.split(",") if n.strip()]
    for name in names:
        if name in SOURCE_DEMUXERS:
            return name
    raise refused_container(names[0] if names else "unknown")


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The facts about a source the ladder and the ffmpeg command need."""

    duration: float  # seconds
    width: int  # displayed width
    height: int  # displayed height
    fps: float
    has_audio: bool
    video_codec: str
    container: str  # the accepted demuxer that read it (ffmpeg is pinned to it)


def _ratio(raw: Any) -> float | None:
    """A positive ffprobe rational ("30000/1001", "16:9"), or None."""
    try:
        value = Fraction(str(raw).replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        return None
    return float(value) if value > 0 else None


def _number(raw: Any) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def rotation(stream: dict[str, Any]) -> int:
    """Degrees the picture is rotated for display (display matrix or the legacy tag)."""
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            try:
                return int(float(side["rotation"]))
            except (TypeError, ValueError):
                return 0
    try:
        return int((stream.get("tags") or {}).get("rotate", 0))
    except (TypeError, ValueError):
        return 0


def parse_probe(probe: dict[str, Any]) -> SourceInfo:
    """The :class:`SourceInfo` of ``ffprobe -show_streams -show_format`` output.

    Raises :class:`InvalidSource` when the container is not an accepted one (checked again
    here, though ffprobe already runs with the whitelist), when there is no real video stream
    or no duration.
    """
    container = source_demuxer(str((probe.get("format") or {}).get("format_name") or ""))
    streams = probe.get("streams") or []
    videos = [s for s in streams if s.get("codec_type") == "video"
              and not (s.get("disposition") or {}).get("attached_pic")]
    if not videos:
        raise InvalidSource("not a video: no video stream in the file")
    video = videos[0]
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise InvalidSource("not a video: the video stream has no picture size")
    sar = _ratio(video.get("sample_aspect_ratio"))
    if sar is not None and abs(sar - 1.0) > 1e-3:
        width = max(2, round(width * sar))
    if abs(rotation(video)) % 180 == 90:
        width, height = height, width
    duration = _number((probe.get("format") or {}).get("duration")) or _number(
        video.get("duration"))
    if duration is None:
        raise InvalidSource("not a video: the file has no duration")
    fps = _ratio(video.get("avg_frame_rate")) or _ratio(video.get("r_frame_rate"))
    if fps is None or fps > 1000:
        fps = DEFAULT_FPS
    return SourceInfo(
        duration=duration, width=width, height=height, fps=fps,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        video_codec=str(video.get("codec_name") or ""), container=container,
    )
