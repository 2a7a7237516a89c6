"""``python -m agents.dispatch_worker``: transcode dispatch and its watchdog, in their own app.

Its own application id (so its own consumer group, changelog and rebalances) and its own data
directory: a long table recovery of the session agents once held transcode dispatch up for
580 s, and a slow dispatch partition must not delay plays either.
"""

from __future__ import annotations

import os

import faust

from agents import dispatch, watchdog
from agents.worker import run_worker
from config.entry import settings_or_exit
from config.settings import Settings
from streams.app import create_faust_app


def dispatch_app_id(settings: Settings) -> str:
    """The dispatch app's Faust id (consumer group), derived from ``AGENTS_APP_ID``."""
    return f"{settings.agents_app_id}-dispatch"


def dispatch_data_dir(settings: Settings) -> str:
    """Where the dispatch app keeps its table stores: a subfolder of ``AGENTS_DATA_DIR``."""
    return os.path.join(settings.agents_data_dir, "dispatch")


def create_dispatch_app(settings: Settings) -> faust.App:
    """The Faust app ``python -m agents.dispatch_worker`` runs."""
    app = create_faust_app(settings, app_id=dispatch_app_id(settings),
                           data_dir=dispatch_data_dir(settings))
    dispatch.register(app, settings)
    watchdog.register(app, settings)
    return app


def main() -> int:
    """Load settings once and run the dispatch worker until SIGTERM/SIGINT."""
    settings = settings_or_exit("dispatch")
    # Faust makes only the last level of its data dir; AGENTS_DATA_DIR may not exist yet when
    # this process starts before (or without) the agents worker.
    os.makedirs(dispatch_data_dir(settings), exist_ok=True)
    run_worker(create_dispatch_app(settings), settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
