"""One transcode: source from S3 -> probe -> ffmpeg (HLS, then previews) -> package on S3, master
last.

Raises on failure (the job handler decides what a failure means); returns the ``ready`` result.
The prefix is cleared first, so a package left half-uploaded by a killed worker never mixes
with this one, and the row is checked before and after the master playlist is written, so a
video deleted meanwhile leaves nothing behind.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from config.settings import Settings
from policy.ladder import choose_ladder
from policy.media_probe import SourceOutOfBounds
from policy.previews import plan_previews, sprite_vtt
from policy.source_limits import SourceLimits, check_size, check_source, human_bytes
from policy.source_limits import ffmpeg_timeout as bounded_timeout
from storage.exceptions import NotFoundError
from storage.hls_keys import HlsKeys, key_path
from storage.object_keys import hls_prefix
from storage.objects import ObjectStore, ObjectTooLarge
from storage.transcode_claims import Lease
from storage.transcodes import TranscodeRows
from streams.schemas import TranscodeJobV1, TranscodeResultV1
from transcoder import ffmpeg
from transcoder.hls_argv import (
    POSTER, PREVIEWS_VTT, SPRITE, HlsSpec, build_hls_argv, build_previews_argv,
)
from transcoder.package import upload_package
from transcoder.probe import probe
from transcoder.reporter import JobReporter

log = logging.getLogger(__name__)
GONE_CHECK_SECONDS = 2.0
# Share of the progress bar per phase: download+probe, ffmpeg, upload (READY is 100).
ENCODE_FROM, UPLOAD_FROM, UPLOAD_TO = 2.0, 90.0, 99.0


class VideoGone(Exception):
    """The video row was deleted while its transcode ran."""


class Superseded(Exception):
    """The video now waits for a later job (a retry or the watchdog sent one): stop here."""


class PermanentFailure(Exception):
    """Another attempt would fail the same way; the message is the readable reason."""


@dataclass(frozen=True, slots=True)
class Tools:
    """What a transcode uses."""

    settings: Settings
    store: ObjectStore
    rows: TranscodeRows
    keys: HlsKeys | None  # None: no key-encryption secret configured


def ffmpeg_timeout(settings: Settings, duration: float) -> float:
    """How long ffmpeg may run for a source of ``duration`` (probed, within the tenant bound)."""
    return bounded_timeout(duration, settings.transcoder_timeout_factor,
                           settings.transcoder_timeout_max_seconds)


def key_info(work: Path, key: bytes, uri: str) -> Path:
    """ffmpeg's key info file: the key URI for the playlists, the local key file, the IV.

    The IV is random per package (ffmpeg would otherwise write IV=0); the playlists carry it.
    """
    key_file = work / "hls.key"
    key_file.write_bytes(key)
    info = work / "hls.keyinfo"
    info.write_text(f"{uri}\n{key_file}\n{os.urandom(16).hex()}\n")
    return info


async def _check_row(tools: Tools, job: TranscodeJobV1) -> None:
    """Raise :class:`VideoGone` or :class:`Superseded` when this job should stop."""
    current = await tools.rows.current_job(job.tenant_id, job.video_id)
    if current is None:
        raise VideoGone(f"video {job.video_id} was deleted")
    if current.job_id and current.job_id != job.job_id:
        raise Superseded(f"video {job.video_id} waits for job {current.job_id}")


async def transcode(tools: Tools, job: TranscodeJobV1, lease: Lease, reporter: JobReporter,
                    work: Path) -> TranscodeResultV1:
    """Run the pipeline for ``job`` in the scratch directory ``work``."""
    prefix = hls_prefix(job.video_id)
    began = time.monotonic()
    await reporter.progress(0)
    await tools.store.delete_prefix(prefix)  # whatever an earlier, killed attempt left
    source = work / ("source" + PurePosixPath(job.source_key).suffix.lower()[:8])
    limits = SourceLimits.of(await tools.rows.tenant_settings(tools.settings.tenant_defaults,
                                                              job.tenant_id))
    size = await tools.store.size(job.source_key)
    if size is None:
        raise PermanentFailure("the uploaded source file is missing from S3")
    check_size(size, limits)
    try:
        await tools.store.download_file(job.source_key, str(source), max_bytes=limits.max_bytes)
    except NotFoundError:
        raise PermanentFailure("the uploaded source file is missing from S3") from None
    except ObjectTooLarge:  # replaced by a larger object since the size check
        raise SourceOutOfBounds(f"source too large: over this academy's limit of "
                                f"{human_bytes(limits.max_bytes)} per video") from None
    info = await probe(str(source))
    check_source(info, limits)
    encode_from = time.monotonic()
    await reporter.progress(ENCODE_FROM)
    ladder = choose_ladder(info.width, info.height, info.has_audio)
    plan = plan_previews(info.duration, info.width, info.height)
    tiles = work / "tiles"  # outside the package: never uploaded
    tiles.mkdir(exist_ok=True)
    spec = HlsSpec(source=str(source), output_dir=str(work / "hls"), renditions=ladder,
                   has_audio=info.has_audio, fps=info.fps, previews=plan,
                   key_info_file=await _key_info(tools, job, work),
                   preset=tools.settings.transcoder_x264_preset, container=info.container,
                   max_seconds=limits.max_seconds, tiles_dir=str(tiles))
    checked_at = time.monotonic()

    async def on_encode(percent: float) -> None:
        nonlocal checked_at
        lease.check()
        if time.monotonic() - checked_at >= GONE_CHECK_SECONDS:  # stop early when deleted
            checked_at = time.monotonic()
            await _check_row(tools, job)
        await reporter.progress(ENCODE_FROM + (UPLOAD_FROM - ENCODE_FROM) * percent / 100)

    timeout = ffmpeg_timeout(tools.settings, info.duration)
    await ffmpeg.run(build_hls_argv(spec), timeout=timeout, duration=info.duration,
                     on_progress=on_encode)
    previews_from = time.monotonic()
    await _previews(spec, len(list(tiles.glob("*.jpg"))), timeout)
    upload_from = time.monotonic()
    out = work / "hls"
    if (out / SPRITE).exists():
        (out / PREVIEWS_VTT).write_text(sprite_vtt(plan, info.duration))

    async def on_upload(percent: float) -> None:
        lease.check()
        await reporter.progress(UPLOAD_FROM + (UPLOAD_TO - UPLOAD_FROM) * percent / 100)

    async def before_master() -> None:
        lease.check()
        await _check_row(tools, job)

    sent = await upload_package(tools.store, str(out), prefix, on_upload, before_master)
    log.info("package uploaded", extra={
        "video_id": job.video_id, "source_s": round(info.duration, 1), "bytes": sent,
        "prepare_s": round(encode_from - began, 2),
        "ffmpeg_s": round(previews_from - encode_from, 2),
        "previews_s": round(upload_from - previews_from, 2),
        "upload_s": round(time.monotonic() - upload_from, 2)})
    # Deleted between the check and the master's upload: the gateway's clean-up may already
    # have run, so this worker removes what it wrote.
    await _check_row(tools, job)
    lease.check()
    return reporter.result(
        "ready", duration=info.duration,
        thumbnail_key=prefix + POSTER if (out / POSTER).exists() else "",
        renditions=[r.as_json() for r in ladder], hls_encrypted=spec.key_info_file is not None)


async def _previews(spec: HlsSpec, tiles: int, timeout: float) -> None:
    """Poster and sprite; a failure leaves the package without them rather than failing it."""
    try:
        await ffmpeg.run(build_previews_argv(spec, tiles), timeout=timeout, duration=0.0)
    except ffmpeg.FfmpegError as exc:
        log.warning("previews not made", extra={"reason": str(exc)})


async def _key_info(tools: Tools, job: TranscodeJobV1, work: Path) -> str | None:
    if not job.hls_encryption:
        return None
    if tools.keys is None:
        raise PermanentFailure("HLS encryption is not configured: set HLS_KEY_ENCRYPTION_SECRET")
    key = await tools.keys.ensure(job.tenant_id, job.video_id)
    if key is None:
        raise VideoGone(f"video {job.video_id} was deleted")
    uri = tools.settings.hls_key_base_url.rstrip("/") + key_path(job.video_id)
    return str(key_info(work, key, uri))
