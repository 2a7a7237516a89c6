"""Latency and throughput of ``play/`` and ``heartbeat/`` through real gateway processes.

Run on the test stack (see docs/benchmarks.md)::

    set -a; PROFILE=test; . infra/env.sh; set +a
    .venv/bin/python bench/playback_bench.py [--users 200] [--plays 1000] [--heartbeats 5000]
        [--concurrency 16] [--heartbeat-concurrency 32] [--gateways 1,2,2,1] [--json FILE]

Starts one ``python -m agents`` worker (in the usual consumer group, with its own table store
under .infra/test/bench-faust, kept while the Kafka data is) and one or two
``python -m gateway`` processes on free ports (the classes of tests/conftest.py), and stops
them at the end. Builds a fresh tenant through the HTTP API:
``--users`` students enrolled in a class session with one READY link video. Student ``u{k}``
always plays from one device, so every measured play *replaces* that user's previous session
(the actor revokes one session and opens one); a warm-up round of one play per user, not
measured, gives every user a live session first. Then it fires a fixed number of plays and
heartbeats with a fixed number in flight, request ``i`` from user ``i % users`` to gateway
``i % gateways``. Phases run with 1, 2, 2, then 1 gateway (``--gateways``), and it prints
markdown tables: requests/s, p50/p99 latency, the answers that were not 200, and the CPU time
each process spent per request.

The tenant is kept: the test stack starts from empty data at every ``make test``, and deleting
it would make the recorder fail on lifecycle events a worker replays after a rebalance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from config.settings import Settings, load_settings
from gateway.auth import mint_token
from tests.conftest import ROOT, AgentsWorker, GatewayProcess

ASSIGNED = b"Executing _on_partitions_assigned"  # the worker logs it at every rebalance
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SETTLE_SECONDS = 0.5  # the worker counts as idle below 5 % CPU over this long
WARMUP_ROUNDS = 5


@dataclass
class Result:
    """One measured phase."""

    gateways: int
    endpoint: str
    requests: int
    concurrency: int
    seconds: float
    p50: float
    p99: float
    non_200: dict[str, int] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU ms per request, by process
    timings: list[float] = field(default_factory=list, repr=False)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def summary(self) -> dict[str, Any]:
        """JSON of the phase, without the latencies."""
        return {**{k: v for k, v in asdict(self).items() if k != "timings"}, "rate": self.rate}


def combine(rows: list[Result]) -> list[Result]:
    """The phases of each (gateways, endpoint) as one: latencies pooled, rates over the total
    time, CPU per request weighted by requests."""
    groups: dict[tuple[int, str], list[Result]] = {}
    for r in rows:
        groups.setdefault((r.gateways, r.endpoint), []).append(r)
    out = []
    for (gateways, endpoint), rs in sorted(groups.items(), key=lambda g: (g[0][1] != "play",
                                                                          g[0][0])):
        timings = [t for r in rs for t in r.timings]
        requests = sum(r.requests for r in rs)
        cuts = statistics.quantiles(timings, n=100, method="inclusive")
        non_200: Counter[str] = Counter()
        for r in rs:
            non_200.update(r.non_200)
        out.append(Result(
            gateways, endpoint, requests, rs[0].concurrency, sum(r.seconds for r in rs),
            statistics.median(timings), cuts[98], dict(non_200),
            {k: sum(r.cpu_ms[k] * r.requests for r in rs) / requests for k in rs[0].cpu_ms},
            timings))
    return out


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU time of a live process (0 when it is gone); with ``reaped``, plus
    that of its children that exited and were waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15 if reaped else 13]) / CLOCK_TICKS


class CpuMeter:
    """CPU time of the client, gateways, worker and the stack's services, by group."""

    def __init__(self, worker: int, gateways: list[int]) -> None:
        self.groups: dict[str, Callable[[], list[int]]] = {
            "client": lambda: [os.getpid()], "gateways": lambda: list(gateways),
            "worker": lambda: [worker]}
        pids = ROOT / ".infra" / "test" / "pids"
        for name in ("kafka", "postgres", "redis"):
            try:
                pid = int((pids / f"{name}.pid").read_text())
            except (OSError, ValueError):
                continue
            self.groups[name] = lambda p=pid: [p]

    def sample(self) -> dict[str, float]:
        cpu = {name: sum(cpu_seconds(p) for p in pids()) for name, pids in self.groups.items()}
        if "postgres" in cpu:
            # The backends are the postmaster's children: the live ones, and those that exited
            # (the postmaster reaps them, so their time moves into its children's time).
            postmaster = self.groups["postgres"]()[0]
            cpu["postgres"] = cpu_seconds(postmaster, reaped=True) + sum(
                cpu_seconds(c) for c in children(postmaster))
        return cpu

    async def settle(self, timeout: float = 30.0) -> float:
        """Wait until the worker is idle (it has caught up with the commands sent so far), so
        a phase does not pay for the previous one."""
        started = time.monotonic()
        last = self.sample()["worker"]
        while time.monotonic() < started + timeout:
            await asyncio.sleep(SETTLE_SECONDS)
            now = self.sample()["worker"]
            if now - last < SETTLE_SECONDS * 0.05:
                break
            last = now
        return time.monotonic() - started


