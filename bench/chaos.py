"""Faults during a mixed storm: nothing accepted is lost, no limit is broken, no 500.

    .venv/bin/python bench/chaos.py [--faults gateway,agents,...] [--students 40]
        [--warm 8] [--hold 5] [--postgres-hold 30] [--after 15] [--brokers 3] [--burst 2000]
        [--json FILE]

Starts its own throwaway stack (``PROFILE=chaos``: Kafka, PostgreSQL, Redis and S3 on ports
of their own, from empty data; ``--brokers 3`` makes Kafka a three-broker KRaft cluster) and
the processes of a deployment: two gateways, two session-agents workers, the recorders,
dispatch and a transcoder. First a burst (``bench/chaos_burst.py``: ``--burst`` requests in
flight at once against one gateway). Then, for each fault in turn, one round: a fresh tenant, an upload
to transcode, students playing, beating and sending event batches against both gateways, the
fault after ``--warm`` seconds, healed after ``--hold`` (``--postgres-hold`` for PostgreSQL), and
``--after`` seconds more of storm. It prints one line per fault and a markdown table, and exits
non-zero if any round broke a promise (see ``bench/chaos_run.Row.holds``). Everything it
started is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos_burst import burst_round
from bench.chaos_faults import BROKER_FAULT, FAULTS, by_name
from bench.chaos_run import Row, Timing, make_source, run_round, table
from bench.chaos_stack import ChaosStack


def deploy(stack: ChaosStack) -> None:
    """The processes of the run, named as the faults name them."""
    stack.add_gateway("gateway-1")
    stack.add_gateway("gateway-2")
    stack.add_agents("agents-1")
    stack.add_agents("agents-2")
    stack.add_recorders()
    stack.add_agents("dispatch", module="agents.dispatch_worker")
    stack.add_transcoder()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    default = ",".join(f.name for f in FAULTS)
    parser.add_argument("--faults", default=default, help=f"comma-separated (default {default})")
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--warm", type=float, default=8.0)
    parser.add_argument("--hold", type=float, default=5.0)
    parser.add_argument("--postgres-hold", type=float, default=30.0)
    parser.add_argument("--after", type=float, default=15.0)
    parser.add_argument("--brokers", type=int, choices=(1, 3), default=1)
    parser.add_argument("--burst", type=int, default=2000,
                        help="requests in flight in the burst round before the faults (0: none)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    faults = [by_name(n) for n in args.faults.split(",") if n]
    if args.brokers == 3 and BROKER_FAULT not in faults:
        faults.append(BROKER_FAULT)
    work = Path(tempfile.mkdtemp(prefix="chaos-"))
    clip = make_source(work / "clip.mp4", 20)
    stack = ChaosStack.create(work / "run", {"KAFKA_BROKERS": str(args.brokers)})
    rows: list[Row] = []
    ok = True
    try:
        deploy(stack)
        await asyncio.to_thread(stack.launch_all)
        if args.burst:
            burst = await burst_round(stack, requests=args.burst)
            print(f"burst of {burst.requests}: {burst.answers}; bad {burst.bad}; "
                  f"{burst.audit.accepted} events accepted, {burst.audit.stored_once} stored once, "
                  f"{burst.audit.duplicates} duplicates; 503s p99 {burst.shed_p99_ms:.0f} ms; "
                  f"heartbeat {burst.baseline_ms:.1f} ms before, normal again "
                  f"{burst.recovered_seconds:.2f} s after", flush=True)
            ok = ok and burst.bad == 0 and burst.audit.stored_once == burst.audit.accepted
        for fault in faults:
            hold = args.postgres_hold if fault.name == "postgres" else args.hold
            row = await run_round(stack, fault, Timing(args.warm, hold, args.after), clip,
                                  args.students)
            rows.append(row)
            print(table([row]).splitlines()[-1], flush=True)
            print(f"  not 200: {row.failures}", flush=True)
    finally:
        stack.stop()
    print()
    print(table(rows))
    print(f"\nlogs: {work}")
    if args.json:
        args.json.write_text(json.dumps([dataclasses.asdict(r) for r in rows], indent=2))
    return 0 if ok and all(r.holds for r in rows) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
