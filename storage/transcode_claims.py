"""Redis leases and done-markers that make transcodes run once per video at a time.

A worker holds a video's lease (renewed while it works) from before it looks at the video until
after it has published the job's result, then marks the job done. Kafka may hand the same job
to a second worker (a rebalance, a redelivery after a crash): that worker waits for the lease,
sees the done-marker and skips the job, or, if the first worker died, takes over once the lease
expires. A lease Redis lost (restarted empty) while its holder still renews it is taken back
by the holder, unless another worker took it first. Keys:
``lc:transcode:{tenant}:{video_id}:lease`` and ``lc:transcode:job:{job_id}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import redis.asyncio as redis

from storage.exceptions import StorageError

LEASE_SECONDS = 10.0  # how long a dead worker's lease blocks the next one
DONE_SECONDS = 8 * 24 * 3600  # longer than the jobs topic keeps a job (7 days)
POLL_SECONDS = 0.5
MARK_BACKOFF_SECONDS = (0.5, 1.0, 2.0, 5.0)

# Renew or release only our own lease (compare-and-set on the holder's token). A renewal may
# take the lease back when it is gone (ARGV[3] = 1): the holder passes 1 only while its last
# renewal cannot have lapsed yet, so the key was lost by Redis (restarted empty, flushed), not
# expired; the script is atomic, so a worker that took it in between keeps it.
_RENEW = """local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if not holder and ARGV[3] == '1' then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0"""
# Take a lost lease back only this long before its last renewal could have lapsed.
RETAKE_MARGIN_SECONDS = 1.0
_RELEASE = """if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1]) else return 0 end"""


class LeaseLost(StorageError):
    """Another worker may now hold the video: stop without touching its output."""


def lease_key(tenant: str, video_id: int) -> str:
    """String: the token of the worker transcoding this video."""
    return f"lc:transcode:{tenant}:{video_id}:lease"


def done_key(job_id: str) -> str:
    """String: present once a job's result is published."""
    return f"lc:transcode:job:{job_id}"


class Lease:
    """A held lease; :meth:`check` raises :class:`LeaseLost` once it could not be renewed."""

    def __init__(self) -> None:
        self.lost = False

    def check(self) -> None:
        """Raise :class:`LeaseLost` if the lease lapsed."""
        if self.lost:
            raise LeaseLost("the video's transcode lease lapsed")


class TranscodeClaims:
    """Leases per video and done-markers per job."""

    def __init__(self, client: redis.Redis, lease_seconds: float = LEASE_SECONDS) -> None:
        self._redis = client
        self._ms = int(lease_seconds * 1000)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    @contextlib.asynccontextmanager
    async def hold(self, tenant: str, video_id: int) -> AsyncIterator[Lease]:
        """Wait for the video's lease, keep it renewed inside the block, release it after."""
        key, token = lease_key(tenant, video_id), uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            if await self._redis.set(key, token, nx=True, px=self._ms):
                break
            await asyncio.sleep(POLL_SECONDS)
        lease = Lease()
        renewer = asyncio.create_task(self._keep(key, token, lease, asked))
        try:
            yield lease
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(redis.RedisError):
                await self._release(keys=[key], args=[token])

    async def _keep(self, key: str, token: str, lease: Lease, renewed_at: float) -> None:
        # ``renewed_at``: when the last renewal (first, the SET) was *sent*, so Redis's
        # expiry of the key is at least a lease after it.
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._ms / 3000)
            sent = loop.time()
            unexpired = sent - renewed_at < self._ms / 1000 - RETAKE_MARGIN_SECONDS
            try:
                if not await self._renew(keys=[key], args=[token, self._ms, int(unexpired)]):
                    break  # expired and maybe taken: someone else may be writing now
                renewed_at = sent
            except redis.RedisError:
                # A blip is fine while the lease still runs; past its end, assume it is gone.
                if loop.time() - renewed_at >= self._ms / 1000:
                    break
        lease.lost = True

    async def is_done(self, job_id: str) -> bool:
        """Whether this job's result was already published."""
        return bool(await self._redis.exists(done_key(job_id)))

    async def mark_done(self, job_id: str) -> None:
        """Record that this job's result is published, retrying until Redis has it.

        Raising here would make the worker redo a job whose result is already out: a second
        run clears the package prefix, which the first result may have just made READY.
        """
        failures = 0
        while True:
            try:
                await self._redis.set(done_key(job_id), b"1", ex=DONE_SECONDS)
                return
            except redis.RedisError:
                await asyncio.sleep(MARK_BACKOFF_SECONDS[min(failures,
                                                             len(MARK_BACKOFF_SECONDS) - 1)])
                failures += 1
