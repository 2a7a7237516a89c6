"""Bearer tokens: what a valid caller is, and the 401 reason for everything else."""

from __future__ import annotations

import time

import jwt
import pytest

from config.settings import load_settings
from gateway.auth import Authenticator, Principal, Role, mint_token
from gateway.exceptions import Unauthorized
from tests.unit.test_settings import BASE

SECRET = BASE["AUTH_JWT_SECRET"]


@pytest.fixture
def auth() -> Authenticator:
    return Authenticator(load_settings(BASE))


def _token(secret: str = SECRET, **claims: object) -> str:
    now = int(time.time())
    body: dict[str, object] = {"sub": "42", "tenant": "acme", "role": "admin",
                               "iat": now, "exp": now + 24 * 3600}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


def test_a_minted_token_authenticates(auth: Authenticator) -> None:
    token = mint_token(SECRET, tenant="acme", sub="7", role="teacher")
    assert auth.authenticate(f"Bearer {token}") == Principal("7", "acme", Role.TEACHER)
    assert auth.authenticate(f"Bearer {token}").is_manager


@pytest.mark.parametrize(("header", "reason"), [
    (None, "not provided"),
    ("Basic abc", "Bearer <token>"),
    ("Bearer ", "Bearer <token>"),
    ("Bearer not-a-jwt", "invalid"),
    (f"Bearer {_token(secret='other-secret-of-the-unit-tests-0123456789')}", "signature is invalid"),
    (f"Bearer {_token(exp=int(time.time()) - 60)}", "expired"),
    (f"Bearer {_token(exp=None)}", "'exp'"),
    (f"Bearer {_token(sub=None)}", "'sub'"),
    (f"Bearer {_token(sub=42)}", "sub"),
    (f"Bearer {_token(role='root')}", "role"),
    (f"Bearer {_token(tenant=None)}", "tenant"),
    (f"Bearer {_token(tenant='Bad Slug!')}", "tenant"),
    (f"Bearer {_token(iat=None)}", "'iat'"),
    (f"Bearer {_token(iat='soon')}", "invalid"),
    (f"Bearer {_token(iat=int(time.time()) + 3600)}", "'iat' is in the future"),
    (f"Bearer {_token(exp=int(time.time()) + 100 * 365 * 86400)}", "lifetime"),
    (f"Bearer {_token(iat=str(int(time.time())), exp=str(int(time.time()) + 9 * 86400))}",
     "lifetime"),
    (f"Bearer {_token(aud='another-service')}", "'aud'"),
])
def test_bad_credentials_answer_401_with_the_reason(auth: Authenticator, header: str | None,
                                                     reason: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        auth.authenticate(header)
    assert reason in caught.value.detail
    assert caught.value.status == 401


def test_students_are_not_managers(auth: Authenticator) -> None:
    token = mint_token(SECRET, tenant="acme", sub="s", role=Role.STUDENT)
    assert not auth.authenticate(f"Bearer {token}").is_manager


@pytest.mark.parametrize(("lifetime", "accepted"), [
    (60, True), (7 * 24 * 3600, True), (7 * 24 * 3600 + 1, False), (365 * 24 * 3600, False),
])
def test_the_longest_token_is_the_max_lifetime(auth: Authenticator, lifetime: int,
                                               accepted: bool) -> None:
    now = int(time.time())
    header = f"Bearer {_token(iat=now - 10, exp=now - 10 + lifetime)}"
    if accepted:
        assert auth.authenticate(header).sub == "42"
    else:
        with pytest.raises(Unauthorized, match="lifetime"):
            auth.authenticate(header)


ISS, AUD = "https://idp.academy.test", "lecturecast"


@pytest.mark.parametrize(("claims", "reason"), [
    ({"iss": ISS, "aud": AUD}, None),
    ({"iss": ISS, "aud": [AUD, "other"]}, None),
    ({"aud": AUD}, "'iss'"),
    ({"iss": ISS}, "'aud'"),
    ({"iss": "https://evil.test", "aud": AUD}, "issuer"),
    ({"iss": ISS, "aud": "other"}, "audience"),
])
def test_issuer_and_audience_when_configured(claims: dict[str, object],
                                             reason: str | None) -> None:
    auth = Authenticator(load_settings({**BASE, "AUTH_JWT_ISSUER": ISS, "AUTH_JWT_AUDIENCE": AUD}))
    header = f"Bearer {_token(**claims)}"
    if reason is None:
        assert auth.authenticate(header).sub == "42"
    else:
        with pytest.raises(Unauthorized) as caught:
            auth.authenticate(header)
        assert reason in caught.value.detail


def test_minted_tokens_carry_the_configured_issuer_and_audience() -> None:
    auth = Authenticator(load_settings({**BASE, "AUTH_JWT_ISSUER": ISS, "AUTH_JWT_AUDIENCE": AUD}))
    token = mint_token(SECRET, tenant="acme", sub="7", role="student", issuer=ISS, audience=AUD)
    assert auth.authenticate(f"Bearer {token}").sub == "7"
    with pytest.raises(Unauthorized):
        auth.authenticate(f"Bearer {mint_token(SECRET, tenant='acme', sub='7', role='student')}")
