"""Per-tenant media settings over HTTP: defaults, validated changes, admins only."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

pytestmark = pytest.mark.stack
URL = "/api/v1/media/settings/"
DEFAULTS = {"max_sessions": 1, "max_devices": 2, "device_window_days": 30, "on_limit": "reject",
            "session_idle_seconds": 90, "playback_ttl_seconds": 600,
            "completion_threshold": 0.9, "violation_action": "audit",
            "violation_revoke_after": 3, "hls_encryption": False}
# Source bounds (the transcoder's): 4 h, 4K UHD, 10 GiB.
DEFAULTS |= {"max_source_seconds": 14400, "max_source_pixels": 8294400,
             "max_source_bytes": 10 * 1024**3}
DEFAULTS |= {"rate_play_user_per_minute": 60, "rate_play_tenant_per_minute": 6000,
             "rate_refresh_user_per_minute": 30, "rate_refresh_tenant_per_minute": 30000,
             "rate_heartbeat_user_per_minute": 60, "rate_heartbeat_tenant_per_minute": 30000,
             "rate_events_user_per_minute": 600, "rate_events_tenant_per_minute": 300000,
             "rate_upload_user_per_minute": 60, "rate_upload_tenant_per_minute": 600}


async def test_a_new_tenant_has_the_defaults(api: TestClient, bearer, tenant_slug: str) -> None:
    resp = await api.get(URL, headers=bearer(tenant_slug))
    assert resp.status == 200 and await resp.json() == DEFAULTS


async def test_changes_are_kept_per_tenant(api: TestClient, bearer, tenant_slug: str) -> None:
    admin = bearer(tenant_slug)
    resp = await api.patch(URL, json={"max_sessions": 2, "on_limit": "evict_oldest"},
                           headers=admin)
    assert resp.status == 200
    assert await resp.json() == {**DEFAULTS, "max_sessions": 2, "on_limit": "evict_oldest"}
    await api.patch(URL, json={"hls_encryption": True}, headers=admin)
    current = await (await api.get(URL, headers=admin)).json()
    assert (current["max_sessions"], current["hls_encryption"]) == (2, True)
    other = await (await api.get(URL, headers=bearer(tenant_slug + "-2"))).json()
    assert other == DEFAULTS


@pytest.mark.parametrize(("body", "field"), [
    ({"playback_ttl_seconds": 29}, "playback_ttl_seconds"),
    ({"on_limit": "queue"}, "on_limit"),
    ({"completion_threshold": 1.5}, "completion_threshold"),
    ({"max_sessions": 0}, "max_sessions"),
    ({"violation_action": "ban"}, "violation_action"),
    ({"colour": "blue"}, "colour"),
    ({"rate_events_user_per_minute": 0}, "rate_events_user_per_minute"),
    ({"rate_play_tenant_per_minute": 10**8}, "rate_play_tenant_per_minute"),
    ({}, "non_field_errors"),
])
async def test_invalid_changes_are_400(api: TestClient, bearer, tenant_slug: str,
                                       body: dict[str, object], field: str) -> None:
    resp = await api.patch(URL, json=body, headers=bearer(tenant_slug))
    assert resp.status == 400 and field in await resp.json()


@pytest.mark.parametrize("role", ["staff", "teacher", "student"])
async def test_only_admins(api: TestClient, bearer, tenant_slug: str, role: str) -> None:
    h = bearer(tenant_slug, role=role)
    assert (await api.get(URL, headers=h)).status == 403
    assert (await api.patch(URL, json={"max_sessions": 3}, headers=h)).status == 403
