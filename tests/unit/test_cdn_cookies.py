"""CloudFront signed cookies: AWS's format, round trip, and every way a request is refused."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from gateway import cdn_cookies as cc

NOW = 1_800_000_000
BASE = "https://d111111abcdef8.cloudfront.net"
PREFIX = cc.hls_path_prefix(1)


@pytest.fixture(scope="module")
def private_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _cookies(key: RSAPrivateKey, *, prefix: str = PREFIX, expires_at: int = NOW + 600,
             base: str = BASE, key_pair_id: str = "K1") -> dict[str, str]:
    return cc.signed_cookies(resource_base=base, path_prefix=prefix, expires_at=expires_at,
                             key_pair_id=key_pair_id, private_key=key)


def _pem(key: RSAPrivateKey) -> tuple[str, str]:
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


def _sign_policy(key: RSAPrivateKey, policy: dict[str, object]) -> dict[str, str]:
    raw = json.dumps(policy, separators=(",", ":")).encode()
    return {cc.POLICY: cc.encode(raw),
            cc.SIGNATURE: cc.encode(key.sign(raw, padding.PKCS1v15(), hashes.SHA1())),
            cc.KEY_PAIR_ID: "K1"}


def test_round_trip_grants_every_file_of_the_video(private_key: RSAPrivateKey) -> None:
    cookies = _cookies(private_key)
    assert set(cookies) == {"CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id"}
    assert json.loads(cc.decode(cookies[cc.POLICY])) == {"Statement": [{
        "Resource": f"{BASE}/hls/videos/1/*",
        "Condition": {"DateLessThan": {"AWS:EpochTime": NOW + 600}}}]}
    for path in ("/hls/videos/1/master.m3u8", "/hls/videos/1/720p/seg_00001.ts"):
        cc.verify(cookies, request_path=path, now=NOW + 599,
                  public_key=private_key.public_key(), key_pair_id="K1")


def test_the_alphabet_is_cookie_safe(private_key: RSAPrivateKey) -> None:
    # Many expiries so every base64 character and padding length shows up at least once.
    for offset in range(40):
        cookies = _cookies(private_key, expires_at=NOW + offset, prefix=f"/hls/videos/{offset}/")
        for value in (cookies[cc.POLICY], cookies[cc.SIGNATURE]):
            assert not set(value) & set("+=/"), value
    assert cc.encode(b"\xfb\xff\xfe") == "-~~-" and cc.decode("-~~-") == b"\xfb\xff\xfe"
    assert cc.encode(b"a") == "YQ__"


@pytest.mark.parametrize("newline", ["\n", "\\n"])
def test_keys_load_with_real_or_escaped_newlines(private_key: RSAPrivateKey,
                                                 newline: str) -> None:
    private, public = (p.replace("\n", newline) for p in _pem(private_key))
    cookies = _cookies(cc.load_private_key(private))
    cc.verify(cookies, request_path="/hls/videos/1/a.ts", now=NOW,
              public_key=cc.load_public_key(public), key_pair_id="K1")


def test_a_non_rsa_or_garbage_pem_is_refused() -> None:
    with pytest.raises(ValueError):
        cc.load_public_key("not a pem")


def _tamper(cookies: dict[str, str]) -> dict[str, str]:
    policy = cc.decode(cookies[cc.POLICY]).replace(b"/videos/1/", b"/videos/2/")
    return {**cookies, cc.POLICY: cc.encode(policy)}


Mutate = Callable[[dict[str, str], RSAPrivateKey], dict[str, str]]


@pytest.mark.parametrize(("mutate", "path", "now", "reason"), [
    (lambda c, o: c, "/hls/videos/1/master.m3u8", NOW + 600, "cookie_expired"),
    (lambda c, o: c, "/hls/videos/1/master.m3u8", NOW + 10_000, "cookie_expired"),
    (lambda c, o: c, "/hls/videos/2/master.m3u8", NOW, "path_not_covered"),
    (lambda c, o: c, "/hls/videos/10/x", NOW, "path_not_covered"),
    (lambda c, o: c, "/hls/videos/1", NOW, "path_not_covered"),
    (lambda c, o: c, "/hls/videos/1/../2/master.m3u8", NOW, "path_not_covered"),
    (lambda c, o: _tamper(c), "/hls/videos/2/master.m3u8", NOW, "bad_signature"),
    (lambda c, o: {**c, cc.SIGNATURE: _cookies(o)[cc.SIGNATURE]}, "/hls/videos/1/a.ts", NOW,
     "bad_signature"),
    (lambda c, o: {k: v for k, v in c.items() if k != cc.SIGNATURE}, "/hls/videos/1/a.ts", NOW,
     "cookie_missing"),
    (lambda c, o: {}, "/hls/videos/1/a.ts", NOW, "cookie_missing"),
    (lambda c, o: {**c, cc.KEY_PAIR_ID: "K2"}, "/hls/videos/1/a.ts", NOW,
     "unknown_key_pair_id"),
    (lambda c, o: {**c, cc.POLICY: "%%%"}, "/hls/videos/1/a.ts", NOW, "malformed_cookie"),
], ids=["expired-by-1s", "expired-long-ago", "other-video", "prefix-trick", "prefix-itself",
        "dot-segments", "tampered-policy", "other-keys-signature", "missing-signature",
        "no-cookies", "wrong-key-pair-id", "bad-base64"])
def test_rejections(private_key: RSAPrivateKey, other_key: RSAPrivateKey, mutate: Mutate,
                    path: str, now: float, reason: str) -> None:
    cookies = mutate(_cookies(private_key), other_key)
    with pytest.raises(cc.CookieError, match=reason) as info:
        cc.verify(cookies, request_path=path, now=now, public_key=private_key.public_key(),
                  key_pair_id="K1")
    assert info.value.reason == reason


def _statement(condition: dict[str, object], resource: str = f"{BASE}/hls/videos/1/*"
               ) -> dict[str, object]:
    return {"Statement": [{"Resource": resource, "Condition": condition}]}


@pytest.mark.parametrize(("policy", "now", "reason"), [
    (_statement({"DateLessThan": {"AWS:EpochTime": NOW + 60},
                 "DateGreaterThan": {"AWS:EpochTime": NOW + 30}}), NOW, "cookie_not_yet_valid"),
    (_statement({"DateLessThan": {"AWS:EpochTime": NOW + 60},
                 "DateGreaterThan": {"AWS:EpochTime": NOW - 30}}), NOW, None),
    (_statement({"DateLessThan": {"AWS:EpochTime": NOW + 60},
                 "IpAddress": {"AWS:SourceIp": "192.0.2.1/32"}}), NOW, None),
    (_statement({"DateLessThan": {"AWS:EpochTime": NOW + 60}}, "/hls/videos/1/*"), NOW, None),
    (_statement({"DateLessThan": {"AWS:EpochTime": NOW + 60}}, "https://h/hls/*/a.ts"), NOW,
     "path_not_covered"),
    (_statement({}), NOW, "malformed_policy"),
    (_statement({"DateLessThan": {"AWS:EpochTime": "soon"}}), NOW, "malformed_policy"),
    ({"Statement": []}, NOW, "malformed_policy"),
], ids=["before-DateGreaterThan", "after-DateGreaterThan", "IpAddress-ignored", "path-resource",
        "inner-wildcard-is-literal", "no-DateLessThan", "non-integer-time", "no-statement"])
def test_signed_policies_other_than_ours(private_key: RSAPrivateKey, policy: dict[str, object],
                                         now: float, reason: str | None) -> None:
    cookies = _sign_policy(private_key, policy)
    check = lambda: cc.verify(cookies, request_path="/hls/videos/1/a.ts", now=now,  # noqa: E731
                              public_key=private_key.public_key(), key_pair_id="K1")
    if reason is None:
        check()
    else:
        with pytest.raises(cc.CookieError, match=reason):
            check()


def test_the_cookies_are_what_botocore_signs(private_key: RSAPrivateKey) -> None:
    signers = pytest.importorskip("botocore.signers")
    signer = signers.CloudFrontSigner(
        "K1", lambda message: private_key.sign(message, padding.PKCS1v15(), hashes.SHA1()))
    resource = f"{BASE}/hls/videos/1/*"
    expires = dt.datetime.fromtimestamp(NOW + 600, tz=dt.timezone.utc)
    policy = signer.build_policy(resource, expires)
    assert cc.policy_bytes(resource, NOW + 600) == policy.encode()
    query = parse_qs(urlsplit(signer.generate_presigned_url(resource, policy=policy)).query)
    cookies = _cookies(private_key)
    assert query["Policy"] == [cookies[cc.POLICY]]
    assert query["Signature"] == [cookies[cc.SIGNATURE]]
    assert query["Key-Pair-Id"] == [cookies[cc.KEY_PAIR_ID]]


@pytest.mark.parametrize(("domain", "secure", "expected"), [
    ("", False, {"path": PREFIX, "httponly": True, "secure": False, "samesite": "Lax"}),
    ("cdn.example.com", True, {"path": PREFIX, "httponly": True, "secure": True,
                               "samesite": "Lax", "domain": "cdn.example.com"}),
])
def test_cookie_attributes_are_the_seeds(domain: str, secure: bool,
                                         expected: dict[str, object]) -> None:
    assert cc.cookie_attributes(path_prefix=PREFIX, domain=domain, secure=secure) == expected


@pytest.mark.parametrize(("setting", "token_lifetime", "expected"), [
    (120, 600, 120),  # the defaults: cookies of two minutes, tokens of ten
    (120, 30, 30),  # never longer than the playback token
    (120, None, 120),  # a token without iat: the setting alone
    (120, 0, 120),
    (3, 600, 3),
])
def test_cookie_lifetime(setting: int, token_lifetime: int | None, expected: int) -> None:
    assert cc.cookie_lifetime(setting, token_lifetime) == expected


@pytest.mark.parametrize(("now", "lifetime", "expected"), [
    (1000.9, 120, 1116),  # a step of 12 s: 1120 rounds down to 1116
    (1003.0, 120, 1116),  # the same step: the same expiry (and signature)
    (1008.0, 120, 1128),
    (1000.5, 3, 1003),  # short lifetimes keep whole seconds
    (1000.0, 30, 1029),  # a step of 3 s
])
def test_cookies_granted_within_a_step_share_an_expiry(now: float, lifetime: int,
                                                        expected: int) -> None:
    expires = cc.shared_expiry(now, lifetime)
    assert expires == expected
    assert int(now) + lifetime * 0.9 <= expires <= now + lifetime


def test_the_signer_signs_one_expiry_once() -> None:
    import gateway.keys  # noqa: F401 - gateway.cdn and gateway.keys import each other (#16)
    from gateway.cdn import CookieSigner
    signer = CookieSigner("K", rsa.generate_private_key(public_exponent=65537, key_size=2048),
                          "", "", False)
    first = signer.cookies("http://cdn", "/hls/videos/1/", 1116)
    assert signer.cookies("http://cdn", "/hls/videos/1/", 1116) is first
    other = signer.cookies("http://cdn", "/hls/videos/1/", 1128)
    assert other is not first and other["CloudFront-Policy"] != first["CloudFront-Policy"]
