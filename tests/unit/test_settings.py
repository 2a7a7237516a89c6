"""Settings: required keys named in errors, parsing, redaction, derived secrets."""

from __future__ import annotations

import pytest

from config.exceptions import SettingsError
from config.settings import load_settings, settings_table

BASE = {
    "DATABASE_URL": "postgresql://u:pw@db/x", "REDIS_URL": "redis://r/0",
    "S3_ENDPOINT_URL": "http://s3", "S3_ACCESS_KEY": "ak", "S3_SECRET_KEY": "sk",
    "AUTH_JWT_SECRET": "jwt-secret-of-the-unit-tests-0123456789",
}


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL", "S3_ENDPOINT_URL",
                                     "S3_ACCESS_KEY", "S3_SECRET_KEY", "AUTH_JWT_SECRET"])
def test_a_missing_required_setting_is_named(missing: str) -> None:
    env = {k: v for k, v in BASE.items() if k != missing}
    with pytest.raises(SettingsError, match=missing):
        load_settings(env)


@pytest.mark.parametrize(("key", "raw", "attr", "expected"), [
    ("GATEWAY_PORT", "9000", "gateway_port", 9000),
    ("KAFKA_PARTITIONS", "8", "kafka_partitions", 8),
    ("LOG_JSON", "false", "log_json", False),
    ("LOG_JSON", "YES", "log_json", True),
    ("AGENTS_WEB_PORT", "0", "agents_web_port", 0),
])
def test_values_are_parsed(key: str, raw: str, attr: str, expected: object) -> None:
    assert getattr(load_settings({**BASE, key: raw}), attr) == expected


@pytest.mark.parametrize(("key", "raw"), [
    ("GATEWAY_PORT", "eighty"), ("KAFKA_PARTITIONS", "0"), ("LOG_JSON", "maybe"),
])
def test_an_invalid_value_is_named(key: str, raw: str) -> None:
    with pytest.raises(SettingsError, match=key):
        load_settings({**BASE, key: raw})


def test_defaults_apply_and_settings_are_frozen() -> None:
    s = load_settings(BASE)
    assert (s.gateway_host, s.gateway_port, s.s3_bucket) == ("127.0.0.1", 8080, "lecturecast")
    with pytest.raises(AttributeError):
        s.gateway_port = 1  # type: ignore[misc]


def test_rs256_public_key_replaces_the_secret() -> None:
    env = {k: v for k, v in BASE.items() if k != "AUTH_JWT_SECRET"}
    with pytest.raises(SettingsError, match="PLAYBACK_TOKEN_SECRET"):
        load_settings({**env, "AUTH_JWT_PUBLIC_KEY": "pem"})
    s = load_settings({**env, "AUTH_JWT_PUBLIC_KEY": "pem", "PLAYBACK_TOKEN_SECRET": "p" * 32})
    assert s.playback_keys() == [("default", b"p" * 32)]


def test_redacted_masks_secrets_only() -> None:
    shown = load_settings(BASE).redacted()
    assert shown["database_url"] == shown["s3_secret_key"] == shown["auth_jwt_secret"] == "***"
    assert shown["redis_url"] == "redis://r/0"


def test_playback_key_is_derived_not_reused() -> None:
    s = load_settings(BASE)
    [(kid, key)] = s.playback_keys()
    assert kid == "derived" and key != BASE["AUTH_JWT_SECRET"].encode()
    assert load_settings(BASE).playback_keys() == s.playback_keys()
    other = load_settings({**BASE, "AUTH_JWT_SECRET": "other-secret-of-the-unit-tests-012345"})
    assert other.playback_keys() != s.playback_keys()


NEW, OLD, ONLY = "new-secret-" + "n" * 21, "old-secret-" + "o" * 21, "only-secret-" + "x" * 20


@pytest.mark.parametrize(("raw", "keys"), [
    (f"k2:{NEW},k1:{OLD}", [("k2", NEW.encode()), ("k1", OLD.encode())]),
    (ONLY, [("default", ONLY.encode())]),
])
def test_playback_keys_rotate(raw: str, keys: list[tuple[str, bytes]]) -> None:
    assert load_settings({**BASE, "PLAYBACK_TOKEN_SECRET": raw}).playback_keys() == keys


@pytest.mark.parametrize("raw", ["k1:", ":secret", "k1:a,,k2:b", "k1:" + "s" * 31,
                                 f"k2:{NEW},k1:short", "short"])
def test_malformed_playback_keys_fail_at_start(raw: str) -> None:
    with pytest.raises(SettingsError, match="PLAYBACK_TOKEN_SECRET"):
        load_settings({**BASE, "PLAYBACK_TOKEN_SECRET": raw})


@pytest.mark.parametrize(("secret", "ok"), [
    ("s" * 31, False), ("s" * 32, True),
    ("0123456789abcdef" * 3, True),  # infra/env.sh: 24 random bytes as 48 hex characters
    ("é" * 16, True),  # bytes, not characters
])
def test_the_hs256_secret_has_a_minimum_length(secret: str, ok: bool) -> None:
    if ok:
        assert load_settings({**BASE, "AUTH_JWT_SECRET": secret}).auth_jwt_secret == secret
    else:
        with pytest.raises(SettingsError, match="AUTH_JWT_SECRET"):
            load_settings({**BASE, "AUTH_JWT_SECRET": secret})


def test_access_defaults() -> None:
    s = load_settings(BASE)
    assert s.auth_jwt_max_lifetime_seconds == 7 * 24 * 3600
    assert (s.auth_jwt_issuer, s.auth_jwt_audience, s.public_base_url) == ("", "", "")
    # Cookies outlive their last renewal by at most this: four 30 s heartbeats per lifetime.
    assert s.cdn_cookie_ttl_seconds == 120


def test_every_setting_is_documented_in_the_readme() -> None:
    from pathlib import Path
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for env, _default, doc in settings_table():
        assert doc, env
        assert f"`{env}`" in readme, f"{env} missing from the README's configuration table"


@pytest.mark.parametrize(("replicas", "min_insync", "ok"), [
    (None, None, True),  # defaults: one replica, one in sync
    ("3", "2", True),
    ("3", "3", True),
    ("1", "2", False),
    (None, "2", False),
])
def test_min_insync_replicas_never_exceed_the_replicas(replicas: str | None,
                                                       min_insync: str | None, ok: bool) -> None:
    env = {**BASE}
    if replicas is not None:
        env["KAFKA_REPLICATION_FACTOR"] = replicas
    if min_insync is not None:
        env["KAFKA_MIN_INSYNC_REPLICAS"] = min_insync
    if ok:
        s = load_settings(env)
        assert s.kafka_min_insync_replicas <= s.kafka_replication_factor
    else:
        with pytest.raises(SettingsError, match="KAFKA_MIN_INSYNC_REPLICAS"):
            load_settings(env)
