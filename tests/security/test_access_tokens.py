"""Finding 7: a 100-year bearer token was accepted; nothing bounded a token's lifetime, its
issuer or audience, or the strength of the HS256 secret.

Through the real app (any authenticated route answers the same): a token living longer than
``AUTH_JWT_MAX_LIFETIME_SECONDS`` (``exp - iat``), one without ``iat``, and one issued in the
future are 401; with ``AUTH_JWT_ISSUER`` / ``AUTH_JWT_AUDIENCE`` set, tokens must carry and
match them; a short HS256 secret stops the process at start naming the setting.
"""

from __future__ import annotations

import dataclasses
import time

import jwt
import pytest
from aiohttp.test_utils import TestClient

from config.exceptions import SettingsError
from config.settings import Settings, load_settings
from gateway.app import create_app
from gateway.auth import mint_token
from tests.unit.test_settings import BASE

pytestmark = pytest.mark.stack
ROUTE = "/api/v1/media/my-videos/"
YEAR = 365 * 24 * 3600


def _bearer(settings: Settings, **claims: object) -> dict[str, str]:
    now = int(time.time())
    body: dict[str, object] = {"sub": "stu-1", "tenant": "acme", "role": "student",
                               "iat": now, "exp": now + 3600}
    body.update(claims)
    token = jwt.encode({k: v for k, v in body.items() if v is not None},
                       settings.auth_jwt_secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


async def _detail(api: TestClient, headers: dict[str, str]) -> tuple[int, str]:
    resp = await api.get(ROUTE, headers=headers)
    return resp.status, str((await resp.json()).get("detail", ""))


async def test_a_hundred_year_token_is_refused(api: TestClient, settings: Settings) -> None:
    now = int(time.time())
    assert (await _detail(api, _bearer(settings)))[0] == 200
    status, detail = await _detail(api, _bearer(settings, iat=now, exp=now + 100 * YEAR))
    assert status == 401 and "lifetime" in detail
    # A lifetime is a property of the token: iat is required, and never in the future (else
    # iat = exp - 1 day in 2125 would pass the lifetime check).
    status, detail = await _detail(api, _bearer(settings, iat=None, exp=now + 100 * YEAR))
    assert status == 401 and "'iat'" in detail
    status, _ = await _detail(api, _bearer(settings, iat=now + 99 * YEAR, exp=now + 100 * YEAR))
    assert status == 401


async def test_the_longest_allowed_token_passes(api: TestClient, settings: Settings) -> None:
    longest = settings.auth_jwt_max_lifetime_seconds
    now = int(time.time())
    assert (await _detail(api, _bearer(settings, iat=now, exp=now + longest)))[0] == 200
    assert (await _detail(api, _bearer(settings, iat=now, exp=now + longest + 1)))[0] == 401


async def test_issuer_and_audience_are_checked_when_configured(
        aiohttp_client, settings: Settings) -> None:
    strict = dataclasses.replace(settings, auth_jwt_issuer="https://idp.academy.test",
                                 auth_jwt_audience="lecturecast")
    api = await aiohttp_client(create_app(strict))
    good = {"iss": "https://idp.academy.test", "aud": "lecturecast"}
    assert (await _detail(api, _bearer(settings, **good)))[0] == 200
    for claims in ({**good, "iss": None}, {**good, "aud": None},
                   {**good, "iss": "https://evil.test"}, {**good, "aud": "another-service"}):
        status, detail = await _detail(api, _bearer(settings, **claims))
        assert status == 401, claims
        assert "iss" in detail or "aud" in detail or "issuer" in detail or "audience" in detail
    # The CLI and the demo tokens sign with the configured issuer and audience.
    minted = mint_token(settings.auth_jwt_secret, tenant="acme", sub="stu-1", role="student",
                        issuer=strict.auth_jwt_issuer, audience=strict.auth_jwt_audience)
    assert (await api.get(ROUTE, headers={"Authorization": f"Bearer {minted}"})).status == 200


@pytest.mark.parametrize(("key", "value"), [
    ("AUTH_JWT_SECRET", "secret"),
    ("AUTH_JWT_SECRET", "x" * 31),
    ("PLAYBACK_TOKEN_SECRET", "k1:" + "p" * 16),
    ("PLAYBACK_TOKEN_SECRET", f"k2:{'n' * 40},k1:short"),
])
def test_a_short_hs256_secret_stops_the_start(key: str, value: str) -> None:
    with pytest.raises(SettingsError, match=key):
        load_settings({**BASE, key: value})
