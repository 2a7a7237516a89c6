"""The ffmpeg commands of a transcode, built from a spec (pure: no I/O, tested by argv).

One ffmpeg process decodes the source once and writes every rendition (H.264/AAC in MPEG-TS
segments, one playlist each, a master playlist) and the sprite's tiles, one small JPEG each: the
decode is shared, so the tiles cost almost nothing next to the encodes. A second, short process
takes the poster (an input seek, a few frames decoded) and lays the tiles out as the sprite.

Why not the poster and the whole sprite in the HLS command: ffmpeg 5.1 prints its first
``-progress`` block only once every output has written its header, and an output's header
waits for its first frame, which for a ``tile`` of the whole video is the end of the encode
(the transcoding bar sat at 0 % and jumped, issue 17). Every output of the HLS command now has
a frame within its first second. Measured on a 60 s 720p source (CPU seconds): HLS alone 31.8,
the tiles in it +0.3 with the layout run, against +1.6 for a separate run decoding it all again.
"""

from __future__ import annotations

from dataclasses import dataclass

from policy.ladder import KEYFRAME_SECONDS, SEGMENT_SECONDS, Rendition, keyframe_interval
from policy.media_probe import SOURCE_DEMUXERS, SOURCE_PROTOCOLS
from policy.previews import PreviewPlan

MASTER = "master.m3u8"
POSTER = "poster.jpg"
SPRITE = "sprite.jpg"
PREVIEWS_VTT = "thumbnails.vtt"
SEGMENT_PATTERN = "seg_%03d.ts"
PLAYLIST = "index.m3u8"
TILE_PATTERN = "%04d.jpg"  # the sprite's tiles, in order, in the spec's tiles_dir


@dataclass(frozen=True, slots=True)
class HlsSpec:
    """Everything the command depends on."""

    source: str  # local path of the source
    output_dir: str  # the package is written here, one directory per rendition
    renditions: tuple[Rendition, ...]  # lowest first
    has_audio: bool
    fps: float
    previews: PreviewPlan | None = None  # None: HLS only (the benchmark's bare command)
    key_info_file: str | None = None  # ffmpeg's key info file: AES-128 when given
    preset: str = "veryfast"
    ffmpeg: str = "ffmpeg"
    container: str = ""  # the demuxer ffprobe found (one of SOURCE_DEMUXERS): ffmpeg is pinned
    max_seconds: float | None = None  # read no more of the source than this (the tenant bound)
    tiles_dir: str = ""  # with previews: where the HLS run writes the sprite's tiles


def input_options() -> list[str]:
    """What every ffmpeg/ffprobe opening an upload is given before its ``-i``.

    Only the accepted container demuxers, only local files: a "video" that is really an HLS
    playlist, a concat list or an image is refused instead of followed to other files.
    """
    return ["-protocol_whitelist", ",".join(SOURCE_PROTOCOLS),
            "-format_whitelist", ",".join(SOURCE_DEMUXERS)]


def _input(spec: HlsSpec, seek: float | None = None) -> list[str]:
    argv = input_options()
    if spec.container:
        if spec.container not in SOURCE_DEMUXERS:
            raise ValueError(f"not an accepted demuxer: {spec.container!r}")
        argv += ["-f", spec.container]
    if spec.max_seconds is not None:
        # An input -t: a file whose header claims less than it holds still stops here.
        argv += ["-t", f"{spec.max_seconds:.3f}"]
    if seek is not None:
        argv += ["-ss", f"{seek:.3f}"]
    return [*argv, "-i", spec.source]


def _tiles_dir(spec: HlsSpec) -> str:
    if not spec.tiles_dir:
        raise ValueError("previews need a tiles_dir")
    return spec.tiles_dir.rstrip("/")


def _filter_graph(spec: HlsSpec) -> str:
    n = len(spec.renditions)
    branches = [f"[s{i}]" for i in range(n)]
    if spec.previews is not None:
        branches.append("[ss]")
    parts = [f"[0:v]split={len(branches)}{''.join(branches)}"]
    for i, r in enumerate(spec.renditions):
        parts.append(f"[s{i}]scale={r.width}:{r.height},setsar=1[v{i}]")
    plan = spec.previews
    if plan is not None:
        # select keeps the source timestamps (fps= would make ffmpeg's reported out_time run
        # ahead of the encodes and spoil the progress); its first frame is the source's first.
        parts.append(f"[ss]select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,"
                     f"{plan.interval})',scale={plan.tile_width}:{plan.tile_height},setsar=1"
                     f"[tiles]")
    return ";".join(parts)


