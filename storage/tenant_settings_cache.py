"""A tenant's effective settings, kept in-process for a few seconds, for the hot paths.

``events/`` and ``heartbeat/`` touch no database otherwise; reading the tenant's settings for
its rate limits on every request would add a PostgreSQL query to each. Cached here for
``ttl`` seconds (one query per tenant per gateway process per ``ttl``); concurrent misses of
one tenant share one query. A change through ``PATCH /settings/`` is seen at once by the
gateway that took it (it calls :meth:`forget`) and within ``ttl`` by the others. When
PostgreSQL does not answer, the last known settings (or the defaults) are served, so a database
incident does not stop the paths that do not need it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import asyncpg

from config.tenant_settings import TenantSettings, effective
from storage.tenants import stored_settings

log = logging.getLogger(__name__)

TTL_SECONDS = 5.0
LOAD_TIMEOUT_SECONDS = 1.0


class TenantSettingsCache:
    """Effective settings by tenant id, each kept ``ttl`` seconds."""

    def __init__(self, pool: asyncpg.Pool, defaults: TenantSettings, *,
                 ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._pool = pool
        self._defaults = defaults
        self._ttl = ttl
        self._clock = clock
        self._entries: dict[int, tuple[float, TenantSettings]] = {}
        self._loading: dict[int, asyncio.Future[TenantSettings]] = {}

    async def get(self, tenant_id: int) -> TenantSettings:
        """The tenant's effective settings, at most ``ttl`` seconds old."""
        entry = self._entries.get(tenant_id)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        pending = self._loading.get(tenant_id)
        if pending is None:
            pending = asyncio.ensure_future(self._load(tenant_id))
            self._loading[tenant_id] = pending
            pending.add_done_callback(lambda _: self._loading.pop(tenant_id, None))
        # Shielded: a caller that goes away does not cancel the query the others wait for.
        return await asyncio.shield(pending)

    def forget(self, tenant_id: int) -> None:
        """Drop the tenant's entry (its settings just changed here)."""
        self._entries.pop(tenant_id, None)

    async def _load(self, tenant_id: int) -> TenantSettings:
        try:
            async with asyncio.timeout(LOAD_TIMEOUT_SECONDS):
                current = effective(self._defaults, await stored_settings(self._pool, tenant_id))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError,
                OSError, TimeoutError) as exc:
            known = self._entries.get(tenant_id)
            current = known[1] if known is not None else self._defaults
            log.warning("tenant %s settings unavailable (%s): using the last known ones",
                        tenant_id, type(exc).__name__)
        self._entries[tenant_id] = (self._clock() + self._ttl, current)
        return current
