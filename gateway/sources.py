"""Pure rules about video sources: upload file names and sizes, YouTube and external URLs."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

MAX_UPLOAD_BYTES = 20 * 1024**3  # 20 GiB: a long lecture in high quality, with room to spare
MIN_PART_BYTES = 8 * 1024**2  # S3's minimum is 5 MiB; 8 MiB keeps part counts low
MAX_PARTS = 10_000  # S3's limit

VIDEO_TYPES = {
    "mp4": "video/mp4", "m4v": "video/x-m4v", "mov": "video/quicktime", "mkv": "video/x-matroska",
    "webm": "video/webm", "avi": "video/x-msvideo", "mpeg": "video/mpeg", "mpg": "video/mpeg",
    "ts": "video/mp2t", "wmv": "video/x-ms-wmv", "flv": "video/x-flv", "3gp": "video/3gpp",
}
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "youtu.be",
                  "www.youtube-nocookie.com", "youtube-nocookie.com"}


class SourceError(ValueError):
    """The file name, size or URL is not acceptable; the message says why."""


def extension_of(filename: str) -> str:
    """The lower-case extension of an accepted video file name."""
    _, dot, ext = filename.rpartition(".")
    ext = ext.lower()
    if not dot or ext not in VIDEO_TYPES:
        raise SourceError(f"Unsupported file type {filename!r}; accepted: "
                          f"{', '.join(sorted(VIDEO_TYPES))}.")
    return ext


def check_size(size: int) -> None:
    """Refuse empty and oversized uploads."""
    if size <= 0:
        raise SourceError("The file is empty.")
    if size > MAX_UPLOAD_BYTES:
        raise SourceError(f"The file is larger than {MAX_UPLOAD_BYTES // 1024**3} GiB.")


def part_size_for(size: int) -> int:
    """A part size that fits ``size`` into at most MAX_PARTS parts (whole MiB)."""
    needed = -(-size // MAX_PARTS)
    mib = 1024**2
    return max(MIN_PART_BYTES, -(-needed // mib) * mib)


def part_count(size: int, part_size: int) -> int:
    """How many parts an upload of ``size`` bytes takes."""
    return max(1, -(-size // part_size))


def youtube_id(url: str) -> str | None:
    """The video id of a YouTube URL, or None when the URL is not YouTube's."""
    parsed = urlparse(url.strip())
    host = (parsed.hostname or "").lower()
    if host not in _YOUTUBE_HOSTS:
        return None
    if host == "youtu.be":
        candidate = parsed.path.strip("/").split("/")[0]
    elif parsed.path == "/watch":
        candidate = parse_qs(parsed.query).get("v", [""])[0]
    else:
        parts = [p for p in parsed.path.split("/") if p]
        candidate = parts[1] if len(parts) >= 2 and parts[0] in {"embed", "shorts", "live", "v"} \
            else ""
    if not _YOUTUBE_ID.match(candidate):
        raise SourceError(f"No YouTube video id in {url!r}.")
    return candidate


def external_url(url: str) -> str:
    """An http(s) URL with a host, or SourceError."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise SourceError("Enter a valid http(s) URL.")
    return url.strip()
