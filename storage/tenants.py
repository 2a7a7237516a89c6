"""Tenants (academies): created on first sight of a valid token naming them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg


@dataclass(frozen=True, slots=True)
class Tenant:
    """An academy."""

    id: int
    slug: str
    settings: dict[str, Any]


class TenantRepository:
    """Reads and creates tenants."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def ensure(self, slug: str) -> Tenant:
        """The tenant with this slug, created if it does not exist yet (race-free)."""
        # DO UPDATE (a no-op) rather than DO NOTHING so RETURNING yields the existing row too.
        row = await self._pool.fetchrow(
            """INSERT INTO tenants (slug) VALUES ($1)
               ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
               RETURNING id, slug, settings""",
            slug,
        )
        return Tenant(id=row["id"], slug=row["slug"], settings=row["settings"])


class TenantIds:
    """Slug -> id, cached for the process: a tenant's id never changes once created."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    async def resolve(self, repo: TenantRepository, slug: str) -> int:
        """The id of ``slug``, creating the tenant on its first valid token."""
        found = self._ids.get(slug)
        if found is None:
            found = (await repo.ensure(slug)).id
            self._ids[slug] = found
        return found


async def stored_settings(pool: asyncpg.Pool, tenant_id: int) -> dict[str, Any]:
    """The settings keys an admin changed for this tenant."""
    return await pool.fetchval("SELECT settings FROM tenants WHERE id = $1", tenant_id) or {}


async def merge_settings(pool: asyncpg.Pool, tenant_id: int, changes: dict[str, Any]
                         ) -> dict[str, Any]:
    """Store changed keys on top of the earlier ones (atomically); return all stored keys."""
    return await pool.fetchval(
        "UPDATE tenants SET settings = settings || $2::jsonb WHERE id = $1 RETURNING settings",
        tenant_id, changes)
