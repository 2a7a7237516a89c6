"""The HLS ladder: rungs from the source's short side, never upscaled, portrait kept."""

from __future__ import annotations

import pytest

from policy.ladder import Rendition, choose_ladder, even, keyframe_interval


@pytest.mark.parametrize(("width", "height", "expected"), [
    (1920, 1080, [("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720),
                  ("1080p", 1920, 1080)]),
    (3840, 2160, [("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720),
                  ("1080p", 1920, 1080)]),
    (1280, 720, [("360p", 640, 360), ("480p", 854, 480), ("720p", 1280, 720)]),
    (854, 480, [("360p", 640, 360), ("480p", 854, 480)]),
    (640, 360, [("360p", 640, 360)]),
    (1000, 700, [("360p", 514, 360), ("480p", 686, 480)]),  # 10:7, between 480p and 720p
    (640, 480, [("360p", 480, 360), ("480p", 640, 480)]),  # 4:3
    # Portrait: rungs by the short side, the long side follows the aspect ratio.
    (1080, 1920, [("360p", 360, 640), ("480p", 480, 854), ("720p", 720, 1280),
                  ("1080p", 1080, 1920)]),
    (480, 854, [("360p", 360, 640), ("480p", 480, 854)]),
    (360, 640, [("360p", 360, 640)]),
    # Smaller than the lowest rung: one rendition at the source's size, rounded down to even.
    (320, 240, [("240p", 320, 240)]),
    (321, 241, [("240p", 320, 240)]),
    (176, 144, [("144p", 176, 144)]),
    (144, 176, [("144p", 144, 176)]),
])
def test_rungs_follow_the_source(width: int, height: int,
                                 expected: list[tuple[str, int, int]]) -> None:
    ladder = choose_ladder(width, height, has_audio=True)
    assert [(r.name, r.width, r.height) for r in ladder] == expected


@pytest.mark.parametrize(("width", "height"), [
    (1920, 1080), (1280, 720), (854, 480), (1080, 1920), (720, 1280), (999, 333), (320, 240),
])
def test_never_upscaled_and_always_even(width: int, height: int) -> None:
    for r in choose_ladder(width, height, has_audio=False):
        assert r.width % 2 == 0 and r.height % 2 == 0
        assert min(r.width, r.height) <= min(width, height)
        assert max(r.width, r.height) <= max(width, height) + 1  # rounding to even only


@pytest.mark.parametrize(("has_audio", "audio"), [(True, [96, 96, 128, 128]), (False, [0] * 4)])
def test_audio_bitrate_per_rung(has_audio: bool, audio: list[int]) -> None:
    assert [r.audio_kbps for r in choose_ladder(1920, 1080, has_audio)] == audio


@pytest.mark.parametrize(("rendition", "bandwidth", "maxrate", "bufsize"), [
    (Rendition("720p", 1280, 720, 2800, 128), 3_124_000, 2996, 4200),
    (Rendition("360p", 640, 360, 800, 0), 856_000, 856, 1200),
])
def test_bandwidth_is_the_peak(rendition: Rendition, bandwidth: int, maxrate: int,
                               bufsize: int) -> None:
    assert (rendition.bandwidth, rendition.maxrate_kbps, rendition.bufsize_kbps) == (
        bandwidth, maxrate, bufsize)
    assert rendition.as_json()["playlist"] == f"{rendition.name}/index.m3u8"


@pytest.mark.parametrize(("fps", "frames"), [
    (25.0, 50), (30.0, 60), (30000 / 1001, 60), (24000 / 1001, 48), (60.0, 120),
    (59.94, 120), (12.5, 25), (24.6, 50), (0.0, 50), (float("nan"), 50),
])
def test_keyframe_interval_is_two_seconds_rounded_up(fps: float, frames: int) -> None:
    assert keyframe_interval(fps) == frames


@pytest.mark.parametrize(("value", "expected"), [(640.5, 640), (853.3, 854), (1.0, 2), (3, 4)])
def test_even(value: float, expected: int) -> None:
    assert even(value) == expected


def test_invalid_size_is_refused() -> None:
    with pytest.raises(ValueError):
        choose_ladder(0, 720, has_audio=True)
