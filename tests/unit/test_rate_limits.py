"""Rate limits as tables: the GCRA decision, the limits of each route class, the defaults
against an honest player's rhythm and against a flood (pure: ``now`` is an argument)."""

from __future__ import annotations

import pytest

from config.tenant_settings import TenantSettings
from policy import rate_limits as R

T0 = 1_800_000_000.0
RATE_10 = R.Rate(10)  # an interval of 6 s, bursts of 10


def run(requests: list[tuple[float, int]], limits: R.Limits,
        tats: tuple[float | None, float | None] = (None, None)) -> list[R.Decision]:
    """Feed (seconds after T0, cost) requests to one pair of buckets; the decisions."""
    out = []
    for at, cost in requests:
        decision = R.decide(tats, limits, T0 + at, cost)
        if decision.allowed:
            tats = decision.tats
        out.append(decision)
    return out


@pytest.mark.parametrize(("requests", "allowed", "retry_after"), [
    # a full bucket admits a burst of 10 at once; the 11th waits one interval
    ([(0, 1)] * 11, [True] * 10 + [False], 6.0),
    # one every 6 s forever is the sustained rate
    ([(6 * i, 1) for i in range(30)], [True] * 30, 0.0),
    # after the burst, one more every interval
    ([(0, 1)] * 10 + [(6, 1), (6, 1)], [True] * 11 + [False], 6.0),
    # a refused request charges nothing: the next one after the wait passes
    ([(0, 1)] * 11 + [(6, 1)], [True] * 10 + [False, True], 0.0),
    # halfway through an interval: the rest of it
    ([(0, 1)] * 10 + [(3, 1)], [True] * 10 + [False], 3.0),
    # cost: a 4-unit request takes 4 units
    ([(0, 4), (0, 4), (0, 4)], [True, True, False], 12.0),
    # a request dearer than the bucket costs the whole bucket: late, never impossible
    ([(0, 50), (0, 1)], [True, False], 6.0),
    # cost 0 (an empty batch) still costs 1
    ([(0, 0)] * 11, [True] * 10 + [False], 6.0),
    # an idle minute refills the bucket completely, and no more
    ([(0, 1)] * 10 + [(600, 1)] * 11, [True] * 20 + [False], 6.0),
])
def test_one_bucket(requests: list[tuple[float, int]], allowed: list[bool],
                    retry_after: float) -> None:
    decisions = run(requests, R.Limits(RATE_10, R.Rate(1_000_000)))
    assert [d.allowed for d in decisions] == allowed
    assert decisions[-1].retry_after == pytest.approx(retry_after)
    assert all(d.scope == (None if d.allowed else R.Scope.USER) for d in decisions)


@pytest.mark.parametrize(("user", "tenant", "tats", "allowed", "scope", "retry_after"), [
    (R.Rate(10), R.Rate(10), (None, None), True, None, 0.0),
    # the user's bucket is full up to the burst: the user's refusal
    (R.Rate(10), R.Rate(100), (T0 + 60, None), False, R.Scope.USER, 6.0),
    # the tenant's bucket is spent by others: the tenant's refusal
    (R.Rate(10), R.Rate(100), (None, T0 + 60), False, R.Scope.TENANT, 0.6),
    # both spent: the user's, and the longer wait
    (R.Rate(10), R.Rate(100), (T0 + 60, T0 + 61), False, R.Scope.USER, 6.0),
    # a past arrival time is a full bucket
    (R.Rate(10), R.Rate(10), (T0 - 3600, T0 - 3600), True, None, 0.0),
])
def test_both_buckets(user: R.Rate, tenant: R.Rate, tats: tuple[float | None, float | None],
                      allowed: bool, scope: R.Scope | None, retry_after: float) -> None:
    decision = R.decide(tats, R.Limits(user, tenant), T0)
    assert (decision.allowed, decision.scope) == (allowed, scope)
    assert decision.retry_after == pytest.approx(retry_after)


def test_an_admitted_request_charges_both_buckets_and_a_refused_one_neither() -> None:
    limits = R.Limits(R.Rate(60), R.Rate(120))
    first = R.decide((None, None), limits, T0)
    assert first.tats == (pytest.approx(T0 + 1.0), pytest.approx(T0 + 0.5))
    refused = R.decide((T0 + 60, T0 + 0.5), limits, T0)
    assert not refused.allowed and refused.tats == (0.0, 0.0)


def test_the_tenant_caps_the_sum_of_its_users() -> None:
    limits = R.Limits(R.Rate(10), R.Rate(15))
    tenant: float | None = None
    admitted = 0
    for user in range(5):
        mine: float | None = None
        for _ in range(10):
            decision = R.decide((mine, tenant), limits, T0)
            if decision.allowed:
                mine, tenant = decision.tats
                admitted += 1
    assert admitted == 15


@pytest.mark.parametrize(("route", "user", "tenant"), [
    (R.RouteClass.PLAY, 60, 6_000),
    (R.RouteClass.REFRESH, 30, 30_000),
    (R.RouteClass.HEARTBEAT, 60, 30_000),
    (R.RouteClass.EVENTS, 600, 300_000),
    (R.RouteClass.UPLOAD, 60, 600),
])
def test_default_limits(route: R.RouteClass, user: int, tenant: int) -> None:
    assert R.limits_for(TenantSettings(), route) == R.Limits(R.Rate(user), R.Rate(tenant))


