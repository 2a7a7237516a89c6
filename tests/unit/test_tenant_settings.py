"""Tenant settings: environment defaults, overrides, bounds (pure)."""

from __future__ import annotations

import pytest

from config.exceptions import SettingsError
from config.tenant_settings import TenantSettings, defaults_from_env, effective


def test_defaults_without_environment() -> None:
    assert defaults_from_env({}) == TenantSettings()


@pytest.mark.parametrize(("env", "attr", "value"), [
    ({"TENANT_DEFAULT_MAX_SESSIONS": "3"}, "max_sessions", 3),
    ({"TENANT_DEFAULT_ON_LIMIT": "evict_oldest"}, "on_limit", "evict_oldest"),
    ({"TENANT_DEFAULT_HLS_ENCRYPTION": "true"}, "hls_encryption", True),
    ({"TENANT_DEFAULT_COMPLETION_THRESHOLD": "0.8"}, "completion_threshold", 0.8),
])
def test_environment_defaults(env: dict[str, str], attr: str, value: object) -> None:
    assert getattr(defaults_from_env(env), attr) == value


@pytest.mark.parametrize("env", [{"TENANT_DEFAULT_PLAYBACK_TTL_SECONDS": "10"},
                                 {"TENANT_DEFAULT_ON_LIMIT": "queue"},
                                 {"TENANT_DEFAULT_MAX_DEVICES": "many"}])
def test_bad_environment_defaults_fail_at_start(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match="TENANT_DEFAULT_"):
        defaults_from_env(env)


def test_overrides_win_and_unknown_keys_are_ignored() -> None:
    base = TenantSettings(max_sessions=2)
    result = effective(base, {"max_devices": 5, "retired_key": 1})
    assert (result.max_sessions, result.max_devices) == (2, 5)