def children(pid: int) -> list[int]:
    try:
        return [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]
    except OSError:
        return []


def worker_data_dir(fallback: Path) -> Path:
    """The worker's table store, kept between runs on the same Kafka data (recovering the
    tables from their changelogs from scratch takes longer the older the test stack is)."""
    meta = ROOT / ".infra" / "test" / "kafka" / "data" / "meta.properties"
    try:
        cluster = next(line.split("=", 1)[1].strip() for line in meta.read_text().splitlines()
                       if line.startswith("cluster.id="))
    except (OSError, StopIteration):
        return fallback
    base = ROOT / ".infra" / "test" / "bench-faust"
    for old in base.glob("*"):
        if old.name != cluster:  # tables of an earlier Kafka: offsets that no longer exist
            shutil.rmtree(old, ignore_errors=True)
    (base / cluster).mkdir(parents=True, exist_ok=True)
    return base / cluster


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bearer(settings: Settings, tenant: str, role: str, sub: str) -> dict[str, str]:
    token = mint_token(settings.auth_jwt_secret, tenant=tenant, sub=sub, role=role,
                       ttl_seconds=3 * 3600)
    return {"Authorization": f"Bearer {token}"}


async def build_class(http: aiohttp.ClientSession, base: str, admin: dict[str, str],
                      users: int) -> tuple[int, list[int]]:
    """A READY link video and ``users`` students ``u0..`` enrolled in its session."""
    async def send(method: str, path: str, body: Any) -> Any:
        async with http.request(method, base + path, json=body, headers=admin) as resp:
            assert resp.status in (200, 201), await resp.text()
            return await resp.json()

    # The tenant defaults (one stream, two devices, reject): a same-device play replaces.
    await send("PATCH", "/api/v1/media/settings/", {"max_sessions": 1, "max_devices": 2,
                                                    "on_limit": "reject"})
    cat = "/api/v1/catalog/"
    lecture = await send("POST", cat + "lectures/", {"title": "Bench lecture"})
    session = await send("POST", cat + "sessions/", {"lecture": lecture["id"], "title": "W1"})
    students = await send("POST", cat + "students/", [
        {"user_id": f"u{i}", "name": f"Student {i}"} for i in range(users)])
    enrollments = await send("POST", cat + "enrollments/", [
        {"student": s["id"], "lecture": lecture["id"]} for s in students])
    await send("POST", cat + "session-enrollments/", [
        {"session": session["id"], "enrollment": e["id"]} for e in enrollments])
    video = await send("POST", "/api/v1/media/videos/add-url/", {
        "session": session["id"], "title": "V", "url": "https://example.org/v.mp4"})
    return video["id"], [e["id"] for e in enrollments]


