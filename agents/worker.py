"""The agents' Faust app (sessions, player events) and how a worker process runs.

Transcode dispatch is not here: it has its own app and process (:mod:`agents.dispatch_worker`),
so a long table recovery of the session agents never holds up transcodes. Nor are the
recorders, a plain consumer group (:mod:`agents.recorders`).
"""

from __future__ import annotations

import faust

from agents import player_events, sessions
from config.settings import Settings
from streams.app import create_faust_app


def create_worker_app(settings: Settings) -> faust.App:
    """The Faust app ``python -m agents`` runs."""
    app = create_faust_app(settings)
    sessions.register(app, settings)
    player_events.register(app, settings)
    return app


def run_worker(app: faust.App, settings: Settings) -> None:
    """Run a Faust worker for ``app`` until SIGTERM/SIGINT, then exit the process."""
    worker = faust.Worker(app, loglevel=settings.log_level, redirect_stdouts=False)
    worker.execute_from_commandline()  # exits the process when the worker stops
