"""``python -m agents``: run a Faust worker with every agent, settings from the environment."""

from __future__ import annotations

import os
import sys

import faust

from agents.worker import create_worker_app
from config.exceptions import SettingsError
from config.logs import configure_logging
from config.settings import load_settings


def main() -> int:
    """Load settings once and run the worker until SIGTERM/SIGINT."""
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"lecturecast agents: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_json)
    app = create_worker_app(settings)
    worker = faust.Worker(app, loglevel=settings.log_level, redirect_stdouts=False)
    worker.execute_from_commandline()  # exits the process when the worker stops
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