Request = tuple[str, dict[str, Any], dict[str, str]]  # url, json body, headers


async def fire(count: int, concurrency: int, request: Callable[[int], Request],
               on_ok: Callable[[int, Any], None] | None = None
               ) -> tuple[float, list[float], Counter[str]]:
    """``count`` POSTs with ``concurrency`` in flight; (seconds, latencies ms, non-200s)."""
    timings: list[float] = []
    failed: Counter[str] = Counter()
    next_index = 0

    async def worker(http: aiohttp.ClientSession) -> None:
        nonlocal next_index
        while next_index < count:
            i = next_index
            next_index += 1
            url, body, headers = request(i)
            started = time.perf_counter()
            try:
                async with http.post(url, json=body, headers=headers) as resp:
                    raw = await resp.read()
                    status = resp.status
            except aiohttp.ClientError as exc:
                failed[f"client error {type(exc).__name__}"] += 1
                continue
            timings.append((time.perf_counter() - started) * 1000)
            if status != 200:
                try:
                    detail = json.loads(raw).get("detail", "")
                except ValueError:
                    detail = raw[:60].decode(errors="replace")
                failed[f"{status} {detail}"] += 1
            elif on_ok is not None:
                on_ok(i, json.loads(raw))

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        return time.perf_counter() - started, timings, failed


async def measured(meter: CpuMeter, gateways: int, endpoint: str, count: int, concurrency: int,
                   request: Callable[[int], Request],
                   on_ok: Callable[[int, Any], None] | None = None) -> Result:
    """One measured phase: latencies, non-200 answers and CPU time per request, from an idle
    worker to an idle worker."""
    waited = await meter.settle()
    print(f"{gateways} gateway(s), {endpoint}: worker idle after {waited:.1f} s, measuring")
    before = meter.sample()
    seconds, timings, failed = await fire(count, concurrency, request, on_ok)
    # Heartbeats do not wait for the actor: count the work it still has queued (the settle
    # adds at most a few idle ms of the worker's own timers).
    await meter.settle()
    after = meter.sample()
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    return Result(gateways, endpoint, count, concurrency, seconds, statistics.median(timings),
                  cuts[98], dict(failed),
                  {k: (after[k] - before[k]) * 1000 / count for k in after}, timings)


