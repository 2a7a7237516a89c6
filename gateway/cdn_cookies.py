"""CloudFront signed cookies: minted at play for the HLS package, verified by the local CDN.

Exactly CloudFront's custom-policy format (and the seed's): one statement whose ``Resource`` is
``<base>/hls/videos/{id}/*`` with a ``DateLessThan`` condition, signed RSA PKCS#1 v1.5 / SHA-1,
both in CloudFront's base64 alphabet. Pure: keys and ``now`` are arguments.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import (
    load_pem_private_key, load_pem_public_key,
)

POLICY = "CloudFront-Policy"
SIGNATURE = "CloudFront-Signature"
KEY_PAIR_ID = "CloudFront-Key-Pair-Id"
COOKIE_NAMES: tuple[str, ...] = (POLICY, SIGNATURE, KEY_PAIR_ID)

# CloudFront's base64: standard base64 with the three characters that are unsafe in URLs and
# cookies swapped for ones that are not.
_TO_CLOUDFRONT = str.maketrans("+=/", "-_~")
_FROM_CLOUDFRONT = str.maketrans("-_~", "+=/")


class CookieError(ValueError):
    """Signed cookies that do not grant the request; ``reason`` is a short machine code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cookie_lifetime(cookie_ttl_seconds: int, token_lifetime_seconds: int | None) -> int:
    """Seconds a cookie lives: the setting, never longer than the playback token's lifetime."""
    if token_lifetime_seconds is None or token_lifetime_seconds <= 0:
        return cookie_ttl_seconds
    return min(cookie_ttl_seconds, token_lifetime_seconds)


