"""What a source file is, from ffprobe's JSON (pure: the transcoder runs ffprobe).

Sizes are the *displayed* size: a phone video stored 1920x1080 with a 90-degree rotation is a
1080x1920 portrait video (ffmpeg rotates it while decoding), and anamorphic pixels are
stretched to square ones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

DEFAULT_FPS = 25.0


class InvalidSource(ValueError):
    """The file is not a video we can transcode; the message is the readable reason."""


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """The facts about a source the ladder and the ffmpeg command need."""

    duration: float  # seconds
    width: int  # displayed width
    height: int  # displayed height
    fps: float
    has_audio: bool
    video_codec: str


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

    Raises :class:`InvalidSource` when there is no real video stream or no duration.
    """
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
        video_codec=str(video.get("codec_name") or ""),
    )
