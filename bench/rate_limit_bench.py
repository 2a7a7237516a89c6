"""What the rate limiter costs on the hottest limited path: heartbeat/ with and without it.

    set -a; PROFILE=test; . infra/env.sh; set +a      # the test stack must be up
    .venv/bin/python bench/rate_limit_bench.py [--heartbeats 500] [--rounds 6]

The real ``create_app(settings)`` on a local port (aiohttp's TestServer, client in the same
process), one live session opened in the Redis read model, then rounds of sequential
heartbeats, alternating "limiter on" and "limiter off" (``admit`` replaced by a no-op) so both
see the same machine noise. The bench tenant's heartbeat limits are lifted, so every
heartbeat is charged and admitted (the cost measured is the admitted path's).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import msgspec
from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import Settings, load_settings  # noqa: E402
from gateway import keys, playback  # noqa: E402
from gateway import playback_tokens as pt  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.auth import mint_token  # noqa: E402


async def _no_limit(*_args: object, **_kwargs: object) -> None:
    return None


async def one_round(api: TestClient, url: str, body: dict[str, str], headers: dict[str, str],
                    n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        resp = await api.post(url, json=body, headers=headers)
        await resp.read()
        out.append((time.perf_counter() - started) * 1000)
        assert resp.status == 200, resp.status
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heartbeats", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    base = load_settings(os.environ)
    settings: Settings = dataclasses.replace(base, tenant_defaults=msgspec.structs.replace(
        base.tenant_defaults, rate_heartbeat_user_per_minute=100_000,
        rate_heartbeat_tenant_per_minute=10_000_000))
    tenant, user = f"bench-{uuid.uuid4().hex[:8]}", "rl-student"
    headers = {"Authorization": "Bearer " + mint_token(settings.auth_jwt_secret, tenant=tenant,
                                                       sub=user, role="student")}
    api = TestClient(TestServer(create_app(settings)))
    await api.start_server()
    try:
        app = api.server.app
        # A first request creates the tenant; then a session the read model calls live.
        await api.get("/api/v1/media/my-videos/", headers=headers)
        tenant_id = app[keys.TENANT_IDS]._ids[tenant]
        session = uuid.uuid4().hex
        await app[keys.LIVE].open(session, user=user, video_id=1, last_seen=time.time(),
                                  idle_seconds=3600)
        claims = pt.PlaybackClaims(tenant=tenant, tenant_id=tenant_id, user_id=user, video_id=1,
                                   enrollment_id=1, device_id="d", session_id=session)
        body = {"token": pt.sign(claims, app[keys.PLAYBACK_KEYS], now=time.time(),
                                 ttl_seconds=3600)}
        url = "/api/v1/media/videos/1/heartbeat/"
        real = playback.admit
        await one_round(api, url, body, headers, 50)  # warm-up
        results: dict[str, list[float]] = {"limiter on": [], "limiter off": []}
        for r in range(args.rounds):
            mode = "limiter on" if r % 2 == 0 else "limiter off"
            playback.admit = real if mode == "limiter on" else _no_limit  # type: ignore[assignment]
            results[mode] += await one_round(api, url, body, headers, args.heartbeats)
        playback.admit = real
        print(f"{args.rounds // 2} x {args.heartbeats} sequential heartbeats per mode")
        print("| mode | p50 ms | p90 ms | p99 ms | mean ms |")
        print("|---|---:|---:|---:|---:|")
        for mode, values in results.items():
            q = statistics.quantiles(values, n=100)
            print(f"| {mode} | {statistics.median(values):.2f} | {q[89]:.2f} | {q[98]:.2f} | "
                  f"{statistics.fmean(values):.2f} |")
        await app[keys.LIVE].close(session, "ENDED", "bench over")
    finally:
        await api.close()


if __name__ == "__main__":
    asyncio.run(main())
