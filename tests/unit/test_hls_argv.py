"""The ffmpeg command, compared argument by argument, and the package's upload order."""

from __future__ import annotations

import pytest

from policy.ladder import choose_ladder
from policy.previews import plan_previews
from transcoder.hls_argv import HlsSpec, build_hls_argv, build_previews_argv
from transcoder.package import cache_control, content_type, upload_waves
from transcoder.probe import probe_argv

# Written out, not imported: a change to what uploads may be opened with must show up here.
WHITELISTS = ["-protocol_whitelist", "file",
              "-format_whitelist", "mov,matroska,avi,mpeg,mpegts,mpegvideo,asf,flv"]
HEAD = ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats",
        "-progress", "pipe:1", *WHITELISTS, "-i"]
HLS = ["-max_muxing_queue_size", "4096", "-f", "hls", "-hls_time", "4",
       "-hls_playlist_type", "vod", "-hls_flags", "independent_segments",
       "-hls_segment_type", "mpegts"]


def x264(gop: str, preset: str = "veryfast") -> list[str]:
    return ["-c:v", "libx264", "-preset", preset, "-profile:v", "main", "-pix_fmt", "yuv420p",
            "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
            "-force_key_frames", "expr:gte(t,n_forced*2)"]


CASES = {
    "landscape with audio, previews, encrypted": (
        HlsSpec("/w/source.mp4", "/w/hls", choose_ladder(854, 480, True), True, 25.0,
                plan_previews(5.0, 854, 480), "/w/hls.keyinfo", tiles_dir="/w/tiles/"),
        [*HEAD, "/w/source.mp4", "-filter_complex",
         "[0:v]split=3[s0][s1][ss];[s0]scale=640:360,setsar=1[v0];"
         "[s1]scale=854:480,setsar=1[v1];"
         "[ss]select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,2)',scale=160:90,"
         "setsar=1[tiles]",
         "-map", "[v0]", "-map", "[v1]", "-map", "0:a:0", "-map", "0:a:0", *x264("50"),
         "-b:v:0", "800k", "-maxrate:v:0", "856k", "-bufsize:v:0", "1200k",
         "-b:v:1", "1400k", "-maxrate:v:1", "1498k", "-bufsize:v:1", "2100k",
         "-c:a", "aac", "-ar", "48000", "-ac", "2", "-b:a:0", "96k", "-b:a:1", "96k", *HLS,
         "-hls_key_info_file", "/w/hls.keyinfo",
         "-hls_segment_filename", "/w/hls/%v/seg_%03d.ts", "-master_pl_name", "master.m3u8",
         "-var_stream_map", "v:0,a:0,name:360p v:1,a:1,name:480p", "/w/hls/%v/index.m3u8",
         "-map", "[tiles]", "-fps_mode", "passthrough", "-q:v", "5", "/w/tiles/%04d.jpg"]),
    "portrait video-only, bare ladder (the benchmark's command)": (
        HlsSpec("/w/source.mov", "/w/hls/", choose_ladder(360, 640, False), False, 30.0,
                preset="medium"),
        [*HEAD, "/w/source.mov", "-filter_complex", "[0:v]split=1[s0];[s0]scale=360:640,"
         "setsar=1[v0]", "-map", "[v0]", *x264("60", "medium"),
         "-b:v:0", "800k", "-maxrate:v:0", "856k", "-bufsize:v:0", "1200k", *HLS,
         "-hls_segment_filename", "/w/hls/%v/seg_%03d.ts", "-master_pl_name", "master.m3u8",
         "-var_stream_map", "v:0,name:360p", "/w/hls/%v/index.m3u8"]),
    "1080p 29.97 fps with audio: four aligned renditions": (
        HlsSpec("s.mp4", "o", choose_ladder(1920, 1080, True), True, 30000 / 1001),
        [*HEAD, "s.mp4", "-filter_complex",
         "[0:v]split=4[s0][s1][s2][s3];[s0]scale=640:360,setsar=1[v0];"
         "[s1]scale=854:480,setsar=1[v1];[s2]scale=1280:720,setsar=1[v2];"
         "[s3]scale=1920:1080,setsar=1[v3]",
         "-map", "[v0]", "-map", "[v1]", "-map", "[v2]", "-map", "[v3]",
         "-map", "0:a:0", "-map", "0:a:0", "-map", "0:a:0", "-map", "0:a:0", *x264("60"),
         "-b:v:0", "800k", "-maxrate:v:0", "856k", "-bufsize:v:0", "1200k",
         "-b:v:1", "1400k", "-maxrate:v:1", "1498k", "-bufsize:v:1", "2100k",
         "-b:v:2", "2800k", "-maxrate:v:2", "2996k", "-bufsize:v:2", "4200k",
         "-b:v:3", "5000k", "-maxrate:v:3", "5350k", "-bufsize:v:3", "7500k",
         "-c:a", "aac", "-ar", "48000", "-ac", "2",
         "-b:a:0", "96k", "-b:a:1", "96k", "-b:a:2", "128k", "-b:a:3", "128k", *HLS,
         "-hls_segment_filename", "o/%v/seg_%03d.ts", "-master_pl_name", "master.m3u8",
         "-var_stream_map", "v:0,a:0,name:360p v:1,a:1,name:480p v:2,a:2,name:720p "
                            "v:3,a:3,name:1080p", "o/%v/index.m3u8"]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_argv(case: str) -> None:
    spec, expected = CASES[case]
    assert build_hls_argv(spec) == expected


def test_the_probed_demuxer_and_the_duration_bound_come_before_the_input() -> None:
    spec = HlsSpec("/w/source.mkv", "/w/hls", choose_ladder(640, 360, False), False, 25.0,
                   container="matroska", max_seconds=14400)
    argv = build_hls_argv(spec)
    i = argv.index("-i")
    assert argv[i - 6:i + 2] == [*WHITELISTS[2:], "-f", "matroska", "-t", "14400.000", "-i",
                                 "/w/source.mkv"]
    assert argv[i - 8:i - 6] == WHITELISTS[:2]


@pytest.mark.parametrize("container", ["hls", "concat", "image2", "mov,mp4", "lavfi"])
def test_no_other_demuxer_can_be_pinned(container: str) -> None:
    spec = HlsSpec("s.mp4", "o", choose_ladder(640, 360, False), False, 25.0,
                   container=container)
    with pytest.raises(ValueError, match="not an accepted demuxer"):
        build_hls_argv(spec)


PREVIEWS = HlsSpec("/w/source.mkv", "/w/hls", choose_ladder(854, 480, True), True, 25.0,
                   plan_previews(300.0, 854, 480), container="matroska", max_seconds=600,
                   tiles_dir="/w/tiles")
POSTER = ["-filter_complex", "[0:v]trim=end_frame=1,scale=854:480,setsar=1[poster]",
          "-map", "[poster]", "-frames:v", "1", "-update", "1", "-q:v", "3", "/w/hls/poster.jpg"]


def test_previews_take_the_poster_by_an_input_seek_and_lay_the_tiles_out() -> None:
    head = ["ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats", *WHITELISTS,
            "-f", "matroska", "-t", "600.000", "-ss", "10.000", "-i", "/w/source.mkv"]
    assert build_previews_argv(PREVIEWS, 0) == [*head, *POSTER]
    assert build_previews_argv(PREVIEWS, 100) == [
        *head, "-protocol_whitelist", "file", "-format_whitelist", "image2", "-f", "image2",
        "-framerate", "1", "-i", "/w/tiles/%04d.jpg", "-filter_complex",
        "[0:v]trim=end_frame=1,scale=854:480,setsar=1[poster];[1:v]tile=10x10[sprite]",
        *POSTER[2:], "-map", "[sprite]", "-frames:v", "1", "-update", "1", "-q:v", "5",
        "/w/hls/sprite.jpg"]


def test_previews_need_a_plan_and_a_tiles_dir() -> None:
    with pytest.raises(ValueError, match="no preview plan"):
        build_previews_argv(CASES["1080p 29.97 fps with audio: four aligned renditions"][0], 1)
    no_tiles = HlsSpec("s.mp4", "o", choose_ladder(640, 360, False), False, 25.0,
                       plan_previews(5.0, 640, 360))
    with pytest.raises(ValueError, match="tiles_dir"):
        build_hls_argv(no_tiles)


ARGVS = {
    **{name: build_hls_argv(spec) for name, (spec, _expected) in CASES.items()},
    "previews": build_previews_argv(PREVIEWS, 0),
    "pinned": build_hls_argv(HlsSpec("s.ts", "o", choose_ladder(640, 360, True), True, 25.0,
                                     container="mpegts", max_seconds=60)),
    "ffprobe": probe_argv("/w/source.mp4"),
}


@pytest.mark.parametrize("name", ARGVS, ids=list(ARGVS))
def test_every_command_opening_an_upload_has_both_whitelists_before_its_input(name: str) -> None:
    argv = ARGVS[name]
    assert argv.count("-i") <= 1  # (the previews' tiles are the transcoder's own files)
    before_input = argv[:argv.index("-i")] if "-i" in argv else argv[:-1]
    for option, value in zip(WHITELISTS[::2], WHITELISTS[1::2], strict=True):
        assert option in before_input and argv[argv.index(option) + 1] == value
    assert "pipe:0" not in argv and not any(a.startswith(("http", "concat:")) for a in argv)


def test_probe_argv() -> None:
    assert probe_argv("/w/source.mp4", "ffprobe") == [
        "ffprobe", "-v", "error", *WHITELISTS, "-print_format", "json", "-show_streams",
        "-show_format", "/w/source.mp4"]


def test_upload_order_puts_the_master_last() -> None:
    names = ["master.m3u8", "720p/index.m3u8", "720p/seg_000.ts", "360p/seg_001.ts",
             "360p/index.m3u8", "poster.jpg", "sprite.jpg", "thumbnails.vtt", "360p/seg_000.ts"]
    assert upload_waves(names) == [
        ["360p/seg_000.ts", "360p/seg_001.ts", "720p/seg_000.ts", "poster.jpg", "sprite.jpg",
         "thumbnails.vtt"],
        ["360p/index.m3u8", "720p/index.m3u8"],
        ["master.m3u8"],
    ]


@pytest.mark.parametrize(("name", "ctype", "cache"), [
    ("master.m3u8", "application/vnd.apple.mpegurl", "max-age=60"),
    ("720p/index.m3u8", "application/vnd.apple.mpegurl", "max-age=60"),
    ("720p/seg_000.ts", "video/mp2t", "max-age=31536000, immutable"),
    ("poster.jpg", "image/jpeg", "max-age=31536000, immutable"),
    ("thumbnails.vtt", "text/vtt; charset=utf-8", "max-age=31536000, immutable"),
    ("other.bin", "application/octet-stream", "max-age=31536000, immutable"),
])
def test_content_types_and_cache_headers(name: str, ctype: str, cache: str) -> None:
    assert (content_type(name), cache_control(name)) == (ctype, cache)
