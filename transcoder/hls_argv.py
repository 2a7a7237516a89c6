"""The ffmpeg command of a transcode, built from a spec (pure: no I/O, tested by argv).

One ffmpeg process decodes the source once and writes every rendition (H.264/AAC in MPEG-TS
segments, one playlist each, a master playlist), the poster and the preview sprite: the decode
is shared, so previews cost almost nothing next to the encodes.
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


def input_options() -> list[str]:
    """What every ffmpeg/ffprobe opening an upload is given before its ``-i``.

    Only the accepted container demuxers, only local files: a "video" that is really an HLS
    playlist, a concat list or an image is refused instead of followed to other files.
    """
    return ["-protocol_whitelist", ",".join(SOURCE_PROTOCOLS),
            "-format_whitelist", ",".join(SOURCE_DEMUXERS)]


def _input(spec: HlsSpec) -> list[str]:
    argv = input_options()
    if spec.container:
        if spec.container not in SOURCE_DEMUXERS:
            raise ValueError(f"not an accepted demuxer: {spec.container!r}")
        argv += ["-f", spec.container]
    if spec.max_seconds is not None:
        # An input -t: a file whose header claims less than it holds still stops here.
        argv += ["-t", f"{spec.max_seconds:.3f}"]
    return [*argv, "-i", spec.source]


def _filter_graph(spec: HlsSpec) -> str:
    n = len(spec.renditions)
    branches = [f"[s{i}]" for i in range(n)]
    if spec.previews is not None:
        branches += ["[sp]", "[ss]"]
    parts = [f"[0:v]split={len(branches)}{''.join(branches)}"]
    for i, r in enumerate(spec.renditions):
        parts.append(f"[s{i}]scale={r.width}:{r.height},setsar=1[v{i}]")
    plan = spec.previews
    if plan is not None:
        top = spec.renditions[-1]
        # The second trim passes one frame and drops the rest unscaled (the output stops
        # after one frame, but the graph keeps feeding the branch).
        parts.append(f"[sp]trim=start={plan.poster_at},trim=end_frame=1,"
                     f"scale={top.width}:{top.height},setsar=1[poster]")
        # select keeps the source timestamps (fps= would make ffmpeg's reported out_time run
        # ahead of the encodes and spoil the progress).
        parts.append(f"[ss]select='isnan(prev_selected_t)+gte(t-prev_selected_t\\,"
                     f"{plan.interval})',scale={plan.tile_width}:{plan.tile_height},setsar=1,"
                     f"tile={plan.columns}x{plan.rows}[sprite]")
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
        argv += ["-map", "[poster]", "-frames:v", "1", "-update", "1", "-q:v", "3",
                 f"{out}/{POSTER}",
                 "-map", "[sprite]", "-frames:v", "1", "-update", "1", "-q:v", "5",
                 f"{out}/{SPRITE}"]
    return argv
