"""The agents' Faust app with every agent registered (the recorders run apart: see
:mod:`agents.recorders`)."""

from __future__ import annotations

import faust

from agents import dispatch, player_events, sessions
from config.settings import Settings
from streams.app import create_faust_app


def create_worker_app(settings: Settings) -> faust.App:
    """The Faust app a worker process runs."""
    app = create_faust_app(settings)
    sessions.register(app, settings)
    player_events.register(app, settings)
    dispatch.register(app, settings)
    return app
