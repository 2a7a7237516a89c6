"""Pure rules about upload files and links."""

from __future__ import annotations

import pytest

from gateway import sources


@pytest.mark.parametrize(("url", "expected"), [
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"),
    ("https://youtube.com/watch?v=dQw4w9WgXcQ&t=42", "dQw4w9WgXcQ"),
    ("https://youtu.be/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
    ("https://m.youtube.com/watch?v=dQw4w9WgXcQ", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/embed/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
    ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "dQw4w9WgXcQ"),
    ("https://vimeo.com/123", None),
    ("https://example.org/watch?v=dQw4w9WgXcQ", None),
])
def test_youtube_ids(url: str, expected: str | None) -> None:
    assert sources.youtube_id(url) == expected


@pytest.mark.parametrize("url", ["https://youtu.be/", "https://www.youtube.com/watch?v=short",
                                 "https://www.youtube.com/channel/UCxyz"])
def test_youtube_urls_without_an_id_are_refused(url: str) -> None:
    with pytest.raises(sources.SourceError):
        sources.youtube_id(url)


@pytest.mark.parametrize(("name", "ext"), [("a.mp4", "mp4"), ("Lesson 1.MOV", "mov"),
                                           ("x.tar.webm", "webm")])
def test_extensions(name: str, ext: str) -> None:
    assert sources.extension_of(name) == ext


@pytest.mark.parametrize("name", ["a.pdf", "mp4", "a.", ".exe"])
def test_bad_extensions(name: str) -> None:
    with pytest.raises(sources.SourceError, match="Unsupported"):
        sources.extension_of(name)


@pytest.mark.parametrize(("size", "part", "count"), [
    (1, 8 * 1024**2, 1),
    (8 * 1024**2, 8 * 1024**2, 1),
    (8 * 1024**2 + 1, 8 * 1024**2, 2),
    (20 * 1024**3, 8 * 1024**2, 2560),
    (100 * 1024**3, 11 * 1024**2, 9310),
])
def test_part_sizes_stay_within_s3_limits(size: int, part: int, count: int) -> None:
    assert sources.part_size_for(size) == part
    assert sources.part_count(size, part) == count <= sources.MAX_PARTS


@pytest.mark.parametrize("url", ["ftp://x.org/a", "not a url", "https://", "javascript:alert(1)"])
def test_external_urls_must_be_http(url: str) -> None:
    with pytest.raises(sources.SourceError):
        sources.external_url(url)
