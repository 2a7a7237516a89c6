"""How big a source an academy accepts, and how long ffmpeg may take with it (pure).

The limits are tenant settings (``max_source_seconds``, ``max_source_pixels``,
``max_source_bytes``). Sizes are checked where the bytes arrive (presign, each part, complete,
the form upload) and again by the worker before it downloads; duration and picture once
ffprobe has read the file. A source over a limit is bad input: FAILED at once, never retried.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.tenant_settings import TenantSettings
from policy.media_probe import SourceInfo, SourceOutOfBounds

BASE_TIMEOUT_SECONDS = 120.0  # start-up, probe-sized inputs, the poster and sprite


@dataclass(frozen=True, slots=True)
class SourceLimits:
    """An academy's bounds on one uploaded source."""

    max_seconds: int
    max_pixels: int  # width x height as displayed
    max_bytes: int

    @classmethod
    def of(cls, tenant: TenantSettings) -> SourceLimits:
        """The limits a tenant's settings set."""
        return cls(tenant.max_source_seconds, tenant.max_source_pixels, tenant.max_source_bytes)


def human_bytes(size: int) -> str:
    """``10 GiB``, ``512 MiB``, ``900 KiB``: a size for a reason admins read."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale:
            value = size / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} bytes"


def human_seconds(seconds: float) -> str:
    """``4 h``, ``1 h 30 min``, ``45 s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    if minutes:
        parts.append(f"{minutes} min")
    if secs and not hours:
        parts.append(f"{secs} s")
    return " ".join(parts) or "0 s"


def size_problem(size: int, limits: SourceLimits) -> str | None:
    """Why ``size`` bytes is too large a source, or None when it fits."""
    if size > limits.max_bytes:
        return (f"The file is {human_bytes(size)}, over this academy's limit of "
                f"{human_bytes(limits.max_bytes)} per video.")
    return None


def check_size(size: int, limits: SourceLimits) -> None:
    """Raise :class:`SourceOutOfBounds` when the stored source is over the size limit."""
    problem = size_problem(size, limits)
    if problem:
        raise SourceOutOfBounds(f"source too large: {problem}")


def check_source(info: SourceInfo, limits: SourceLimits) -> None:
    """Raise :class:`SourceOutOfBounds` when the probed source is too long or too large."""
    if info.duration > limits.max_seconds:
        raise SourceOutOfBounds(
            f"source too long: {human_seconds(info.duration)}, over this academy's limit of "
            f"{human_seconds(limits.max_seconds)} per video")
    if info.width * info.height > limits.max_pixels:
        raise SourceOutOfBounds(
            f"source picture too large: {info.width}x{info.height} is "
            f"{info.width * info.height} pixels, over this academy's limit of "
            f"{limits.max_pixels} (4K UHD is 3840x2160 = 8294400)")


def ffmpeg_timeout(duration: float, factor: float, ceiling: float) -> float:
    """How long ffmpeg may run for a source whose probed duration is ``duration`` seconds.

    Grows with the duration but never past ``ceiling``: a long file cannot hold a shared
    worker for longer than the operator allows, whatever duration it declares.
    """
    return min(ceiling, BASE_TIMEOUT_SECONDS + factor * max(0.0, duration))
