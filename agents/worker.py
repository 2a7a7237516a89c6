"""The agents' Faust app (sessions, player events, recorders) and how a worker process runs.

Transcode dispatch is not here: it has its own app and process (:mod:`agents.dispatch_worker`),
so a long table recovery of the session agents never holds up transcodes.
"""

from __future__ import annotations

import faust

from agents import audit, player_events, progress_records, session_records, sessions
from config.settings import Settings
from streams.app import create_faust_app


def create_worker_app(settings: Settings) -> faust.App:
    """The Faust app ``python -m agents`` runs."""
    app = create_faust_app(settings)
    audit.register(app, settings)
    sessions.register(app, settings)
    session_records.register(app, settings)
    player_events.register(app, settings)
    progress_records.register(app, settings)
    return app


def run_worker(app: faust.App, settings: Settings) -> None:
    """Run a Faust worker for ``app`` until SIGTERM/SIGINT, then exit the process."""
    worker = faust.Worker(app, loglevel=settings.log_level, redirect_stdouts=False)
    worker.execute_from_commandline()  # exits the process when the worker stops
