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
    body: dict[str, object] = {"sub": "42", "tenant": "acme", "role": "admin",
                               "exp": int(time.time()) + 24 * 3600}
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
