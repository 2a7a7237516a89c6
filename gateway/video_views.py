"""How a video is shown to API clients: the seed serializer's fields plus ours.

Managers see every field. Students see the same shape without what is only the academy's
business: the S3 key of the source upload (empty) and the transcoder's failure detail (ffmpeg's
words and scratch paths), replaced by one readable sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from config.settings import Settings
from storage.videos import Video

STUDENT_ERROR_REASON = "The video could not be processed."


@dataclass(frozen=True, slots=True)
class VideoOut:
    """A video as the admin front end (``videos.ts``) and players read it."""

    id: int
    session: int
    session_id: int
    title: str
    youtube_id: str
    external_url: str
    file: str | None  # the seed's legacy local file; lecturecast stores uploads on S3 only
    file_key: str
    file_size: int | None
    duration: int | None
    order: int
    status: str
    allow_skip: bool
    max_speed: float
    show_watermark: bool
    created_at: datetime
    updated_at: datetime
    source_type: str
    thumbnail_url: str | None
    error_reason: str
    processing_progress: int


def public_url(settings: Settings, key: str) -> str:
    """The CDN URL of an S3 key under the HLS tree (a path when no CDN base is set)."""
    return f"{settings.cdn_hls_base_url.rstrip('/')}/{key.lstrip('/')}"


def present(video: Video, settings: Settings) -> VideoOut:
    """The API representation of a video row, as managers see it (see :func:`present_to`)."""
    return VideoOut(
        id=video.id, session=video.session_id, session_id=video.session_id, title=video.title,
        youtube_id=video.youtube_id, external_url=video.external_url, file=None,
        file_key=video.file_key, file_size=video.file_size, duration=video.duration,
        order=video.order, status=video.status, allow_skip=video.allow_skip,
        max_speed=video.max_speed, show_watermark=video.show_watermark,
        created_at=video.created_at, updated_at=video.updated_at,
        source_type=video.source_type,
        thumbnail_url=public_url(settings, video.thumbnail_key) if video.thumbnail_key else None,
        error_reason=video.error_reason, processing_progress=video.processing_progress,
    )


def present_to(video: Video, settings: Settings, *, manager: bool) -> VideoOut:
    """The video as the caller may see it: all of it for managers, redacted for students."""
    shown = present(video, settings)
    if manager:
        return shown
    return replace(shown, file_key="",
                   error_reason=STUDENT_ERROR_REASON if shown.error_reason else "")
