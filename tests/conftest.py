"""Fixtures shared by the three tiers: pure unit tests, adapters on the real stack, HTTP.

Stack and HTTP tests need the services that ``make test`` starts (infra/test.sh); run alone
without them they are skipped with the reason, never faked.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from config.settings import Settings, load_settings
from storage.db import create_pool
from storage.tenants import Tenant, TenantRepository

ROOT = Path(__file__).resolve().parent.parent
STACK_UP = bool(os.environ.get("LECTURECAST_STACK"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip stack-marked tests, with the reason, when the test stack is not running."""
    if STACK_UP:
        return
    skip = pytest.mark.skip(reason="needs the test stack: run `make test`")
    for item in items:
        if "stack" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Settings of the test stack, as infra/env.sh exports them."""
    return load_settings(os.environ)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test database (migrated by infra/provision.py)."""
    pool = await create_pool(settings, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def make_tenant(db: asyncpg.Pool) -> Callable[[], Awaitable[Tenant]]:
    """Factory: a fresh tenant with a unique slug, so tests never share rows."""

    async def _make() -> Tenant:
        return await TenantRepository(db).ensure(f"t-{uuid.uuid4().hex[:12]}")

    return _make


def wait_for_line(process: subprocess.Popen[bytes], log_path: Path, marker: bytes,
                  what: str, timeout: float) -> None:
    """Block until ``marker`` appears in the process's log; fail with the log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {log_path.read_text()[-3000:]}")
        if marker in log_path.read_bytes():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready: {log_path.read_text()[-3000:]}")


def terminate(process: subprocess.Popen[bytes], timeout: float = 30.0) -> int:
    """SIGTERM and wait (the process shuts down cleanly); SIGKILL if it does not."""
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


class ModuleProcess:
    """A real ``python -m <module>`` process on the test stack, stopped gracefully."""

    ready_marker = b""  # the log line that says the process is ready
    what = "process"

    def __init__(self, module: str, log_path: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", module], cwd=ROOT, stdout=self._log,
            stderr=subprocess.STDOUT, env={**os.environ, "LOG_JSON": "false", **(extra_env or {})},
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Block until the process logs its ready line."""
        wait_for_line(self.process, self.log_path, self.ready_marker, self.what, timeout)

    def stop(self) -> int:
        """SIGTERM, then wait: the process commits what it has done and closes cleanly."""
        try:
            return terminate(self.process)
        finally:
            self._log.close()

    @contextlib.contextmanager
    def running(self) -> Iterator[ModuleProcess]:
        """Ready inside the block, stopped after it (also when it never became ready)."""
        try:
            self.wait_ready()
            yield self
        finally:
            self.stop()


class AgentsWorker(ModuleProcess):
    """A Faust worker: ``module`` is ``agents`` (the session agents) or
    ``agents.dispatch_worker`` (transcode dispatch, its own app). Ready once its partitions
    are assigned and its tables recovered."""

    ready_marker = b"Worker ready"
    what = "agents worker"

    def __init__(self, log_path: Path, extra_env: dict[str, str] | None = None,
                 module: str = "agents") -> None:
        super().__init__(module, log_path, extra_env)


class RecorderProcess(ModuleProcess):
    """``python -m agents.recorders``: topics to PostgreSQL rows. Ready once it has its
    partitions."""

    ready_marker = b"recorders ready"
    what = "recorders"

    def __init__(self, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        super().__init__("agents.recorders", log_path, extra_env)


@pytest.fixture(scope="session")
def recorders(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecorderProcess]:
    """The recorders for the whole session (audit, progress and session rows)."""
    process = RecorderProcess(tmp_path_factory.mktemp("recorders") / "recorders.log")
    with process.running():
        yield process


@pytest.fixture(scope="session")
def agents_worker(recorders: RecorderProcess, tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[AgentsWorker]:
    """One agents worker for the whole session (a Faust start costs seconds), with the
    recorders that store what its agents emit."""
    worker = AgentsWorker(tmp_path_factory.mktemp("agents") / "worker.log")
    with worker.running():
        yield worker


@pytest.fixture(scope="session")
def dispatch_worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentsWorker]:
    """One transcode dispatch worker (its own Faust app and process) for the whole session."""
    worker = AgentsWorker(tmp_path_factory.mktemp("dispatch") / "worker.log",
                          module="agents.dispatch_worker")
    with worker.running():
        yield worker


@pytest.fixture
def bearer(settings: Settings) -> Callable[..., dict[str, str]]:
    """Factory: Authorization headers for a (tenant, role, sub)."""
    from gateway.auth import mint_token

    def _make(tenant: str, role: str = "admin", sub: str = "admin-1") -> dict[str, str]:
        token = mint_token(settings.auth_jwt_secret, tenant=tenant, sub=sub, role=role)
        return {"Authorization": f"Bearer {token}"}

    return _make


@pytest.fixture
async def api(aiohttp_client, settings: Settings):
    """A test client on ``create_app(settings)`` against the real stack."""
    from gateway.app import create_app
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def tenant_slug() -> str:
    """A fresh tenant slug: the tenant is created by its first request."""
    return f"t-{uuid.uuid4().hex[:12]}"


class GatewayProcess:
    """A real ``python -m gateway`` on its own port, for multi-process tests."""

    def __init__(self, port: int, log_path: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._log = log_path.open("wb")
        self.log_path = log_path
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway"], cwd=ROOT, stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "GATEWAY_PORT": str(port), "LOG_LEVEL": "WARNING",
                 **(extra_env or {})})

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until ``/readyz`` answers 200."""
        import urllib.request
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"gateway not ready: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        """SIGTERM and wait."""
        try:
            terminate(self.process, timeout=20)
        finally:
            self._log.close()


@pytest.fixture(scope="module")
def two_gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[GatewayProcess]]:
    """Two gateway processes on free ports."""
    import socket
    gateways = []
    for i in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        gateways.append(GatewayProcess(port, tmp_path_factory.mktemp(f"gw{i}") / "gw.log"))
    try:
        for g in gateways:
            g.wait_ready()
        yield gateways
    finally:
        for g in gateways:
            g.stop()


@pytest.fixture(scope="module")
def second_agents_worker(agents_worker: AgentsWorker, tmp_path_factory: pytest.TempPathFactory
                         ) -> Iterator[AgentsWorker]:
    """A second worker in the same group (own data dir): partitions are split between them."""
    data = tmp_path_factory.mktemp("faust2")
    worker = AgentsWorker(tmp_path_factory.mktemp("agents2") / "worker.log",
                          extra_env={"AGENTS_DATA_DIR": str(data)})
    with worker.running():
        yield worker


class TranscoderWorker:
    """A real ``python -m transcoder`` process on the test stack (killable, restartable)."""

    def __init__(self, log_dir: Path, work_dir: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.log_dir = log_dir
        self.work_dir = work_dir
        self.extra_env = extra_env or {}
        self.starts = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def log_path(self) -> Path:
        """The log of the current process."""
        return self.log_dir / f"transcoder-{self.starts}.log"

    def start(self) -> None:
        """Start a (new) worker process in the transcoder group."""
        self.starts += 1
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "transcoder"], cwd=ROOT, stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "LOG_JSON": "false",
                     "TRANSCODER_WORK_DIR": str(self.work_dir), **self.extra_env})

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until the worker's consumer has started."""
        assert self.process is not None
        wait_for_line(self.process, self.log_path, b"transcoder waiting for jobs", "transcoder",
                      timeout)

    def kill(self) -> None:
        """SIGKILL: no clean-up, no commit, as a crash."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> int:
        """SIGTERM, then wait: running jobs are cancelled, not committed."""
        assert self.process is not None
        return terminate(self.process)


@pytest.fixture(scope="session")
def transcoder_worker(dispatch_worker: AgentsWorker, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[TranscoderWorker]:
    """One transcoder worker for the session (with the dispatch that feeds it jobs); a test may
    kill and restart it."""
    worker = TranscoderWorker(tmp_path_factory.mktemp("transcoder"),
                              tmp_path_factory.mktemp("transcoder-work"))
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