def test_a_tenant_setting_changes_its_route_only() -> None:
    custom = TenantSettings(rate_heartbeat_user_per_minute=5)
    assert R.limits_for(custom, R.RouteClass.HEARTBEAT).user == R.Rate(5)
    assert R.limits_for(custom, R.RouteClass.PLAY) == R.limits_for(TenantSettings(),
                                                                   R.RouteClass.PLAY)


@pytest.mark.parametrize(("seconds", "header"), [
    (0.0, 1), (0.001, 1), (1.0, 1), (1.2, 2), (6.0, 6), (59.5, 60)])
def test_retry_after_is_whole_seconds_at_least_one(seconds: float, header: int) -> None:
    assert R.retry_after_header(seconds) == header


def honest_player(minutes: int, start: float = 0.0) -> list[tuple[float, R.RouteClass, int]]:
    """The /app/player/ rhythm, pessimistic: a play every 10 minutes, a heartbeat every 10 s
    (a third of the CDN cookie's life, 30 s with the shortest playback token; 30 s by default),
    a batch every 5 s (10 events when seeking hard, else 3), a hide/show beacon pair every
    minute, a refresh every 20 s (a 30 s token, the shortest the settings allow), an end every
    10 minutes."""
    out: list[tuple[float, R.RouteClass, int]] = []
    for minute in range(minutes):
        base = start + minute * 60
        out += [(base, R.RouteClass.PLAY, 1)] if minute % 10 == 0 else []
        out += [(base + s, R.RouteClass.HEARTBEAT, 1) for s in range(0, 60, 10)]
        out += [(base + s, R.RouteClass.EVENTS, 10 if minute % 3 == 0 else 3)
                for s in range(0, 60, 5)]
        out += [(base + 41, R.RouteClass.EVENTS, 10), (base + 42, R.RouteClass.EVENTS, 1)]
        out += [(base + s, R.RouteClass.REFRESH, 1) for s in (20, 40, 59)]
        out += [(base + 59.5, R.RouteClass.REFRESH, 1)] if minute % 10 == 9 else []
    return sorted(out)


def simulate(traffic: list[tuple[float, str, R.RouteClass, int]],
             settings: TenantSettings) -> list[tuple[float, str, R.RouteClass]]:
    """Run (time, user, route, cost) through buckets kept in a dict; the refused ones."""
    buckets: dict[tuple[str, R.RouteClass], float] = {}
    refused = []
    for at, user, route, cost in sorted(traffic, key=lambda t: t[0]):
        tats = (buckets.get((user, route)), buckets.get(("*", route)))
        decision = R.decide(tats, R.limits_for(settings, route), T0 + at, cost)
        if decision.allowed:
            buckets[(user, route)], buckets[("*", route)] = decision.tats
        else:
            refused.append((at, user, route))
    return refused


def test_an_honest_class_never_meets_the_defaults() -> None:
    # 30 students of one tenant (behind one NAT or not: limits are keyed by user and tenant),
    # two hours each, plus a student who plays 3 screens at once (max_sessions=3).
    traffic = [(at, f"s{n}", route, cost) for n in range(30)
               for at, route, cost in honest_player(120, start=n * 0.7)]
    traffic += [(at + k, "multi", route, cost) for k in range(3)
                for at, route, cost in honest_player(60)]
    assert simulate(traffic, TenantSettings()) == []


def test_a_large_academy_at_its_peak_stays_under_the_tenant_defaults() -> None:
    # 3000 students start the same lecture within a minute, then play on.
    traffic = [(n * 0.02, f"s{n}", R.RouteClass.PLAY, 1) for n in range(3000)]
    traffic += [(n * 0.02 + s, f"s{n}", R.RouteClass.HEARTBEAT, 1) for n in range(3000)
                for s in (30, 60, 90)]
    traffic += [(n * 0.02 + s, f"s{n}", R.RouteClass.EVENTS, 3) for n in range(3000)
                for s in range(5, 120, 5)]
    assert simulate(traffic, TenantSettings()) == []


@pytest.mark.parametrize(("route", "per_second", "cost", "at_most"), [
    # one student flooding for a minute gets about two minutes' worth of the default
    (R.RouteClass.HEARTBEAT, 50, 1, 120),
    (R.RouteClass.PLAY, 50, 1, 120),
    (R.RouteClass.EVENTS, 50, 100, 1200),
    (R.RouteClass.UPLOAD, 50, 1, 120),
])
def test_a_flood_is_cut_to_the_default(route: R.RouteClass, per_second: int, cost: int,
                                       at_most: int) -> None:
    traffic = [(i / per_second, "flood", route, cost) for i in range(per_second * 60)]
    refused = simulate(traffic, TenantSettings())
    admitted_units = (len(traffic) - len(refused)) * cost
    assert admitted_units <= at_most and len(refused) > len(traffic) * 0.9
