"""Bearer-token authentication: JWTs naming a user, a tenant and a role.

HS256 with ``AUTH_JWT_SECRET``, or RS256 with ``AUTH_JWT_PUBLIC_KEY``. PyJWT does the
cryptography and the ``exp``/``iat``/``iss``/``aud`` checks; this module only decides what a
valid caller is. A token must say when it was issued (``iat``, not in the future) and live at
most ``AUTH_JWT_MAX_LIFETIME_SECONDS`` (``exp - iat``): a stolen token is worth days, not years.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from enum import Enum

import jwt

from config.settings import Settings
from gateway import fields
from gateway.exceptions import Unauthorized

TENANT_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_LEEWAY_SECONDS = 5  # clock skew between token issuers and us


class Role(str, Enum):
    """What a caller may do. Staff and teachers manage the catalog like admins."""

    ADMIN = "admin"
    STAFF = "staff"
    TEACHER = "teacher"
    STUDENT = "student"


MANAGERS = frozenset({Role.ADMIN, Role.STAFF, Role.TEACHER})


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    sub: str
    tenant: str
    role: Role

    @property
    def is_manager(self) -> bool:
        """Admins, staff and teachers: may write the catalog and read stats."""
        return self.role in MANAGERS


class Authenticator:
    """Verifies ``Authorization: Bearer`` headers against the configured key."""

    def __init__(self, settings: Settings) -> None:
        self._max_lifetime = settings.auth_jwt_max_lifetime_seconds
        self._issuer = settings.auth_jwt_issuer or None
        self._audience = settings.auth_jwt_audience or None
        required = ["exp", "iat", "sub"]
        required += ["iss"] if self._issuer else []
        required += ["aud"] if self._audience else []
        self._required = required
        if settings.auth_jwt_public_key:
            self._key: str = settings.auth_jwt_public_key
            self._algorithms = ["RS256"]
        else:
            self._key = settings.auth_jwt_secret
            self._algorithms = ["HS256"]

    def authenticate(self, header: str | None) -> Principal:
        """The caller of a request; :class:`Unauthorized` with the reason otherwise."""
        if not header:
            raise Unauthorized("Authentication credentials were not provided.")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization header must be 'Bearer <token>'.")
        return self.verify(token.strip())

    def verify(self, token: str) -> Principal:
        """Decode and check a JWT; :class:`Unauthorized` names what is wrong."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=self._algorithms, leeway=_LEEWAY_SECONDS,
                issuer=self._issuer, audience=self._audience,
                options={"require": self._required},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("Token has expired.") from exc
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized("Token 'iat' is in the future.") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthorized("Token 'iss' is not the accepted issuer.") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthorized("Token 'aud' is not the accepted audience.") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthorized("Token signature is invalid.") from exc
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"Token is missing the '{exc.claim}' claim.") from exc
        except jwt.exceptions.InvalidSubjectError as exc:
            raise Unauthorized("Token 'sub' must be a non-empty string.") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"Token is invalid: {exc}") from exc
        # PyJWT accepts whatever int() takes (floats, numeric strings): do the sums on ints.
        lifetime = int(claims["exp"]) - int(claims["iat"])
        if lifetime > self._max_lifetime:
            raise Unauthorized(f"Token lifetime (exp - iat) exceeds {self._max_lifetime} seconds.")
        sub, tenant, role = claims.get("sub"), claims.get("tenant"), claims.get("role")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("Token 'sub' must be a non-empty string.")
        if len(sub) > fields.MAX_NAME or not fields.is_single_line(sub):
            # It becomes user_id columns, Redis and Kafka keys and log fields.
            raise Unauthorized("Token 'sub' must be one line of at most 255 characters.")
        if not isinstance(tenant, str) or not TENANT_SLUG.match(tenant):
            raise Unauthorized("Token 'tenant' must be a tenant slug ([a-z0-9-], at most 63).")
        try:
            parsed_role = Role(role)
        except ValueError as exc:
            allowed = ", ".join(r.value for r in Role)
            raise Unauthorized(f"Token 'role' must be one of: {allowed}.") from exc
        return Principal(sub=sub, tenant=tenant, role=parsed_role)


def mint_token(secret: str, *, tenant: str, sub: str, role: Role | str,
               ttl_seconds: int = 3600, now: float | None = None, issuer: str = "",
               audience: str = "") -> str:
    """An HS256 bearer token, for ``python -m gateway.tokens``, the demo tenant and tests.

    ``issuer``/``audience``: the ``AUTH_JWT_ISSUER``/``AUTH_JWT_AUDIENCE`` a gateway checks
    (empty: the claim is left out).
    """
    issued = int(time.time() if now is None else now)
    claims: dict[str, object] = {"sub": sub, "tenant": tenant, "role": Role(role).value,
                                 "iat": issued, "exp": issued + ttl_seconds}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    return jwt.encode(claims, secret, algorithm="HS256")
