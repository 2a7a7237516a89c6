"""The one settings object of every lecturecast process.

Entry points call :func:`load_settings` once with ``os.environ`` and pass the frozen result down;
nothing below an entry point reads the environment. Every key is listed in ``SETTINGS_TABLE``,
which the README's configuration table mirrors.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from config import tenant_settings
from config.exceptions import SettingsError
from config.tenant_settings import TenantSettings

MIN_HS256_SECRET_BYTES = 32  # HMAC-SHA256 keys shorter than the hash weaken it (RFC 7518 3.2)


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected a boolean, got {raw!r}")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(f"expected a positive integer, got {raw!r}")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:  # also refuses NaN
        raise ValueError(f"expected a positive number, got {raw!r}")
    return value


def _setting(env: str, default: Any = None, parse: Callable[[str], Any] = str,
             required: bool = False, secret: bool = False, doc: str = "") -> Any:
    return field(default=default, metadata={
        "env": env, "parse": parse, "required": required, "secret": secret, "doc": doc,
    })


@dataclass(frozen=True, slots=True)
class Settings:
    """Configuration shared by the gateway, the agents and the transcoder."""

    database_url: str = _setting(
        "DATABASE_URL", required=True, secret=True,
        doc="PostgreSQL DSN, e.g. postgresql://postgres@127.0.0.1:5433/lecturecast")
    redis_url: str = _setting(
        "REDIS_URL", required=True, doc="Redis URL, e.g. redis://127.0.0.1:6380/0")
    redis_max_connections: int = _setting(
        "REDIS_MAX_CONNECTIONS", 64, _positive_int,
        doc="Connections of one process's Redis pool; a request waits for a free one")
    redis_pool_timeout_seconds: float = _setting(
        "REDIS_POOL_TIMEOUT_SECONDS", 1.0, _positive_float,
        doc="How long a request waits for a free Redis connection before answering 503")
    database_pool_timeout_seconds: float = _setting(
        "DATABASE_POOL_TIMEOUT_SECONDS", 2.0, _positive_float,
        doc="How long a request waits for a free PostgreSQL connection before answering 503")
    kafka_bootstrap_servers: str = _setting(
        "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092", doc="Kafka bootstrap servers, comma separated")
    kafka_partitions: int = _setting(
        "KAFKA_PARTITIONS", 4, _positive_int,
        doc="Partitions of every topic (and so of the agents' tables)")
    kafka_replication_factor: int = _setting(
        "KAFKA_REPLICATION_FACTOR", 1, _positive_int, doc="Replication factor of created topics")
    s3_endpoint_url: str = _setting(
        "S3_ENDPOINT_URL", required=True, doc="S3 endpoint, e.g. http://127.0.0.1:7070")
    s3_access_key: str = _setting("S3_ACCESS_KEY", required=True, secret=True, doc="S3 access key")
    s3_secret_key: str = _setting("S3_SECRET_KEY", required=True, secret=True, doc="S3 secret key")
    s3_bucket: str = _setting("S3_BUCKET", "lecturecast", doc="Bucket for uploads and HLS output")
    s3_region: str = _setting("S3_REGION", "us-east-1", doc="S3 region used for signing")
    cdn_hls_base_url: str = _setting(
        "CDN_HLS_BASE_URL", "", doc="Public base URL of the HLS CDN; empty serves play URLs as paths")
    auth_jwt_secret: str = _setting(
        "AUTH_JWT_SECRET", "", secret=True,
        doc="HS256 secret of bearer tokens (required unless AUTH_JWT_PUBLIC_KEY is set)")
    auth_jwt_public_key: str = _setting(
        "AUTH_JWT_PUBLIC_KEY", "", doc="PEM public key to accept RS256 bearer tokens instead")
    playback_token_secret: str = _setting(
        "PLAYBACK_TOKEN_SECRET", "", secret=True,
        doc="Playback token keys 'kid:secret,kid2:secret2' (the first signs, all verify); "
            "one key derived from AUTH_JWT_SECRET when empty")
    play_reply_timeout_seconds: float = _setting(
        "PLAY_REPLY_TIMEOUT_SECONDS", 5.0, float,
        doc="How long play/end wait for the session actor before answering 503")
    cloudfront_key_pair_id: str = _setting(
        "CLOUDFRONT_KEY_PAIR_ID", "", doc="CloudFront key pair (public key) id of signed cookies")
    cloudfront_private_key_pem: str = _setting(
        "CLOUDFRONT_PRIVATE_KEY_PEM", "", secret=True,
        doc="RSA private key (PEM, '\\n' allowed) signing CloudFront cookies; empty: no cookies")
    cloudfront_public_key_pem: str = _setting(
        "CLOUDFRONT_PUBLIC_KEY_PEM", "",
        doc="RSA public key (PEM) the local CDN verifies cookies with; empty: local CDN off")
    cloudfront_domain: str = _setting(
        "CLOUDFRONT_DOMAIN", "", doc="Cookie domain of the CDN; empty: host-only cookies")
    cookie_secure: bool = _setting(
        "COOKIE_SECURE", False, _bool, doc="Mark CDN cookies Secure (true behind HTTPS)")
    gateway_host: str = _setting("GATEWAY_HOST", "127.0.0.1", doc="Gateway listen address")
    gateway_port: int = _setting("GATEWAY_PORT", 8080, _positive_int, doc="Gateway listen port")
    gateway_max_in_flight: int = _setting(
        "GATEWAY_MAX_IN_FLIGHT", 512, _positive_int,
        doc="Requests one gateway handles at once; beyond, 503 with Retry-After at once "
            "(/healthz, /readyz, /metrics exempt)")
    agents_app_id: str = _setting(
        "AGENTS_APP_ID", "lecturecast-agents", doc="Faust application id (consumer group)")
    agents_data_dir: str = _setting(
        "AGENTS_DATA_DIR", ".infra/faust", doc="Faust worker data directory (table stores)")
    agents_web_port: int = _setting(
        "AGENTS_WEB_PORT", 0, int,
        doc="Port of the Faust worker's web server on 127.0.0.1; 0 disables it")
    log_level: str = _setting("LOG_LEVEL", "INFO", doc="Log level of every process")
    log_json: bool = _setting("LOG_JSON", True, _bool, doc="JSON log lines (false: plain text)")
    transcoder_concurrency: int = _setting(
        "TRANSCODER_CONCURRENCY", 1, _positive_int,
        doc="Jobs one transcoder worker runs at once (one ffmpeg each, from different partitions)")
    transcoder_work_dir: str = _setting(
        "TRANSCODER_WORK_DIR", "",
        doc="Local directory for sources and output while a job runs; empty: the system temp dir")
    transcoder_x264_preset: str = _setting(
        "TRANSCODER_X264_PRESET", "veryfast",
        doc="x264 preset of the HLS renditions (slower presets: smaller files, more CPU)")
    transcoder_timeout_factor: float = _setting(
        "TRANSCODER_TIMEOUT_FACTOR", 10.0, float,
        doc="ffmpeg is killed after 120 s plus this many times the source's duration")
    transcode_stall_seconds: int = _setting(
        "TRANSCODE_STALL_SECONDS", 600, _positive_int,
        doc="A PROCESSING video whose transcode shows no sign of life (progress, heartbeat) for "
            "this long is retried (3 attempts in all), then FAILED")
    hls_key_encryption_secret: str = _setting(
        "HLS_KEY_ENCRYPTION_SECRET", "", secret=True,
        doc="Secret that encrypts the per-video HLS AES keys at rest; derived from "
            "AUTH_JWT_SECRET when empty")
    hls_key_base_url: str = _setting(
        "HLS_KEY_BASE_URL", "",
        doc="Public base URL of the gateway in encrypted playlists' key URIs; empty: a "
            "root-relative path (CDN and API on one host)")
    cdn_cookie_ttl_seconds: int = _setting(
        "CDN_COOKIE_TTL_SECONDS", 120, _positive_int,
        doc="Lifetime of the CDN cookies (never longer than the playback token); heartbeat/ and "
            "refresh/ of a live session renew them, so an ended or revoked session loses the "
            "HLS files within this time")
    auth_jwt_max_lifetime_seconds: int = _setting(
        "AUTH_JWT_MAX_LIFETIME_SECONDS", 7 * 24 * 3600, _positive_int,
        doc="Longest bearer token accepted (exp - iat); tokens without iat are refused")
    auth_jwt_issuer: str = _setting(
        "AUTH_JWT_ISSUER", "",
        doc="Required 'iss' of bearer tokens; empty: not checked")
    auth_jwt_audience: str = _setting(
        "AUTH_JWT_AUDIENCE", "",
        doc="Required 'aud' of bearer tokens; empty: tokens must carry no 'aud'")
    public_base_url: str = _setting(
        "PUBLIC_BASE_URL", "",
        doc="Public base URL of the API in links it returns (pagination); empty: links are "
            "path and query only (never built from the Host header)")
    transcoder_timeout_max_seconds: float = _setting(
        "TRANSCODER_TIMEOUT_MAX_SECONDS", 4 * 3600.0, float,
        doc="Ceiling of the ffmpeg timeout, whatever the source's duration (seconds)")
    kafka_publish_timeout_seconds: float = _setting(
        "KAFKA_PUBLISH_TIMEOUT_SECONDS", 5.0, _positive_float,
        doc="How long a gateway request waits for Kafka to acknowledge what it publishes before "
            "answering 503 with Retry-After (a timed-out batch may still arrive; a retry with "
            "the same batch_id is stored once)")
    s3_max_pool_connections: int = _setting(
        "S3_MAX_POOL_CONNECTIONS", 32, _positive_int,
        doc="Connections of one process's S3 client; a request waits for a free one")
    s3_pool_timeout_seconds: float = _setting(
        "S3_POOL_TIMEOUT_SECONDS", 2.0, _positive_float,
        doc="How long a gateway request waits for a free S3 connection before answering 503")
    s3_connect_timeout_seconds: float = _setting(
        "S3_CONNECT_TIMEOUT_SECONDS", 3.0, _positive_float,
        doc="Timeout of one connection attempt to S3 (up to 3 attempts per call)")
    s3_read_timeout_seconds: float = _setting(
        "S3_READ_TIMEOUT_SECONDS", 30.0, _positive_float,
        doc="Timeout of one read from an S3 connection (no byte for this long: the call fails)")
    kafka_min_insync_replicas: int = _setting(
        "KAFKA_MIN_INSYNC_REPLICAS", 1, _positive_int,
        doc="min.insync.replicas of created topics: replicas that must have a write before "
            "Kafka acknowledges it (acks=all); 2 with 3 replicas: one broker may be down")
    reply_topic_idle_seconds: int = _setting(
        "REPLY_TOPIC_IDLE_SECONDS", 24 * 3600, _positive_int,
        doc="A gateway's reply topic with no sign of life (the gateway marks it every minute) "
            "for this long is deleted by the gateways' janitor; also the topics' retention "
            "(their size is bounded to about 9 MiB)")
    session_restore_timeout_seconds: float = _setting(
        "SESSION_RESTORE_TIMEOUT_SECONDS", 2.0, _positive_float,
        doc="When Redis has no entry for a session (restarted empty), how long heartbeat/, "
            "events/, refresh/ and hls-key/ wait for the session actor to answer from its "
            "table before answering 503 with Retry-After")
    # Filled from the TENANT_DEFAULT_<KEY> variables by load_settings (see config.tenant_settings).
    tenant_defaults: TenantSettings = field(default_factory=TenantSettings,
                                            metadata={"env": None})

    def __post_init__(self) -> None:
        if not self.auth_jwt_secret and not self.auth_jwt_public_key:
            raise SettingsError(
                "AUTH_JWT_SECRET is required (or AUTH_JWT_PUBLIC_KEY for RS256 tokens)")
        if not self.playback_token_secret and not self.auth_jwt_secret:
            raise SettingsError("PLAYBACK_TOKEN_SECRET is required when AUTH_JWT_SECRET is unset")
        for item in self.playback_token_secret.split(",") if self.playback_token_secret else ():
            kid, sep, secret = item.strip().partition(":")
            if not kid or (sep and not secret):
                raise SettingsError("PLAYBACK_TOKEN_SECRET: keys are 'kid:secret', comma separated")
        _check_hs256_secrets(self)
        if self.kafka_min_insync_replicas > self.kafka_replication_factor:
            # Kafka would create the topics, then refuse every acks=all write to them.
            raise SettingsError("KAFKA_MIN_INSYNC_REPLICAS must not exceed "
                                "KAFKA_REPLICATION_FACTOR")

    def playback_keys(self) -> list[tuple[str, bytes]]:
        """Playback token keys as (key id, secret); the first signs, every one verifies.

        Without PLAYBACK_TOKEN_SECRET one key is derived from the bearer secret (derived, not
        reused, so a playback token can never pass as a bearer token).
        """
        if not self.playback_token_secret:
            derived = hmac.new(self.auth_jwt_secret.encode(), b"lecturecast/playback-token",
                               hashlib.sha256).digest()
            return [("derived", derived)]
        keys = []
        for item in self.playback_token_secret.split(","):
            kid, sep, secret = item.strip().partition(":")
            keys.append((kid, secret.encode()) if sep else ("default", kid.encode()))
        return keys

    def hls_key_encryption_key(self) -> bytes:
        """The 32-byte AES-GCM key that encrypts HLS keys at rest.

        Derived (HMAC) rather than used as is, so the secret can be any length. Changing the
        secret makes the stored keys of encrypted videos unreadable: re-transcode them.
        """
        secret = self.hls_key_encryption_secret or self.auth_jwt_secret
        if not secret:
            raise SettingsError(
                "HLS_KEY_ENCRYPTION_SECRET is required for encrypted HLS when AUTH_JWT_SECRET "
                "is unset")
        return hmac.new(secret.encode(), b"lecturecast/hls-key-encryption",
                        hashlib.sha256).digest()

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict with secrets masked, safe to log."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = "***" if f.metadata.get("secret") and value else value
        return out


def _check_hs256_secrets(settings: Settings) -> None:
    # HS256 is only as strong as its secret: a short one can be brute-forced offline from any
    # token, and then every role of every tenant can be forged.
    if settings.auth_jwt_secret and \
            len(settings.auth_jwt_secret.encode()) < MIN_HS256_SECRET_BYTES:
        raise SettingsError(f"AUTH_JWT_SECRET must be at least {MIN_HS256_SECRET_BYTES} bytes "
                            "(e.g. openssl rand -hex 32)")
    if settings.playback_token_secret and any(
            len(secret) < MIN_HS256_SECRET_BYTES for _kid, secret in settings.playback_keys()):
        raise SettingsError(f"PLAYBACK_TOKEN_SECRET: every key's secret must be at least "
                            f"{MIN_HS256_SECRET_BYTES} bytes")


def settings_table() -> list[tuple[str, str, str]]:
    """(environment variable, default, description) for every setting, for the README."""
    rows = []
    for f in fields(Settings):
        if f.metadata["env"] is None:
            continue
        default = "required" if f.metadata["required"] else repr(f.default)
        rows.append((f.metadata["env"], default, f.metadata["doc"]))
    for key, doc in tenant_settings.DOCS.items():
        rows.append((tenant_settings.ENV_PREFIX + key.upper(),
                     repr(getattr(TenantSettings(), key)), f"tenant default: {doc}"))
    return rows


def load_settings(environ: Mapping[str, str], **overrides: Any) -> Settings:
    """Build :class:`Settings` from an environment mapping.

    A missing required key or an unparsable value raises :class:`SettingsError` naming the
    variable, so a process fails at start rather than on first use.
    """
    values: dict[str, Any] = {"tenant_defaults": tenant_settings.defaults_from_env(environ)}
    for f in fields(Settings):
        if f.name in overrides or f.metadata["env"] is None:
            continue
        env = f.metadata["env"]
        raw = environ.get(env)
        if raw is None or raw == "":
            if f.metadata["required"]:
                raise SettingsError(f"{env} is required: {f.metadata['doc']}")
            continue
        try:
            values[f.name] = f.metadata["parse"](raw)
        except ValueError as exc:
            raise SettingsError(f"{env} is invalid: {exc}") from exc
    values.update(overrides)
    return Settings(**values)
