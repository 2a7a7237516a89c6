"""Uploading a finished HLS package: media first, rendition playlists next, master last.

A player (and the READY status) starts from ``master.m3u8``, so it is written only once every
file it leads to is in place: a package is either complete or not reachable.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path, PurePosixPath

from storage.objects import ObjectStore
from transcoder.hls_argv import MASTER, PLAYLIST

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".jpg": "image/jpeg",
    ".vtt": "text/vtt; charset=utf-8",
}
# Playlists can be rewritten by a later transcode (retry/); segments and images of a package
# never change under the same name once it is READY, so CDNs and players may keep them.
PLAYLIST_CACHE = "max-age=60"
IMMUTABLE_CACHE = "max-age=31536000, immutable"
PARALLEL_UPLOADS = 8

UploadProgress = Callable[[float], Awaitable[None]]


def content_type(name: str) -> str:
    """The media type of a package file."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def cache_control(name: str) -> str:
    """The Cache-Control stored with a package file."""
    return PLAYLIST_CACHE if name.endswith(".m3u8") else IMMUTABLE_CACHE


def upload_waves(names: Sequence[str]) -> list[list[str]]:
    """Package-relative paths in the order they must be written, wave after wave."""
    master = [n for n in names if n == MASTER]
    playlists = sorted(n for n in names if n.endswith("/" + PLAYLIST))
    media = sorted(n for n in names if n not in master and n not in playlists)
    return [wave for wave in (media, playlists, master) if wave]


def package_files(local_dir: str) -> list[str]:
    """Every file under ``local_dir``, as package-relative POSIX paths."""
    root = Path(local_dir)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


async def upload_package(store: ObjectStore, local_dir: str, prefix: str,
                         on_progress: UploadProgress | None = None,
                         before_master: Callable[[], Awaitable[None]] | None = None) -> int:
    """Upload the package under ``prefix``; return the bytes sent.

    ``before_master`` runs before the master playlist is written (it raises to stop there).
    """
    names = package_files(local_dir)
    total = sum(os.path.getsize(os.path.join(local_dir, n)) for n in names) or 1
    sent = 0
    gate = asyncio.Semaphore(PARALLEL_UPLOADS)

    async def one(name: str) -> None:
        nonlocal sent
        path = os.path.join(local_dir, name)
        async with gate:
            await store.upload_file(prefix + name, path, content_type(name), cache_control(name))
        sent += os.path.getsize(path)
        if on_progress is not None:
            await on_progress(100.0 * sent / total)

    for wave in upload_waves(names):
        if wave == [MASTER] and before_master is not None:
            await before_master()
        try:
            # A TaskGroup cancels the wave's other uploads when one fails.
            async with asyncio.TaskGroup() as group:
                for name in wave:
                    group.create_task(one(name))
        except* Exception as failed:
            raise failed.exceptions[0] from None
    return sent