def _stream_map(spec: HlsSpec) -> str:
    if spec.has_audio:
        return " ".join(f"v:{i},a:{i},name:{r.name}" for i, r in enumerate(spec.renditions))
    return " ".join(f"v:{i},name:{r.name}" for i, r in enumerate(spec.renditions))


def build_hls_argv(spec: HlsSpec) -> list[str]:
    """The complete ffmpeg argv; progress goes to stdout as ``key=value`` lines."""
    gop = str(keyframe_interval(spec.fps))
    out = spec.output_dir.rstrip("/")
    argv = [spec.ffmpeg, "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats",
            "-progress", "pipe:1", *_input(spec), "-filter_complex", _filter_graph(spec)]
    for i in range(len(spec.renditions)):
        argv += ["-map", f"[v{i}]"]
    if spec.has_audio:
        argv += ["-map", "0:a:0"] * len(spec.renditions)
    # Keyframes every KEYFRAME_SECONDS in every rendition: by frame count for constant frame
    # rates, and forced by time too, so variable-rate phone videos keep 4-6 s segments.
    argv += ["-c:v", "libx264", "-preset", spec.preset, "-profile:v", "main",
             "-pix_fmt", "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
             "-force_key_frames", f"expr:gte(t,n_forced*{KEYFRAME_SECONDS})"]
    for i, r in enumerate(spec.renditions):
        argv += [f"-b:v:{i}", f"{r.video_kbps}k", f"-maxrate:v:{i}", f"{r.maxrate_kbps}k",
                 f"-bufsize:v:{i}", f"{r.bufsize_kbps}k"]
    if spec.has_audio:
        argv += ["-c:a", "aac", "-ar", "48000", "-ac", "2"]
        for i, r in enumerate(spec.renditions):
            argv += [f"-b:a:{i}", f"{r.audio_kbps}k"]
    argv += ["-max_muxing_queue_size", "4096", "-f", "hls",
             "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod",
             "-hls_flags", "independent_segments", "-hls_segment_type", "mpegts"]
    if spec.key_info_file:
        argv += ["-hls_key_info_file", spec.key_info_file]
    argv += ["-hls_segment_filename", f"{out}/%v/{SEGMENT_PATTERN}",
             "-master_pl_name", MASTER, "-var_stream_map", _stream_map(spec),
             f"{out}/%v/{PLAYLIST}"]
    if spec.previews is not None:
        # passthrough: one file per selected frame (the image2 muxer would repeat them at the
        # source's frame rate).
        argv += ["-map", "[tiles]", "-fps_mode", "passthrough", "-q:v", "5",
                 f"{_tiles_dir(spec)}/{TILE_PATTERN}"]
    return argv


def build_previews_argv(spec: HlsSpec, tiles: int) -> list[str]:
    """The poster (from the source) and, when the HLS run wrote ``tiles`` tiles, the sprite.

    Run after :func:`build_hls_argv`'s command; no progress (it takes a fraction of a second).
    """
    plan = spec.previews
    if plan is None:
        raise ValueError("no preview plan")
    out = spec.output_dir.rstrip("/")
    top = spec.renditions[-1]
    # An input seek: ffmpeg decodes from the keyframe before poster_at, not from the start.
    argv = [spec.ffmpeg, "-hide_banner", "-nostdin", "-y", "-v", "error", "-nostats",
            *_input(spec, seek=plan.poster_at)]
    graph = f"[0:v]trim=end_frame=1,scale={top.width}:{top.height},setsar=1[poster]"
    if tiles > 0:
        argv += ["-protocol_whitelist", "file", "-format_whitelist", "image2", "-f", "image2",
                 "-framerate", "1", "-i", f"{_tiles_dir(spec)}/{TILE_PATTERN}"]
        graph += f";[1:v]tile={plan.columns}x{plan.rows}[sprite]"
    argv += ["-filter_complex", graph,
             "-map", "[poster]", "-frames:v", "1", "-update", "1", "-q:v", "3", f"{out}/{POSTER}"]
    if tiles > 0:
        argv += ["-map", "[sprite]", "-frames:v", "1", "-update", "1", "-q:v", "5",
                 f"{out}/{SPRITE}"]
    return argv