class Bench:
    """The class, the users' tokens and the latest playback token of every user."""

    def __init__(self, settings: Settings, tenant: str, video: int, enrollments: list[int]
                 ) -> None:
        self.video = video
        self.enrollments = enrollments
        self.students = [bearer(settings, tenant, "student", f"u{k}")
                         for k in range(len(enrollments))]
        self.tokens: dict[int, tuple[int, str]] = {}  # user -> (play sequence, token)
        self.plays_sent = 0  # plays of earlier rounds: a later play's token wins

    def play_request(self, bases: list[str], who: list[int]) -> Callable[[int], Request]:
        """Play ``i`` is user ``who[i % len(who)]``'s, from that user's only device."""
        def make(i: int) -> Request:
            k = who[i % len(who)]
            return (f"{bases[i % len(bases)]}/api/v1/media/videos/{self.video}/play/",
                    {"enrollment_id": self.enrollments[k], "device_id": f"dev-{k}"},
                    self.students[k])
        return make

    def granted(self, who: list[int], count: int,
                fresh: set[int] | None = None) -> Callable[[int, Any], None]:
        """Keeps the token of each user's latest play of a round of ``count`` plays."""
        offset = self.plays_sent
        self.plays_sent += count

        def keep(i: int, body: Any) -> None:
            k, seq = who[i % len(who)], offset + i
            if seq >= self.tokens.get(k, (-1, ""))[0]:
                self.tokens[k] = (seq, body["token"])
            if fresh is not None:
                fresh.add(k)
        return keep

    def heartbeat_request(self, bases: list[str]) -> Callable[[int], Request]:
        users = len(self.enrollments)

        def make(i: int) -> Request:
            k = i % users
            return (f"{bases[i % len(bases)]}/api/v1/media/videos/{self.video}/heartbeat/",
                    {"token": self.tokens[k][1], "position": float(i % 600)},
                    self.students[k])
        return make

    async def warm_up(self, bases: list[str], args: argparse.Namespace) -> None:
        """One granted play per user (retried: a rebalance of the worker group answers 503
        for a few seconds), then one heartbeat per user."""
        fresh: set[int] = set()
        for _ in range(WARMUP_ROUNDS):
            who = [k for k in range(len(self.enrollments)) if k not in fresh]
            if not who:
                break
            _, _, failed = await fire(len(who), args.concurrency, self.play_request(bases, who),
                                      self.granted(who, len(who), fresh))
            if failed:
                print(f"warm-up plays not granted, retrying: {dict(failed)}")
                await asyncio.sleep(2)
        else:
            raise RuntimeError(f"warm-up: {len(self.enrollments) - len(fresh)} users never "
                               "granted (is another worker of the group rebalancing?)")
        _, _, failed = await fire(len(self.enrollments), args.heartbeat_concurrency,
                                  self.heartbeat_request(bases))
        if failed:
            print(f"warm-up heartbeats not 200: {dict(failed)}")

    async def measure(self, bases: list[str], args: argparse.Namespace,
                      meter: CpuMeter) -> list[Result]:
        """Warm-up, then the measured plays and heartbeats."""
        await self.warm_up(bases, args)
        everyone, g = list(range(len(self.enrollments))), len(bases)
        plays = await measured(meter, g, "play", args.plays, args.concurrency,
                               self.play_request(bases, everyone),
                               self.granted(everyone, args.plays))
        beats = await measured(meter, g, "heartbeat", args.heartbeats,
                               args.heartbeat_concurrency, self.heartbeat_request(bases))
        return [plays, beats]


def start_gateway(logs: Path) -> GatewayProcess:
    port = free_port()
    gateway = GatewayProcess(port, logs / f"gateway-{port}.log")
    try:
        gateway.wait_ready()
    except BaseException:
        gateway.stop()
        raise
    return gateway


def run(settings: Settings, args: argparse.Namespace) -> list[Result]:
    """Start the processes, measure each gateway count in turn, stop everything we started."""
    logs = Path(tempfile.mkdtemp(prefix="playback-bench-"))
    slug = f"bench-{uuid.uuid4().hex[:10]}"
    admin = bearer(settings, slug, "admin", "bench-admin")
    started = time.perf_counter()
    worker = AgentsWorker(logs / "worker.log", extra_env={
        "AGENTS_DATA_DIR": str(worker_data_dir(logs / "faust"))})
    gateways: list[GatewayProcess] = []
    gateway_pids: list[int] = []
    rows: list[Result] = []

    def gateway_urls(count: int) -> list[str]:
        # Exactly ``count`` gateway processes run during a phase: none idles on the CPU.
        while len(gateways) > count:
            gateways.pop().stop()
            gateway_pids.pop()
        while len(gateways) < count:
            gateways.append(start_gateway(logs))
            gateway_pids.append(gateways[-1].process.pid)
        return [g.url for g in gateways]

    try:
        base = gateway_urls(1)[0]
        worker.wait_ready()
        print(f"worker and gateway ready in {time.perf_counter() - started:.1f} s "
              f"(logs in {logs})")
        assignments = worker.log_path.read_bytes().count(ASSIGNED)
        meter = CpuMeter(worker.process.pid, gateway_pids)

        async def build() -> Bench:
            async with aiohttp.ClientSession() as http:
                video, enrollments = await build_class(http, base, admin, args.users)
            return Bench(settings, slug, video, enrollments)

        bench = asyncio.run(build())
        for count in args.gateways:
            rows += asyncio.run(bench.measure(gateway_urls(count), args, meter))
        rebalances = worker.log_path.read_bytes().count(ASSIGNED) - assignments
        if rebalances:
            # Another worker of the group (a test suite's) joined or left while we measured.
            print(f"WARNING: {rebalances} consumer group rebalance(s) while measuring")
    finally:
        for g in gateways:
            g.stop()
        worker.stop()
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"done in {time.perf_counter() - started:.1f} s (tenant {slug}; load {load})\n")
    return rows


