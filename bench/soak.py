"""Soak: the storm's mix at about half of capacity for a long time; nothing may creep upwards.

    .venv/bin/python bench/soak.py [--minutes 30] [--students 40] [--interval 10]
        [--capacity-seconds 20] [--rate R] [--csv FILE]
    .venv/bin/python bench/soak.py --report FILE    # the table of an earlier --csv

Starts the chaos stack (``bench/chaos_stack.py``: its own services, two gateways, two
session-agents workers, the recorders, dispatch, a transcoder). First it measures capacity:
the storm with no pause between a student's requests for ``--capacity-seconds``, answers per
second (``--rate`` skips this and soaks at the rate given). Then it paces the storm to half of
that and samples every ``--interval`` seconds: the
RSS and open file descriptors of every process (PostgreSQL: the postmaster and its backends),
every consumer group's lag, and Redis's memory. It prints a table: first and last value and the
least-squares slope per hour of each series over the second half of the run (the first half
includes warm-up: caches filling, JIT, pools opening), and whether every accepted event was
stored exactly once at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
import asyncpg

from bench.chaos import deploy
from bench.chaos_audit import audit_events
from bench.chaos_stack import ChaosStack
from bench.chaos_storm import Storm, build_classroom
from storage.cache import create_redis
from streams.lag import group_lags

PAGE = os.sysconf("SC_PAGE_SIZE")
SERVICES = ("kafka", "postgres", "redis", "s3")


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def rss_mb(pids: list[int]) -> float:
    """Resident memory of ``pids``, in MB."""
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
    return total / 1e6


def open_fds(pids: list[int]) -> int:
    """Open file descriptors of ``pids``."""
    total = 0
    for pid in pids:
        try:
            total += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return total


def processes(stack: ChaosStack) -> dict[str, list[int]]:
    """Every process of the run by name (PostgreSQL: the postmaster and its children)."""
    procs = {name: [m.popen().pid] for name, m in stack.members.items()}
    for name in SERVICES:
        pid = stack.service_pid(name)
        procs[name] = [pid, *_children(pid)] if name == "postgres" else [pid]
    return procs


def slope_per_hour(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in points) / n
    my = sum(v for _, v in points) / n
    var = sum((t - mx) ** 2 for t, _ in points)
    return 0.0 if var == 0 else sum((t - mx) * (v - my) for t, v in points) / var * 3600


async def capacity(stack: ChaosStack, students: int, seconds: float) -> float:
    """Answers per second of the storm with no pause between a student's requests."""
    async with aiohttp.ClientSession() as http:
        room = await build_classroom(http, stack.gateway_urls()[0], stack.settings, students)
    storm = Storm(stack.settings, stack.gateway_urls(), room, round_seconds=0.0)
    await storm.start()
    await asyncio.sleep(seconds)
    ledger = await storm.stop()
    return len(ledger.answers) / seconds


async def sample(stack: ChaosStack, started: float) -> dict[str, float]:
    """One sample of every series."""
    out: dict[str, float] = {"t": time.monotonic() - started}
    for name, pids in processes(stack).items():
        out[f"rss MB {name}"] = rss_mb(pids)
        out[f"fds {name}"] = open_fds(pids)
    for group, lag in (await group_lags(stack.settings.kafka_bootstrap_servers)).items():
        out[f"lag {group}"] = lag
    redis = create_redis(stack.settings)
    try:
        info = await redis.info("memory")
        out["redis used MB"] = int(info["used_memory"]) / 1e6
    finally:
        await redis.aclose()
    return out


async def soak(stack: ChaosStack, args: argparse.Namespace) -> list[dict[str, float]]:
    """Measure capacity, then run the paced storm and sample it."""
    full = (2 * args.rate if args.rate
            else await capacity(stack, args.students, args.capacity_seconds))
    # A student sends about two requests per round: pace the rounds to half of capacity.
    per_student = full / 2 / args.students
    round_seconds = max(0.0, 2 / per_student)
    print(f"capacity {full:.0f} answers/s; soaking at ~{full / 2:.0f}/s "
          f"({args.students} students, a round every {round_seconds:.2f} s)", flush=True)
    async with aiohttp.ClientSession() as http:
        room = await build_classroom(http, stack.gateway_urls()[0], stack.settings,
                                     args.students)
    storm = Storm(stack.settings, stack.gateway_urls(), room, round_seconds=round_seconds)
    started = time.monotonic()
    samples = []
    await storm.start()
    try:
        while time.monotonic() - started < args.minutes * 60:
            samples.append(await sample(stack, started))
            answered = len(storm.ledger.answers)
            print(f"{samples[-1]['t']:6.0f} s  {answered} answers", flush=True)
            await asyncio.sleep(args.interval)
    finally:
        ledger = await storm.stop()
    pool = await asyncpg.create_pool(stack.settings.database_url, min_size=1, max_size=1)
    try:
        audit = await audit_events(pool, room.tenant, ledger.accepted_marks)
    finally:
        await pool.close()
    elapsed = time.monotonic() - started
    print(f"\n{len(ledger.answers) / elapsed:.0f} answers/s over {elapsed / 60:.1f} min; "
          f"answers {dict(ledger.statuses())}; bad {len(ledger.bad())}; events accepted "
          f"{audit.accepted}, stored once {audit.stored_once}, duplicates {audit.duplicates}")
    return samples


def report(samples: list[dict[str, float]]) -> str:
    """A markdown table: first and last value, the highest of each half, and the slope per
    hour over the second half (a series that only saws up and down has a flat second-half
    maximum; one that leaks has a higher one)."""
    middle = len(samples) // 2
    first_half, second_half = samples[:middle], samples[middle:]
    series = sorted({k for s in samples for k in s if k != "t"})
    lines = [("| series | first | max, first half | max, second half | last | slope per hour "
              "(second half) |"), "|---|---:|---:|---:|---:|---:|"]
    for key in series:
        points = [(s["t"], s[key]) for s in second_half if key in s]
        first = next((s[key] for s in samples if key in s), 0.0)
        top1 = max((s[key] for s in first_half if key in s), default=0.0)
        top2 = max((s[key] for s in second_half if key in s), default=0.0)
        last = second_half[-1].get(key, 0.0)
        lines.append(f"| {key} | {first:.1f} | {top1:.1f} | {top2:.1f} | {last:.1f} | "
                     f"{slope_per_hour(points):+.1f} |")
    return "\n".join(lines)


def read_csv(path: Path) -> list[dict[str, float]]:
    """Samples written by ``--csv``."""
    with path.open() as f:
        return [{k: float(v) for k, v in row.items() if v} for row in csv.DictReader(f)]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--interval", type=float, default=10)
    parser.add_argument("--capacity-seconds", type=float, default=20)
    parser.add_argument("--rate", type=float, default=0.0,
                        help="answers/s to soak at (default: half of the measured capacity)")
    parser.add_argument("--csv", type=Path, help="write the samples to this file")
    parser.add_argument("--report", type=Path, help="only print the table of a --csv file")
    args = parser.parse_args()
    if args.report:
        print(report(read_csv(args.report)))
        return
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    stack = ChaosStack.create(work / "run")
    try:
        deploy(stack)
        await asyncio.to_thread(stack.launch_all)
        samples = await soak(stack, args)
    finally:
        stack.stop()
    print(report(samples))
    if args.csv:
        keys = sorted({k for s in samples for k in s})
        rows = [",".join(keys)] + [",".join(str(s.get(k, "")) for k in keys) for s in samples]
        args.csv.write_text("\n".join(rows) + "\n")
    print(f"\nlogs: {work}")


if __name__ == "__main__":
    asyncio.run(main())
