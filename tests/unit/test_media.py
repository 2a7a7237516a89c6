"""Media facts: ffprobe output -> source facts; ffmpeg progress -> percent; preview layout."""

from __future__ import annotations

from typing import Any

import pytest

from policy.media_probe import InvalidSource, SourceInfo, parse_probe
from policy.previews import PreviewPlan, plan_previews, sprite_vtt, timestamp
from transcoder.ffmpeg import ProgressReader, reason


def video(**extra: Any) -> dict[str, Any]:
    return {"codec_type": "video", "codec_name": "h264", "width": 1920, "height": 1080,
            "avg_frame_rate": "30000/1001", "r_frame_rate": "30000/1001", **extra}


AUDIO = {"codec_type": "audio", "codec_name": "aac"}
MP4 = "mov,mp4,m4a,3gp,3g2,mj2"
FMT = {"format": {"duration": "62.500000", "format_name": MP4}}


@pytest.mark.parametrize(("probe", "expected"), [
    ({"streams": [video(), AUDIO], **FMT},
     SourceInfo(62.5, 1920, 1080, 30000 / 1001, True, "h264", "mov")),
    ({"streams": [video()], **FMT},
     SourceInfo(62.5, 1920, 1080, 30000 / 1001, False, "h264", "mov")),
    # Phone video: stored landscape, displayed portrait (display matrix or the legacy tag).
    ({"streams": [video(side_data_list=[{"side_data_type": "Display Matrix",
                                         "rotation": -90}]), AUDIO], **FMT},
     SourceInfo(62.5, 1080, 1920, 30000 / 1001, True, "h264", "mov")),
    ({"streams": [video(tags={"rotate": "270"})], **FMT},
     SourceInfo(62.5, 1080, 1920, 30000 / 1001, False, "h264", "mov")),
    ({"streams": [video(side_data_list=[{"rotation": 180}])], **FMT},
     SourceInfo(62.5, 1920, 1080, 30000 / 1001, False, "h264", "mov")),
    # Anamorphic DV: 720x576 with 16:15 pixels shows as 768x576.
    ({"streams": [video(width=720, height=576, sample_aspect_ratio="16:15",
                        avg_frame_rate="25/1")], **FMT},
     SourceInfo(62.5, 768, 576, 25.0, False, "h264", "mov")),
    # No frame rate known: 25; duration from the stream when the container has none.
    ({"streams": [video(avg_frame_rate="0/0", r_frame_rate="0/0", duration="4.2")],
      "format": {"format_name": "matroska,webm"}},
     SourceInfo(4.2, 1920, 1080, 25.0, False, "h264", "matroska")),
    # Cover art is not a video stream; the real one after it is taken.
    ({"streams": [video(disposition={"attached_pic": 1}, codec_name="mjpeg"),
                  video(width=640, height=360), AUDIO], **FMT},
     SourceInfo(62.5, 640, 360, 30000 / 1001, True, "h264", "mov")),
])
def test_parse_probe(probe: dict[str, Any], expected: SourceInfo) -> None:
    assert parse_probe(probe) == expected


@pytest.mark.parametrize(("probe", "message"), [
    ({"format": {"format_name": MP4}}, "no video stream"),
    ({"streams": [AUDIO], **FMT}, "no video stream"),
    ({"streams": [video(disposition={"attached_pic": 1}), AUDIO], **FMT}, "no video stream"),
    ({"streams": [video(width=0)], **FMT}, "no picture size"),
    ({"streams": [video()], "format": {"duration": "N/A", "format_name": MP4}}, "no duration"),
    ({"streams": [video()], "format": {"duration": "0.0", "format_name": MP4}}, "no duration"),
    # The container is checked again (ffprobe already runs with the whitelist).
    ({"streams": [video()], "format": {"duration": "2.0", "format_name": "hls"}},
     r"an HLS playlist \(hls\), not a video container"),
    ({"streams": [video()], "format": {"duration": "2.0", "format_name": "concat"}},
     "a concat list"),
    ({"streams": [video()], "format": {"duration": "2.0"}}, "'unknown' data"),
])
def test_not_a_video(probe: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidSource, match=message):
        parse_probe(probe)


@pytest.mark.parametrize(("lines", "expected"), [
    (["frame=10", "out_time_us=2500000", "progress=continue"], [None, None, 25.0]),
    (["out_time_us=N/A", "progress=continue"], [None, None]),
    (["out_time_ms=5000000", "out_time_us=5000000", "progress=continue"], [None, None, 50.0]),
    (["out_time_us=20000000", "progress=continue"], [None, 100.0]),  # never past 100
    (["out_time_us=9000000", "progress=end"], [None, 100.0]),
    (["garbage", "", "progress=continue"], [None, None, None]),
])
def test_progress_reader(lines: list[str], expected: list[float | None]) -> None:
    reader = ProgressReader(duration=10.0)
    assert [reader.feed(line) for line in lines] == expected


def test_ffmpeg_reason_is_one_line() -> None:
    assert reason(["Error opening input", "Invalid data"], 1) == \
        "ffmpeg failed: Error opening input | Invalid data"
    assert reason([], 137) == "ffmpeg failed: exit status 137"


@pytest.mark.parametrize(("duration", "size", "expected"), [
    (5.0, (854, 480), PreviewPlan(0.5, 2, 3, 3, 1, 160, 90)),
    (60.0, (1280, 720), PreviewPlan(6.0, 2, 30, 10, 3, 160, 90)),
    (3600.0, (1280, 720), PreviewPlan(10.0, 36, 100, 10, 10, 160, 90)),
    (4.0, (480, 854), PreviewPlan(0.4, 2, 2, 2, 1, 90, 160)),
    (1.0, (640, 480), PreviewPlan(0.1, 2, 1, 1, 1, 160, 120)),
])
def test_plan_previews(duration: float, size: tuple[int, int], expected: PreviewPlan) -> None:
    assert plan_previews(duration, *size) == expected


def test_sprite_vtt_maps_every_tile() -> None:
    plan = PreviewPlan(0.5, 2, 3, 2, 2, 160, 90)
    assert sprite_vtt(plan, 5.0) == (
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:02.000\nsprite.jpg#xywh=0,0,160,90\n\n"
        "00:00:02.000 --> 00:00:04.000\nsprite.jpg#xywh=160,0,160,90\n\n"
        "00:00:04.000 --> 00:00:05.000\nsprite.jpg#xywh=0,90,160,90\n")


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "00:00:00.000"), (61.5, "00:01:01.500"), (3723.0004, "01:02:03.000")])
def test_vtt_timestamp(seconds: float, text: str) -> None:
    assert timestamp(seconds) == text
