"""The session recorder: lifecycle events become ``playback_sessions`` rows."""

from __future__ import annotations

from typing import Any

import faust

from agents.recorders import register_recorder
from config.settings import Settings
from storage import playback_sessions
from streams import topics


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the recorder agent to ``app``."""
    return register_recorder(app, settings, topics.SESSION_LIFECYCLE, "session-records",
                             playback_sessions.record)
