"""``python -m agents``: a Faust worker with the session agents, settings from the environment."""

from __future__ import annotations

from agents.worker import create_worker_app, run_worker
from config.entry import settings_or_exit


def main() -> int:
    """Load settings once and run the worker until SIGTERM/SIGINT."""
    settings = settings_or_exit("agents")
    run_worker(create_worker_app(settings), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
