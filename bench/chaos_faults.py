"""The faults of a chaos run: each breaks one part of the running system, then heals it.

A fault is injected ``warm`` seconds into a storm; ``hold`` is how long the part stays broken
(a killed process is restarted after it, as a supervisor would; a stopped service is started
again). Processes are killed with SIGKILL: no clean-up, no offset commit, as a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.chaos_stack import ChaosStack


@dataclass(frozen=True)
class Fault:
    """A named fault: ``inject(stack, hold)`` breaks, waits ``hold`` seconds, and heals."""

    name: str
    what: str
    inject: Callable[[ChaosStack, float], Awaitable[None]]


def kill_member(name: str) -> Callable[[ChaosStack, float], Awaitable[None]]:
    """SIGKILL one process; restart it under the same name (and port) after ``hold``."""

    async def inject(stack: ChaosStack, hold: float) -> None:
        member = stack.members[name]
        await asyncio.to_thread(member.kill)
        await asyncio.sleep(hold)
        await asyncio.to_thread(member.launch)

    return inject


def stop_service(name: str) -> Callable[[ChaosStack, float], Awaitable[None]]:
    """Stop one service of the stack (SIGTERM, or a fast shutdown for PostgreSQL), start it
    again with its data after ``hold``."""

    async def inject(stack: ChaosStack, hold: float) -> None:
        await asyncio.to_thread(stack.service, "stop", name)
        await asyncio.sleep(hold)
        await asyncio.to_thread(stack.service, "start", name)

    return inject


def kill_broker(name: str) -> Callable[[ChaosStack, float], Awaitable[None]]:
    """SIGKILL one broker of a three-broker cluster; start it again after ``hold``."""

    async def inject(stack: ChaosStack, hold: float) -> None:
        with contextlib.suppress(ProcessLookupError):  # gone already: nothing to kill
            os.kill(stack.service_pid(name), signal.SIGKILL)
        await asyncio.sleep(hold)
        await asyncio.to_thread(stack.service, "start", name)

    return inject


FAULTS: tuple[Fault, ...] = (
    Fault("gateway", "kill -9 one gateway of two", kill_member("gateway-1")),
    Fault("agents", "kill -9 one session-agents worker of two", kill_member("agents-2")),
    Fault("recorders", "kill -9 the recorders", kill_member("recorders")),
    Fault("dispatch", "kill -9 transcode dispatch", kill_member("dispatch")),
    Fault("transcoder", "kill -9 the transcoder mid-job", kill_member("transcoder")),
    Fault("kafka", "restart the Kafka broker", stop_service("kafka")),
    Fault("postgres", "stop PostgreSQL", stop_service("postgres")),
    Fault("redis", "restart Redis empty", stop_service("redis")),
)
BROKER_FAULT = Fault("broker", "kill -9 one Kafka broker of three", kill_broker("kafka-2"))


def by_name(name: str) -> Fault:
    """A fault by name; KeyError lists the known ones."""
    for fault in (*FAULTS, BROKER_FAULT):
        if fault.name == name:
            return fault
    raise KeyError(f"unknown fault {name!r}; known: {', '.join(f.name for f in FAULTS)}, broker")
