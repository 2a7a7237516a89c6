"""The chaos runs' own stack: services and lecturecast processes that can be killed and restarted.

A chaos run owns a throwaway stack (``PROFILE=chaos`` in ``infra/env.sh``: its own ports and
state folder), so it can stop Kafka, PostgreSQL or Redis without disturbing anything else. The
processes are the ones ``make run`` starts, doubled where the service scales out: two gateways,
two session-agents workers, the recorders, dispatch and one transcoder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import Settings, load_settings
from tests.conftest import (
    ROOT,
    AgentsWorker,
    GatewayProcess,
    ModuleProcess,
    RecorderProcess,
    TranscoderWorker,
)

STACK = ["bash", str(ROOT / "infra" / "stack.sh")]


def chaos_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``infra/env.sh`` gives the chaos profile (ports, secrets, paths)."""
    env = {**os.environ, "PROFILE": "chaos", **(extra or {})}
    out = subprocess.run(["bash", "-c", ". infra/env.sh >/dev/null && env -0"], cwd=ROOT,
                         env=env, check=True, capture_output=True).stdout
    pairs = (item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return dict(pairs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Member:
    """One lecturecast process of the run, restartable under the same name and port."""

    name: str
    start: Callable[[int], ModuleProcess | GatewayProcess | TranscoderWorker]
    ready: Callable[[ModuleProcess | GatewayProcess | TranscoderWorker], None]
    process: ModuleProcess | GatewayProcess | TranscoderWorker | None = None
    starts: int = 0

    def launch(self) -> None:
        """Start (again) and wait until ready."""
        self.starts += 1
        self.process = self.start(self.starts)
        self.ready(self.process)

    def popen(self) -> subprocess.Popen[bytes]:
        """The OS process now running."""
        assert self.process is not None and self.process.process is not None
        return self.process.process

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill: no clean-up, no commit."""
        proc = self.popen()
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def stop(self) -> None:
        """SIGTERM and wait, for the end of the run."""
        if self.process is not None and self.popen().poll() is None:
            self.process.stop()


@dataclass
class ChaosStack:
    """The services (by ``infra/stack.sh``) and the processes of one chaos run."""

    work: Path
    env: dict[str, str]
    settings: Settings
    members: dict[str, Member] = field(default_factory=dict)

    @classmethod
    def create(cls, work: Path, extra_env: dict[str, str] | None = None) -> ChaosStack:
        """Start the chaos profile's services from empty data and provision them."""
        env = chaos_environment(extra_env)
        subprocess.run([*STACK, "start", "chaos"], env=env, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "infra/provision.py"], env=env, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        work.mkdir(parents=True, exist_ok=True)
        return cls(work, env, load_settings(env))

    def service(self, action: str, name: str) -> None:
        """``stop`` one service of the stack, or ``start`` every missing one (data kept)."""
        if action == "stop":
            argv = [*STACK, "stop-service", "chaos", name]
        else:
            argv = [*STACK, "start", "chaos"]
        subprocess.run(argv, env={**self.env, "KEEP_DATA": "1"}, check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def service_pid(self, name: str) -> int:
        """The pid of a running service (from the stack's pid files)."""
        return int((ROOT / ".infra" / "chaos" / "pids" / f"{name}.pid").read_text())

    def _log(self, name: str, n: int) -> Path:
        return self.work / f"{name}-{n}.log"

    def add_gateway(self, name: str) -> Member:
        """A gateway on a port of its own, the same port after every restart."""
        port = _free_port()

        def start(n: int) -> GatewayProcess:
            env = {k: v for k, v in self.env.items() if k != "GATEWAY_PORT"}
            return GatewayProcess(port, self._log(name, n), extra_env=env)

        return self._add(Member(name, start, lambda p: p.wait_ready()))

    def add_agents(self, name: str, module: str = "agents") -> Member:
        """A Faust worker (session agents, or ``agents.dispatch_worker``), own table store."""
        data = self.work / f"{name}-data"

        def start(n: int) -> AgentsWorker:
            return AgentsWorker(self._log(name, n), module=module,
                                extra_env={**self.env, "AGENTS_DATA_DIR": str(data)})

        return self._add(Member(name, start, lambda p: p.wait_ready(120)))

    def add_recorders(self, name: str = "recorders") -> Member:
        """The recorders (topics to PostgreSQL rows)."""
        return self._add(Member(name, lambda n: RecorderProcess(self._log(name, n), self.env),
                                lambda p: p.wait_ready()))

    def add_transcoder(self, name: str = "transcoder") -> Member:
        """One transcoder worker."""
        def start(n: int) -> TranscoderWorker:
            logs, work = self.work / f"{name}-{n}", self.work / f"{name}-work"
            logs.mkdir(exist_ok=True)
            work.mkdir(exist_ok=True)
            return TranscoderWorker(logs, work, extra_env=self.env)

        return self._add(Member(name, start, lambda p: p.wait_ready()))

    def _add(self, member: Member) -> Member:
        self.members[member.name] = member
        return member

    def launch_all(self) -> None:
        """Start every member and wait until all are ready (side by side, in threads)."""
        with ThreadPoolExecutor(len(self.members)) as pool:
            for future in [pool.submit(m.launch) for m in self.members.values()]:
                future.result()

    def stop(self) -> None:
        """Stop every process, then the services."""
        for member in self.members.values():
            try:
                member.stop()
            except Exception as exc:  # noqa: BLE001 - keep stopping the rest
                print(f"stopping {member.name}: {exc!r}", file=sys.stderr)
        subprocess.run([*STACK, "stop", "chaos"], env=self.env, cwd=ROOT, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def gateway_urls(self) -> list[str]:
        """Base URLs of the gateways, in the order they were added."""
        urls = []
        for member in self.members.values():
            if member.name.startswith("gateway"):
                proc = member.process
                assert isinstance(proc, GatewayProcess)
                urls.append(proc.url)
        return urls
