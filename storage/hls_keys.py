"""Per-video HLS AES-128 keys, stored encrypted at rest in ``videos.hls_key_ciphertext``.

A key is 16 random bytes made once per video (a re-transcode reuses it, so a package written by
a redelivered job always matches the stored key). At rest it is sealed with AES-256-GCM under
``Settings.hls_key_encryption_key()``; the tenant and video ids are the associated data, so a
ciphertext copied onto another row does not open.
"""

from __future__ import annotations

import os

import asyncpg
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from storage.exceptions import StorageError

KEY_BYTES = 16
_VERSION = b"\x01"  # first byte of a ciphertext: how it was sealed
_NONCE_BYTES = 12


def key_path(video_id: int) -> str:
    """Where players fetch a video's key from the gateway (the URI in its playlists)."""
    return f"/api/v1/media/videos/{video_id}/hls-key/"


class KeyUnreadable(StorageError):
    """The stored ciphertext does not open with the configured secret."""


def _aad(tenant_id: int, video_id: int) -> bytes:
    return f"lecturecast/hls-key/{tenant_id}/{video_id}".encode()


def seal(kek: bytes, key: bytes, tenant_id: int, video_id: int,
         nonce: bytes | None = None) -> bytes:
    """``version || nonce || AES-GCM(key)`` for storage."""
    nonce = nonce or os.urandom(_NONCE_BYTES)
    return _VERSION + nonce + AESGCM(kek).encrypt(nonce, key, _aad(tenant_id, video_id))


def unseal(kek: bytes, sealed: bytes, tenant_id: int, video_id: int) -> bytes:
    """The key inside ``sealed``; :class:`KeyUnreadable` if it was sealed otherwise."""
    if not sealed.startswith(_VERSION) or len(sealed) < 1 + _NONCE_BYTES + KEY_BYTES:
        raise KeyUnreadable(f"video {video_id}: unknown HLS key format")
    nonce, body = sealed[1:1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES:]
    try:
        return AESGCM(kek).decrypt(nonce, body, _aad(tenant_id, video_id))
    except InvalidTag as exc:
        raise KeyUnreadable(f"video {video_id}: the HLS key does not open with the "
                            "configured secret") from exc


class HlsKeys:
    """Reads and creates the videos' HLS keys."""

    def __init__(self, pool: asyncpg.Pool, kek: bytes) -> None:
        self._pool = pool
        self._kek = kek

    async def ensure(self, tenant_id: int, video_id: int) -> bytes | None:
        """The video's key, made and stored now if it has none; None if the video is gone."""
        sealed = await self._pool.fetchval(
            """UPDATE videos SET hls_key_ciphertext = $3
               WHERE tenant_id = $1 AND id = $2 AND hls_key_ciphertext IS NULL
               RETURNING hls_key_ciphertext""",
            tenant_id, video_id, seal(self._kek, os.urandom(KEY_BYTES), tenant_id, video_id))
        if sealed is None:  # it already had one (or is gone): read what is stored
            return await self.load(tenant_id, video_id)
        return unseal(self._kek, bytes(sealed), tenant_id, video_id)

    async def load(self, tenant_id: int, video_id: int) -> bytes | None:
        """The video's key, or None when the video is gone or has none."""
        sealed = await self._pool.fetchval(
            "SELECT hls_key_ciphertext FROM videos WHERE tenant_id = $1 AND id = $2",
            tenant_id, video_id)
        return None if sealed is None else unseal(self._kek, bytes(sealed), tenant_id, video_id)
