"""Per-tenant media settings: their keys, bounds and defaults (pure; no I/O).

Defaults come from ``TENANT_DEFAULT_<KEY>`` environment variables (see
:func:`defaults_from_env`); a tenant stores only the keys its admin changed, and the effective
settings are the defaults with those overrides on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import msgspec

from config.exceptions import SettingsError

ENV_PREFIX = "TENANT_DEFAULT_"
UserRate = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
TenantRate = Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]


class TenantSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    """What an academy decides about playback (later features give each key effect)."""

    max_sessions: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    max_devices: Annotated[int, msgspec.Meta(ge=1, le=100)] = 2
    device_window_days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30
    on_limit: Literal["reject", "evict_oldest"] = "reject"
    session_idle_seconds: Annotated[int, msgspec.Meta(ge=15, le=3600)] = 90
    playback_ttl_seconds: Annotated[int, msgspec.Meta(ge=30, le=86400)] = 600
    completion_threshold: Annotated[float, msgspec.Meta(gt=0, le=1)] = 0.9
    violation_action: Literal["audit", "revoke"] = "audit"
    violation_revoke_after: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 3
    hls_encryption: bool = False
    max_source_seconds: Annotated[int, msgspec.Meta(ge=1, le=24 * 3600)] = 4 * 3600
    max_source_pixels: Annotated[int, msgspec.Meta(ge=64 * 64, le=7680 * 4320)] = 3840 * 2160
    max_source_bytes: Annotated[int, msgspec.Meta(ge=1024**2, le=20 * 1024**3)] = 10 * 1024**3
    # Rate limits (policy.rate_limits): units a minute, in bursts of up to one minute's worth.
    rate_play_user_per_minute: UserRate = 60
    rate_play_tenant_per_minute: TenantRate = 6_000
    rate_refresh_user_per_minute: UserRate = 30
    rate_refresh_tenant_per_minute: TenantRate = 30_000
    rate_heartbeat_user_per_minute: UserRate = 60
    rate_heartbeat_tenant_per_minute: TenantRate = 30_000
    rate_events_user_per_minute: UserRate = 600
    rate_events_tenant_per_minute: TenantRate = 300_000
    rate_upload_user_per_minute: UserRate = 60
    rate_upload_tenant_per_minute: TenantRate = 600


DOCS = {
    "max_sessions": "streams a student may watch at once",
    "max_devices": "distinct devices a student may play from within the device window",
    "device_window_days": "how long a device counts towards max_devices after its last play",
    "on_limit": "reject a play over the limits, or evict the oldest session",
    "session_idle_seconds": "a session without heartbeat for this long expires",
    "playback_ttl_seconds": "lifetime of a playback token and CDN cookies (>= 30)",
    "completion_threshold": "share of a video watched that counts as completed",
    "violation_action": "audit violations only, or revoke the session",
    "violation_revoke_after": "violations in a session before it is revoked",
    "hls_encryption": "encrypt new HLS packages with AES-128",
    "max_source_seconds": "longest uploaded video accepted, in seconds (longer: FAILED, no retry)",
    "max_source_pixels": "largest picture (width x height) of an uploaded video (4K UHD: 8294400)",
    "max_source_bytes": "largest uploaded file in bytes (presign, parts, complete, form upload)",
    "rate_play_user_per_minute": "play/ requests a minute per student (429 beyond)",
    "rate_play_tenant_per_minute": "play/ requests a minute for the whole academy",
    "rate_refresh_user_per_minute": "refresh/ and end/ requests a minute per student",
    "rate_refresh_tenant_per_minute": "refresh/ and end/ requests a minute for the academy",
    "rate_heartbeat_user_per_minute": "heartbeat/ requests a minute per student",
    "rate_heartbeat_tenant_per_minute": "heartbeat/ requests a minute for the academy",
    "rate_events_user_per_minute": "player events a minute per student (a batch counts its "
                                   "events)",
    "rate_events_tenant_per_minute": "player events a minute for the academy",
    "rate_upload_user_per_minute": "upload requests (presign, presign-multipart, complete, "
                                   "each file of upload) a minute per manager",
    "rate_upload_tenant_per_minute": "upload requests a minute for the academy",
}


def defaults_from_env(environ: Mapping[str, str]) -> TenantSettings:
    """Defaults with ``TENANT_DEFAULT_<KEY>`` overrides; SettingsError names a bad variable."""
    raw = {f: environ[ENV_PREFIX + f.upper()] for f in TenantSettings.__struct_fields__
           if environ.get(ENV_PREFIX + f.upper())}
    try:
        return msgspec.convert(raw, TenantSettings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"{ENV_PREFIX}*: {exc}") from exc


def effective(defaults: TenantSettings, overrides: Mapping[str, Any]) -> TenantSettings:
    """The defaults with a tenant's stored overrides applied (unknown keys are ignored)."""
    known = {k: v for k, v in overrides.items() if k in TenantSettings.__struct_fields__}
    return msgspec.structs.replace(defaults, **known)
