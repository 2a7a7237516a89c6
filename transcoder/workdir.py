"""Local scratch space of a job: removed when the job ends, or at the next start after a crash.

Each job works in ``{base}/lecturecast-transcode-{pid}-{job_id}``. ``finally`` removes it on
every path a process survives; a SIGKILLed worker cannot, so every worker start removes the
directories of processes that no longer run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)
PREFIX = "lecturecast-transcode-"


def base_dir(configured: str) -> Path:
    """The directory job directories are made in (created if missing)."""
    base = Path(configured or tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    return base


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


@contextlib.contextmanager
def job_dir(base: Path, job_id: str) -> Iterator[Path]:
    """A fresh directory for one job, removed with everything in it on exit."""
    path = base / f"{PREFIX}{os.getpid()}-{job_id}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sweep_stale(base: Path) -> int:
    """Remove job directories left by dead workers; return how many."""
    removed = 0
    for entry in base.glob(PREFIX + "*"):
        pid_text = entry.name[len(PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _alive(int(pid_text)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed job directories of dead workers", extra={"count": removed})
    return removed