def shared_expiry(now: float, lifetime: int) -> int:
    """When cookies granted at ``now`` for ``lifetime`` seconds expire, on a step of a tenth of
    the lifetime (at least 1 s): requests within one step share an expiry, and so a signature,
    and every cookie still lives at least nine tenths of ``lifetime``."""
    step = max(1, lifetime // 10)
    return (int(now) + lifetime) // step * step


def hls_path_prefix(video_id: int) -> str:
    """The URL path the cookies of one video cover (the seed's ``_hls_path_prefix_for_video``)."""
    return f"/hls/videos/{video_id}/"


def _pem(text: str) -> bytes:
    # The seed's environment convention: a PEM on one line with literal "\n" sequences.
    return text.replace("\\n", "\n").strip().encode()


def load_private_key(pem: str) -> RSAPrivateKey:
    """The RSA private key of a PEM (real newlines or literal ``\\n``); ValueError otherwise."""
    key = load_pem_private_key(_pem(pem), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("CloudFront signing keys are RSA keys")
    return key


def load_public_key(pem: str) -> RSAPublicKey:
    """The RSA public key of a PEM (real newlines or literal ``\\n``); ValueError otherwise."""
    key = load_pem_public_key(_pem(pem))
    if not isinstance(key, RSAPublicKey):
        raise ValueError("CloudFront signing keys are RSA keys")
    return key


def encode(data: bytes) -> str:
    """CloudFront's base64 of ``data``."""
    return base64.b64encode(data).decode().translate(_TO_CLOUDFRONT)


def decode(text: str) -> bytes:
    """The bytes of CloudFront's base64; ``binascii.Error`` when it is not."""
    return base64.b64decode(text.translate(_FROM_CLOUDFRONT), validate=True)


def policy_bytes(resource: str, expires_at: int) -> bytes:
    """The compact custom policy, byte for byte what botocore's ``build_policy`` gives."""
    policy = {"Statement": [{
        "Resource": resource,
        "Condition": {"DateLessThan": {"AWS:EpochTime": int(expires_at)}},
    }]}
    return json.dumps(policy, separators=(",", ":")).encode()


def signed_cookies(*, resource_base: str, path_prefix: str, expires_at: int, key_pair_id: str,
                   private_key: RSAPrivateKey) -> dict[str, str]:
    """The three cookies granting ``resource_base + path_prefix + '*'`` until ``expires_at``."""
    policy = policy_bytes(resource_base.rstrip("/") + path_prefix + "*", expires_at)
    signature = private_key.sign(policy, padding.PKCS1v15(), hashes.SHA1())
    return {POLICY: encode(policy), SIGNATURE: encode(signature), KEY_PAIR_ID: key_pair_id}


def cookie_attributes(*, path_prefix: str, domain: str, secure: bool) -> dict[str, Any]:
    """The seed's cookie attributes, as ``aiohttp`` ``set_cookie``/``del_cookie`` keywords.

    Scoped to the video's path so a browser sends them only with that video's requests;
    host-only when ``domain`` is empty.
    """
    attributes: dict[str, Any] = {"path": path_prefix, "httponly": True, "secure": secure,
                                  "samesite": "Lax"}
    if domain:
        attributes["domain"] = domain
    return attributes


def verify(cookies: Mapping[str, str], *, request_path: str, now: float,
           public_key: RSAPublicKey, key_pair_id: str) -> None:
    """Return when the cookies grant ``request_path`` at ``now``; :class:`CookieError` if not.

    Checks what CloudFront checks, in an order that never trusts unsigned bytes: key pair,
    signature over the policy, then the policy's dates and resource. ``IpAddress`` conditions
    are ignored (a local CDN sees no client address worth checking).
    """
    values = [cookies.get(name, "") for name in COOKIE_NAMES]
    if not all(values):
        raise CookieError("cookie_missing")
    policy_b64, signature_b64, presented_key_pair_id = values
    if presented_key_pair_id != key_pair_id:
        raise CookieError("unknown_key_pair_id")
    try:
        policy_raw, signature = decode(policy_b64), decode(signature_b64)
    except (binascii.Error, ValueError):
        raise CookieError("malformed_cookie") from None
    try:
        public_key.verify(signature, policy_raw, padding.PKCS1v15(), hashes.SHA1())
    except InvalidSignature:
        raise CookieError("bad_signature") from None
    resource, not_after, not_before = _statement(policy_raw)
    if now >= not_after:
        raise CookieError("cookie_expired")
    if not_before is not None and now <= not_before:
        raise CookieError("cookie_not_yet_valid")
    if not covers(resource, request_path):
        raise CookieError("path_not_covered")


def _statement(policy_raw: bytes) -> tuple[str, int, int | None]:
    # (resource, DateLessThan, DateGreaterThan) of a signed policy's single statement.
    try:
        policy = json.loads(policy_raw)
        (statement,) = policy["Statement"]
        resource = statement["Resource"]
        condition = statement["Condition"]
        not_after = condition["DateLessThan"]["AWS:EpochTime"]
        after = condition.get("DateGreaterThan")
        not_before = None if after is None else after["AWS:EpochTime"]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise CookieError("malformed_policy") from None
    if not isinstance(resource, str) or not all(
            isinstance(t, int) and not isinstance(t, bool) for t in (not_after, not_before or 0)):
        raise CookieError("malformed_policy")
    return resource, not_after, not_before


def covers(resource: str, request_path: str) -> bool:
    """Whether a policy ``Resource`` covers ``request_path`` (the path part only).

    Scheme and host are ignored because the local CDN is reached on whatever host the browser
    uses. ``*`` is a wildcard only at the end; anywhere else it is a literal, which fails
    closed. Dot segments are refused so ``/hls/videos/1/../2/`` cannot borrow video 1's grant.
    """
    if any(part in {".", ".."} for part in request_path.split("/")):
        return False
    scheme, sep, rest = resource.partition("://")
    if sep:
        slash = rest.find("/")
        pattern = rest[slash:] if slash >= 0 else ("*" if rest.endswith("*") else "/")
    else:
        pattern = scheme
    if pattern.endswith("*"):
        return request_path.startswith(pattern[:-1])
    return request_path == pattern


# A signed URL carries the same three values as query parameters, under CloudFront's names.
URL_PARAMS: dict[str, str] = {POLICY: "Policy", SIGNATURE: "Signature", KEY_PAIR_ID: "Key-Pair-Id"}


def url_query(cookies: Mapping[str, str]) -> dict[str, str]:
    """The signed-URL query parameters carrying the grant of ``cookies``."""
    return {URL_PARAMS[name]: cookies[name] for name in COOKIE_NAMES}


def from_url_query(query: Mapping[str, str]) -> dict[str, str] | None:
    """The cookies a signed URL's query carries; None when it carries no signature."""
    if "Signature" not in query:
        return None
    return {name: query.get(param, "") for name, param in URL_PARAMS.items()}
