"""An academy's source bounds and the ffmpeg timeout's ceiling, as tables."""

from __future__ import annotations

import pytest

from config.tenant_settings import TenantSettings
from policy.media_probe import InvalidSource, SourceInfo, SourceOutOfBounds
from policy.source_limits import (
    SourceLimits,
    check_size,
    check_source,
    ffmpeg_timeout,
    human_bytes,
    human_seconds,
    size_problem,
)
from transcoder.jobs import classify

GIB = 1024**3
DEFAULTS = SourceLimits.of(TenantSettings())


def info(seconds: float = 60.0, width: int = 1920, height: int = 1080) -> SourceInfo:
    return SourceInfo(seconds, width, height, 25.0, True, "h264", "mov")


def test_defaults_are_four_hours_4k_and_ten_gib() -> None:
    assert DEFAULTS == SourceLimits(4 * 3600, 3840 * 2160, 10 * GIB)


@pytest.mark.parametrize(("source", "message"), [
    (info(), None),
    (info(seconds=4 * 3600), None),  # exactly at the bound
    (info(width=3840, height=2160), None),
    (info(width=2160, height=3840), None),  # portrait 4K
    (info(seconds=4 * 3600 + 1), "source too long: 4 h, over this academy's limit of 4 h"),
    (info(seconds=5.5 * 3600), "source too long: 5 h 30 min"),
    (info(width=4096, height=2160), "source picture too large: 4096x2160 is 8847360 pixels"),
    (info(width=7680, height=4320), "over this academy's limit of 8294400"),
])
def test_probed_sources_within_the_bounds(source: SourceInfo, message: str | None) -> None:
    if message is None:
        check_source(source, DEFAULTS)
        return
    with pytest.raises(SourceOutOfBounds, match=message):
        check_source(source, DEFAULTS)


@pytest.mark.parametrize(("size", "problem"), [
    (1, None),
    (10 * GIB, None),
    (10 * GIB + 1, "The file is 10.0 GiB, over this academy's limit of 10 GiB per video."),
    (20 * GIB, "The file is 20 GiB, over this academy's limit of 10 GiB per video."),
])
def test_sizes(size: int, problem: str | None) -> None:
    assert size_problem(size, DEFAULTS) == problem


def test_a_tenant_bound_applies() -> None:
    small = SourceLimits.of(TenantSettings(max_source_seconds=60, max_source_pixels=640 * 360,
                                           max_source_bytes=2 * 1024**2))
    with pytest.raises(SourceOutOfBounds, match="limit of 1 min"):
        check_source(info(seconds=61, width=640, height=360), small)
    with pytest.raises(SourceOutOfBounds, match="1280x720"):
        check_source(info(seconds=10, width=1280, height=720), small)
    with pytest.raises(SourceOutOfBounds, match="limit of 2 MiB"):
        check_size(3 * 1024**2, small)


def test_out_of_bounds_is_bad_input_never_retried() -> None:
    exc = SourceOutOfBounds("source too long: 5 h, over this academy's limit of 4 h")
    assert isinstance(exc, InvalidSource)
    assert classify(exc) == (str(exc), False)


@pytest.mark.parametrize(("duration", "factor", "ceiling", "timeout"), [
    (10.0, 10.0, 14400.0, 220.0),  # 120 s + 10 x duration
    (0.0, 10.0, 14400.0, 120.0),
    (-5.0, 10.0, 14400.0, 120.0),
    (1380.0, 10.0, 14400.0, 13920.0),
    (4 * 3600.0, 10.0, 14400.0, 14400.0),  # the ceiling, not 40 h
    (1e9, 10.0, 14400.0, 14400.0),  # whatever the file declares
    (60.0, 10.0, 300.0, 300.0),
])
def test_the_ffmpeg_timeout_has_a_ceiling(duration: float, factor: float, ceiling: float,
                                          timeout: float) -> None:
    assert ffmpeg_timeout(duration, factor, ceiling) == timeout


@pytest.mark.parametrize(("value", "text"), [
    (10 * GIB, "10 GiB"), (1536 * 1024**2, "1.5 GiB"), (512 * 1024**2, "512 MiB"),
    (2048, "2 KiB"), (100, "100 bytes")])
def test_human_bytes(value: int, text: str) -> None:
    assert human_bytes(value) == text


@pytest.mark.parametrize(("value", "text"), [
    (14400, "4 h"), (5400, "1 h 30 min"), (45, "45 s"), (90, "1 min 30 s"), (0, "0 s")])
def test_human_seconds(value: float, text: str) -> None:
    assert human_seconds(value) == text
