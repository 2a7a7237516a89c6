"""CloudFront signed cookies on play/refresh responses (and their removal on end).

On only when ``CLOUDFRONT_KEY_PAIR_ID`` and ``CLOUDFRONT_PRIVATE_KEY_PEM`` are set; the key is
parsed once per app. The cookie format is in :mod:`gateway.cdn_cookies`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from config.settings import Settings
from gateway import cdn_cookies, keys


@dataclass(frozen=True, slots=True)
class CookieSigner:
    """The loaded signing key and where the cookies apply."""

    key_pair_id: str
    private_key: RSAPrivateKey
    resource_base: str  # empty: the origin of the request (the local CDN is the gateway)
    domain: str
    secure: bool


def signer_from_settings(settings: Settings) -> CookieSigner | None:
    """The app's signer, or None when CDN cookies are not configured."""
    if not (settings.cloudfront_key_pair_id and settings.cloudfront_private_key_pem):
        return None
    base = settings.cdn_hls_base_url or (
        f"https://{settings.cloudfront_domain}" if settings.cloudfront_domain else "")
    return CookieSigner(settings.cloudfront_key_pair_id,
                        cdn_cookies.load_private_key(settings.cloudfront_private_key_pem),
                        base, settings.cloudfront_domain, settings.cookie_secure)


def set_cookies(request: web.Request, response: web.StreamResponse, video_id: int,
                expires_at: int) -> None:
    """Grant the browser the video's HLS path until ``expires_at``."""
    signer = request.app[keys.CDN_SIGNER]
    if signer is None:
        return
    prefix = cdn_cookies.hls_path_prefix(video_id)
    cookies = cdn_cookies.signed_cookies(
        resource_base=signer.resource_base or str(request.url.origin()), path_prefix=prefix,
        expires_at=expires_at, key_pair_id=signer.key_pair_id, private_key=signer.private_key)
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
