"""The poster and the seek-preview sprite of a video, and the WebVTT map of the sprite (pure).

The sprite is one JPEG grid of small frames, one every ``interval`` seconds; players show the
tile whose cue covers the hovered time (``sprite.jpg#xywh=x,y,w,h``, the convention of video.js,
JW Player and Plyr). At most ``MAX_TILES`` tiles, so a long lecture's sprite stays small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from policy.ladder import even

SPRITE_COLUMNS = 10
MAX_TILES = 100
MIN_INTERVAL_SECONDS = 2
TILE_LONG_SIDE = 160
POSTER_AT_MAX_SECONDS = 10.0  # the first seconds of a lecture are often a black title card


@dataclass(frozen=True, slots=True)
class PreviewPlan:
    """Where the poster is taken and how the sprite is laid out."""

    poster_at: float  # seconds into the video
    interval: int  # seconds between tiles
    count: int  # tiles
    columns: int
    rows: int
    tile_width: int
    tile_height: int


def plan_previews(duration: float, width: int, height: int) -> PreviewPlan:
    """The preview plan of a ``duration``-second ``width`` x ``height`` (displayed) video."""
    interval = max(MIN_INTERVAL_SECONDS, math.ceil(duration / MAX_TILES))
    count = max(1, math.ceil(duration / interval))
    columns = min(count, SPRITE_COLUMNS)
    if width >= height:
        tile_w, tile_h = TILE_LONG_SIDE, even(TILE_LONG_SIDE * height / width)
    else:
        tile_w, tile_h = even(TILE_LONG_SIDE * width / height), TILE_LONG_SIDE
    return PreviewPlan(poster_at=round(min(duration / 10, POSTER_AT_MAX_SECONDS), 3),
                       interval=interval, count=count, columns=columns,
                       rows=math.ceil(count / columns), tile_width=tile_w, tile_height=tile_h)


def timestamp(seconds: float) -> str:
    """WebVTT time: ``hh:mm:ss.mmm``."""
    millis = int(round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def sprite_vtt(plan: PreviewPlan, duration: float, sprite: str = "sprite.jpg") -> str:
    """The WebVTT map: one cue per tile, the last one ending at ``duration``."""
    lines = ["WEBVTT", ""]
    for i in range(plan.count):
        start = i * plan.interval
        end = min((i + 1) * plan.interval, duration)
        if end <= start:
            break
        x = (i % plan.columns) * plan.tile_width
        y = (i // plan.columns) * plan.tile_height
        lines += [f"{timestamp(start)} --> {timestamp(end)}",
                  f"{sprite}#xywh={x},{y},{plan.tile_width},{plan.tile_height}", ""]
    return "\n".join(lines)
