"""The progress recorder: progress changes become ``video_progress`` rows."""

from __future__ import annotations

from typing import Any

import faust

from agents.recorders import register_recorder
from config.settings import Settings
from storage import progress_records
from streams import topics


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the recorder agent to ``app``."""
    return register_recorder(app, settings, topics.PROGRESS, "progress-records",
                             progress_records.record)
