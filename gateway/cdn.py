"""CloudFront signed cookies on play/refresh/heartbeat responses (and their removal on end).

On only when ``CLOUDFRONT_KEY_PAIR_ID`` and ``CLOUDFRONT_PRIVATE_KEY_PEM`` are set; the key is
parsed once per app. The cookie format is in :mod:`gateway.cdn_cookies`.

The cookies are bearer credentials the CDN checks on its own, with no way to ask whether the
session still lives, so they are short: ``CDN_COOKIE_TTL_SECONDS`` (never longer than the
playback token's lifetime), renewed by ``play/``, ``refresh/`` and every heartbeat that finds
the session live. An ended, revoked or expired session gets no new ones, and the copies it
holds (or anyone copied) stop opening the HLS files at most one cookie lifetime later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from config.settings import Settings
from gateway import cdn_cookies, keys
from gateway.video_views import public_url


@dataclass(frozen=True, slots=True)
class CookieSigner:
    """The loaded signing key and where the cookies apply."""

    key_pair_id: str
    private_key: RSAPrivateKey
    resource_base: str  # empty: the request's origin (the local CDN checks only the path)
    domain: str
    secure: bool
    # (resource base, path prefix, expiry) -> cookies. An RSA signature costs ~0.3 ms and every
    # live heartbeat renews the cookies; the students of one class share one expiry step
    # (cdn_cookies.cookie_expiry), so they share one signature.
    _signed: dict[tuple[str, str, int], dict[str, str]] = field(
        default_factory=dict, compare=False, repr=False)

    def cookies(self, resource_base: str, path_prefix: str, expires_at: int) -> dict[str, str]:
        """The signed cookies granting ``path_prefix`` until ``expires_at`` (memoised)."""
        key = (resource_base, path_prefix, expires_at)
        found = self._signed.get(key)
        if found is None:
            found = cdn_cookies.signed_cookies(
                resource_base=resource_base, path_prefix=path_prefix, expires_at=expires_at,
                key_pair_id=self.key_pair_id, private_key=self.private_key)
            if len(self._signed) >= _SIGNED_KEPT:
                del self._signed[next(iter(self._signed))]  # the oldest: expiries only grow
            self._signed[key] = found
        return found


_SIGNED_KEPT = 4096


def signer_from_settings(settings: Settings) -> CookieSigner | None:
    """The app's signer, or None when CDN cookies are not configured."""
    if not (settings.cloudfront_key_pair_id and settings.cloudfront_private_key_pem):
        return None
    base = settings.cdn_hls_base_url or (
        f"https://{settings.cloudfront_domain}" if settings.cloudfront_domain else
        settings.public_base_url)
    return CookieSigner(settings.cloudfront_key_pair_id,
                        cdn_cookies.load_private_key(settings.cloudfront_private_key_pem),
                        base, settings.cloudfront_domain, settings.cookie_secure)


def cookie_expiry(request: web.Request, now: float,
                  token_lifetime_seconds: int | None) -> int | None:
    """When cookies granted at ``now`` expire; None when this app grants no cookies."""
    if request.app[keys.CDN_SIGNER] is None:
        return None
    return cdn_cookies.shared_expiry(now, cdn_cookies.cookie_lifetime(
        request.app[keys.SETTINGS].cdn_cookie_ttl_seconds, token_lifetime_seconds))


def set_cookies(request: web.Request, response: web.StreamResponse, video_id: int,
                expires_at: int) -> None:
    """Grant the browser the video's HLS path until ``expires_at``."""
    signer = request.app[keys.CDN_SIGNER]
    if signer is None:
        return
    prefix = cdn_cookies.hls_path_prefix(video_id)
    cookies = signer.cookies(signer.resource_base or str(request.url.origin()), prefix,
                             expires_at)
    attributes = cdn_cookies.cookie_attributes(path_prefix=prefix, domain=signer.domain,
                                               secure=signer.secure)
    max_age = max(0, expires_at - int(time.time()))
    for name, value in cookies.items():
        response.set_cookie(name, value, max_age=max_age, **attributes)


def clear_cookies(request: web.Request, response: web.StreamResponse, video_id: int) -> None:
    """Remove the video's CDN cookies (the seed's ``end``)."""
    signer = request.app[keys.CDN_SIGNER]
    if signer is None:
        return
    prefix = cdn_cookies.hls_path_prefix(video_id)
    for name in (cdn_cookies.POLICY, cdn_cookies.SIGNATURE, cdn_cookies.KEY_PAIR_ID):
        response.del_cookie(name, path=prefix, domain=signer.domain or None)


def signed_url(request: web.Request, key: str, now: float) -> str:
    """The CDN URL of one object of the HLS tree, signed for that object alone when the app
    grants CDN access (a poster shown before any play set the video's cookies)."""
    url = public_url(request.app[keys.SETTINGS], key)
    signer = request.app[keys.CDN_SIGNER]
    if signer is None:
        return url
    expires_at = cdn_cookies.shared_expiry(now, request.app[keys.SETTINGS].cdn_cookie_ttl_seconds)
    # "<key>*": the same policy shape as the cookies', memoised with them.
    cookies = signer.cookies(signer.resource_base or str(request.url.origin()), "/" + key,
                             expires_at)
    return f"{url}?{urlencode(cdn_cookies.url_query(cookies))}"
