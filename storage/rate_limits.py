"""Rate-limit buckets in Redis: a user's and their tenant's, checked and charged at once.

One Lua script per request (one round trip, atomic across gateways): it runs
:func:`policy.rate_limits.charge` on both buckets and :func:`policy.rate_limits.judge` on the
two answers, and stores the new arrival times only when both conform (``tests/storage``
checks the script against those pure functions). ``now`` comes from the caller: the gateway's
clock, the same one that judges the token's expiry and stamps the events' receive time (a fake
one in tests). Gateways' clocks differ by NTP's milliseconds, which shift a bucket by as much.
"""

from __future__ import annotations

import redis.asyncio as redis

from policy.rate_limits import TOLERANCE, Decision, Limits, Rate, RouteClass, Scope
from storage import keys

# KEYS: user bucket, tenant bucket. ARGV: now, cost, user interval, user burst, tenant
# interval, tenant burst, tolerance. Returns {1, user tat, tenant tat} when admitted (both
# stored), or {0, refusing scope, retry after}; numbers as strings (a Lua number would lose its
# fraction on the way out).
_GCRA = """
local now, cost, tolerance = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[7])
local function charge(key, interval, burst)
  local tat = now
  local stored = redis.call('GET', key)
  if stored then tat = math.max(tonumber(stored), now) end
  local new_tat = tat + math.min(math.max(cost, 1), burst) * interval
  return new_tat, math.max(0, new_tat - now - burst * interval)
end
local ut, uw = charge(KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[4]))
local tt, tw = charge(KEYS[2], tonumber(ARGV[5]), tonumber(ARGV[6]))
if uw <= tolerance and tw <= tolerance then
  ut, tt = string.format('%.6f', ut), string.format('%.6f', tt)
  redis.call('SET', KEYS[1], ut, 'PX', math.ceil((tonumber(ut) - now) * 1000))
  redis.call('SET', KEYS[2], tt, 'PX', math.ceil((tonumber(tt) - now) * 1000))
  return {1, ut, tt}
end
local scope = 'tenant'
if uw > tolerance then scope = 'user' end
return {0, scope, string.format('%.6f', math.max(uw, tw))}
"""


def _args(rate: Rate) -> list[str | int]:
    return [repr(rate.interval), rate.burst]  # repr: every digit of the interval


class RateLimits:
    """Checks and charges ``lc:rl:{tenant}:{route}:...`` buckets."""

    def __init__(self, client: redis.Redis) -> None:
        self._gcra = client.register_script(_GCRA)

    async def acquire(self, tenant: str, user: str, route: RouteClass, limits: Limits,
                      now: float, cost: int = 1) -> Decision:
        """Admit (and charge both buckets) or refuse one request of ``cost`` units."""
        allowed, first, second = await self._gcra(
            keys=[keys.rate_user(tenant, route.value, user), keys.rate_tenant(tenant, route.value)],
            args=[repr(now), cost, *_args(limits.user), *_args(limits.tenant),
                  repr(TOLERANCE)])
        if allowed:
            return Decision(True, tats=(float(first), float(second)))
        return Decision(False, float(second), Scope(first.decode()))
