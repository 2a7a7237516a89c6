"""``python -m agents``: run a Faust worker with every agent, settings from the environment."""

from __future__ import annotations

import faust

from agents.worker import create_worker_app
from config.entry import settings_or_exit


def main() -> int:
    """Load settings once and run the worker until SIGTERM/SIGINT."""
    settings = settings_or_exit("agents")
    worker = faust.Worker(create_worker_app(settings), loglevel=settings.log_level,
                          redirect_stdouts=False)
    worker.execute_from_commandline()  # exits the process when the worker stops
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