def print_tables(phases: list[Result], total: list[Result]) -> None:
    """The phases in run order, then each (gateways, endpoint) over its phases, then CPU."""
    def latency_table(title: str, rows: list[Result]) -> None:
        print(f"{title}\n")
        print("| gateways | endpoint | requests | in flight | requests/s | p50 ms | p99 ms "
              "| non-200 |")
        print("|---:|---|---:|---:|---:|---:|---:|---|")
        for r in rows:
            bad = ", ".join(f"{n} x {k}" for k, n in r.non_200.items()) or "0"
            print(f"| {r.gateways} | `{r.endpoint}/` | {r.requests} | {r.concurrency} "
                  f"| {r.rate:.0f} | {r.p50:.1f} | {r.p99:.1f} | {bad} |")
        print()

    latency_table("Phases, in run order:", phases)
    latency_table("By gateway count (phases pooled):", total)
    names = list(total[0].cpu_ms)
    print("CPU ms per request, by process (the stack's services include other users' load):\n")
    print("| gateways | endpoint | " + " | ".join(names) + " | total |")
    print("|---:|---|" + "---:|" * (len(names) + 1))
    for r in total:
        print(f"| {r.gateways} | `{r.endpoint}/` | "
              + " | ".join(f"{r.cpu_ms[n]:.2f}" for n in names)
              + f" | {sum(r.cpu_ms.values()):.2f} |")


def main() -> None:
    """Entry point: settings from the environment (the test stack's infra/env.sh)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="students (default 200)")
    parser.add_argument("--plays", type=int, default=1000, help="measured plays (1000)")
    parser.add_argument("--heartbeats", type=int, default=5000,
                        help="measured heartbeats (5000)")
    parser.add_argument("--concurrency", type=int, default=16, help="plays in flight (16)")
    parser.add_argument("--heartbeat-concurrency", type=int, default=32,
                        help="heartbeats in flight (32)")
    parser.add_argument("--gateways", default=[1, 2, 2, 1],
                        type=lambda v: [int(n) for n in v.split(",")],
                        help="gateway counts of the phases, in order (default 1,2,2,1: "
                             "the order matters as much as the count, so each count gets an "
                             "early and a late phase)")
    parser.add_argument("--json", type=Path, help="append the results as one JSON line")
    args = parser.parse_args()
    # A SIGTERM (e.g. from `timeout`) unwinds too, so the processes we started are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.users < args.concurrency:
        parser.error("--users must be at least --concurrency (one play per user in flight)")
    # Each student plays and beats far faster than a player (the rate limits' defaults):
    # the gateways this bench starts measure throughput, so their limits are lifted.
    for route in ("PLAY", "HEARTBEAT"):
        os.environ.setdefault(f"TENANT_DEFAULT_RATE_{route}_USER_PER_MINUTE", "100000")
        os.environ.setdefault(f"TENANT_DEFAULT_RATE_{route}_TENANT_PER_MINUTE", "10000000")
    phases = run(load_settings(os.environ), args)
    total = combine(phases)
    print_tables(phases, total)
    if args.json:
        with args.json.open("a") as f:
            f.write(json.dumps({"phases": [r.summary() for r in phases],
                                "total": [r.summary() for r in total]}) + "\n")


if __name__ == "__main__":
    main()
