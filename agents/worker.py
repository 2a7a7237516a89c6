"""The agents' Faust app with every agent registered."""

from __future__ import annotations

import faust

from agents import (
    audit, dispatch, player_events, progress_records, session_records, sessions,
)
from config.settings import Settings
from streams.app import create_faust_app


def create_worker_app(settings: Settings) -> faust.App:
    """The Faust app a worker process runs."""
    app = create_faust_app(settings)
    audit.register(app, settings)
    sessions.register(app, settings)
    session_records.register(app, settings)
    player_events.register(app, settings)
    progress_records.register(app, settings)
    dispatch.register(app, settings)
    return app
