"""Every S3 key layout of lecturecast, declared once."""

from __future__ import annotations

import uuid


def tenant_uploads_prefix(tenant_id: int) -> str:
    """Where a tenant's uploaded sources live; a file_key outside it is refused."""
    return f"uploads/{tenant_id}/"


def upload_key(tenant_id: int, session_id: int, extension: str) -> str:
    """A fresh key for an uploaded source video."""
    return f"{tenant_uploads_prefix(tenant_id)}{session_id}/{uuid.uuid4().hex}.{extension}"


def hls_prefix(video_id: int) -> str:
    """The HLS package of a video (the CDN cookie policy covers ``/hls/videos/{id}/``)."""
    return f"hls/videos/{video_id}/"


def master_playlist(video_id: int) -> str:
    """The key of a video's master playlist."""
    return f"{hls_prefix(video_id)}master.m3u8"
