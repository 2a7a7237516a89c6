"""The HLS ladder of a source: which renditions, at what size and bitrate (pure).

Rungs are named by the short side of the picture (``720p`` is 1280x720 landscape or 720x1280
portrait), so a phone-filmed lecture gets the same quality steps as a screen recording. A rung
is never larger than the source; a source smaller than the lowest rung gets one rendition at its
own size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SEGMENT_SECONDS = 4  # hls_time: every segment is 4 s (the last one may be shorter)
KEYFRAME_SECONDS = 2  # two GOPs per segment: a rounding miss gives 6 s, never 8 s


@dataclass(frozen=True, slots=True)
class Rung:
    """One step of the standard ladder."""

    short_side: int
    video_kbps: int
    audio_kbps: int


# Bitrates for H.264 at 30 fps talking-head/screen content (Apple's HLS authoring spec range).
LADDER: tuple[Rung, ...] = (
    Rung(360, 800, 96),
    Rung(480, 1400, 96),
    Rung(720, 2800, 128),
    Rung(1080, 5000, 128),
)
MIN_VIDEO_KBPS = 200


@dataclass(frozen=True, slots=True)
class Rendition:
    """One variant stream of the package."""

    name: str  # e.g. "720p": also its directory in the package
    width: int
    height: int
    video_kbps: int
    audio_kbps: int  # 0: the source has no audio

    @property
    def maxrate_kbps(self) -> int:
        """VBV peak: 7 % over the average, as the stack recipe."""
        return self.video_kbps * 107 // 100

    @property
    def bufsize_kbps(self) -> int:
        """VBV buffer: 1.5 x the average bitrate."""
        return self.video_kbps * 3 // 2

    @property
    def bandwidth(self) -> int:
        """Peak bits per second: the video VBV maxrate plus the audio bitrate."""
        return (self.maxrate_kbps + self.audio_kbps) * 1000

    @property
    def playlist(self) -> str:
        """The rendition's playlist, relative to the master playlist."""
        return f"{self.name}/index.m3u8"

    def as_json(self) -> dict[str, int | str]:
        """The row's ``renditions`` entry."""
        return {"name": self.name, "width": self.width, "height": self.height,
                "bandwidth": self.bandwidth, "video_bitrate": self.video_kbps * 1000,
                "audio_bitrate": self.audio_kbps * 1000, "playlist": self.playlist}


def even(value: float) -> int:
    """The nearest even integer >= 2 (H.264 4:2:0 needs even dimensions)."""
    return max(2, int(round(value / 2)) * 2)


def _sized(short: int, width: int, height: int) -> tuple[int, int]:
    """(width, height) with the short side ``short`` and the source's aspect ratio."""
    if width >= height:
        return even(short * width / height), short
    return short, even(short * height / width)


def choose_ladder(width: int, height: int, has_audio: bool) -> tuple[Rendition, ...]:
    """The renditions for a ``width`` x ``height`` source (displayed size), lowest first."""
    if width <= 0 or height <= 0:
        raise ValueError(f"invalid source size {width}x{height}")
    source_short = min(width, height)
    rungs = [r for r in LADDER if r.short_side <= source_short]
    out = []
    for rung in rungs:
        w, h = _sized(rung.short_side, width, height)
        out.append(Rendition(f"{rung.short_side}p", w, h, rung.video_kbps,
                             rung.audio_kbps if has_audio else 0))
    if not out:  # smaller than 360p: one rendition at the source's own (even) size
        lowest = LADDER[0]
        short = max(2, source_short - source_short % 2)  # round down: never upscale
        w, h = _sized(short, width, height)
        share = (w * h) / (640 * 360)
        kbps = max(MIN_VIDEO_KBPS, int(lowest.video_kbps * share))
        out.append(Rendition(f"{short}p", w, h, kbps, lowest.audio_kbps if has_audio else 0))
    return tuple(out)


def keyframe_interval(fps: float) -> int:
    """Frames between keyframes: ``KEYFRAME_SECONDS`` rounded up, the same for every rendition.

    Rounded up so a GOP is never shorter than planned, which keeps segment cuts (at the first
    keyframe after ``SEGMENT_SECONDS``) on every second GOP boundary in every rendition.
    """
    if fps <= 0 or math.isnan(fps):
        fps = 25.0
    return max(1, math.ceil(fps * KEYFRAME_SECONDS - 1e-6))
