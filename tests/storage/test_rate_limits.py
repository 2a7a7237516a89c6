"""The rate-limit adapters on the real services: the Lua script decides exactly like
``policy.rate_limits`` (same tables, a fake clock), and the tenant settings cache."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
import redis.asyncio as redis

from config.settings import Settings
from config.tenant_settings import TenantSettings
from policy import rate_limits as R
from storage import keys
from storage.cache import create_redis
from storage.rate_limits import RateLimits
from storage.tenant_settings_cache import TenantSettingsCache
from storage.tenants import Tenant, merge_settings

pytestmark = pytest.mark.stack
T0 = 1_800_000_000.0


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[redis.Redis]:
    c = create_redis(settings)
    yield c
    await c.aclose()


def scenario(n: int) -> list[tuple[float, str, int]]:
    """(seconds after T0, user, cost): bursts, waits, costs and two users of one tenant."""
    out = [(0.0, "a", 1)] * 12 + [(0.5, "b", 1)] * 4 + [(3.0, "a", 5), (7.3, "a", 1)]
    out += [(10 + i * 1.7, "ab"[i % 2], 1 + i % 3) for i in range(n)]
    return out + [(400.0, "a", 1), (400.0, "b", 30)]


async def test_the_script_decides_like_the_policy(client: redis.Redis) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    limits = R.Limits(R.Rate(10), R.Rate(14))
    limiter = RateLimits(client)
    admitted = refused = 0
    tenant_key = keys.rate_tenant(tenant, "heartbeat")

    async def stored(user: str) -> tuple[float | None, float | None]:
        # What Redis holds (to the microsecond): the pure function's input.
        raw = [await client.get(keys.rate_user(tenant, "heartbeat", user)),
               await client.get(tenant_key)]
        return (float(raw[0]) if raw[0] else None, float(raw[1]) if raw[1] else None)

    for at, user, cost in scenario(60):
        now = T0 + at
        # Buckets expire by Redis's own clock; the fake one is far ahead of it, so none do.
        want = R.decide(await stored(user), limits, now, cost)
        got = await limiter.acquire(tenant, user, R.RouteClass.HEARTBEAT, limits, now, cost)
        assert (got.allowed, got.scope) == (want.allowed, want.scope), (at, user, cost)
        assert got.retry_after == pytest.approx(want.retry_after, abs=1e-5)
        if want.allowed:
            assert got.tats == pytest.approx(want.tats, abs=1e-5)
            assert await stored(user) == got.tats
            admitted += 1
        else:
            refused += 1
    assert admitted > 10 and refused > 10


async def test_buckets_expire_once_full_again(client: redis.Redis) -> None:
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    limits = R.Limits(R.Rate(60), R.Rate(600))
    await RateLimits(client).acquire(tenant, "u", R.RouteClass.PLAY, limits, time.time())
    # One request in: each key lives as long as its bucket takes to fill again (1 s, 0.1 s).
    user_ttl = await client.pttl(keys.rate_user(tenant, "play", "u"))
    tenant_ttl = await client.pttl(keys.rate_tenant(tenant, "play"))
    assert 900 < user_ttl <= 1001 and 0 < tenant_ttl <= 101


async def test_an_honest_class_on_real_redis_never_meets_the_defaults(
        client: redis.Redis) -> None:
    # 30 students, 20 minutes of the player's rhythm each, on a fake clock.
    from tests.unit.test_rate_limits import honest_player
    tenant = f"t-{uuid.uuid4().hex[:12]}"
    limiter = RateLimits(client)
    traffic = sorted((at + n * 0.7, f"s{n}", route, cost) for n in range(30)
                     for at, route, cost in honest_player(20))
    refused = []
    for at, user, route, cost in traffic:
        decision = await limiter.acquire(tenant, user, route,
                                         R.limits_for(TenantSettings(), route), T0 + at, cost)
        if not decision.allowed:
            refused.append((at, user, route))
    assert refused == []


async def test_settings_cache_keeps_a_tenant_for_its_ttl(db: asyncpg.Pool,
                                                         make_tenant) -> None:
    tenant: Tenant = await make_tenant()
    clock = [100.0]
    cache = TenantSettingsCache(db, TenantSettings(), ttl=5.0, clock=lambda: clock[0])
    assert (await cache.get(tenant.id)).rate_play_user_per_minute == 60
    await merge_settings(db, tenant.id, {"rate_play_user_per_minute": 7})
    clock[0] += 4.9
    assert (await cache.get(tenant.id)).rate_play_user_per_minute == 60  # still cached
    clock[0] += 0.2
    assert (await cache.get(tenant.id)).rate_play_user_per_minute == 7
    await merge_settings(db, tenant.id, {"rate_play_user_per_minute": 8})
    cache.forget(tenant.id)
    assert (await cache.get(tenant.id)).rate_play_user_per_minute == 8


async def test_concurrent_misses_share_one_query(db: asyncpg.Pool, make_tenant) -> None:
    tenant: Tenant = await make_tenant()
    queries = []
    conn_pool = db

    class Counting:
        async def fetchval(self, *args: object) -> object:
            queries.append(args)
            return await conn_pool.fetchval(*args)

    cache = TenantSettingsCache(Counting(), TenantSettings())  # type: ignore[arg-type]
    results = await asyncio.gather(*(cache.get(tenant.id) for _ in range(50)))
    assert len(queries) == 1 and all(r == TenantSettings() for r in results)


async def test_without_postgresql_the_last_known_settings_serve(settings: Settings,
                                                                db: asyncpg.Pool,
                                                                make_tenant) -> None:
    tenant: Tenant = await make_tenant()
    await merge_settings(db, tenant.id, {"rate_events_user_per_minute": 900})
    clock = [0.0]
    cache = TenantSettingsCache(db, TenantSettings(), clock=lambda: clock[0])
    assert (await cache.get(tenant.id)).rate_events_user_per_minute == 900
    await db.close()  # PostgreSQL "goes away" for this cache
    clock[0] += 60
    assert (await cache.get(tenant.id)).rate_events_user_per_minute == 900
    assert (await cache.get(tenant.id + 10**9)) == TenantSettings()
