"""The audit recorder: every judged player event lands in ``playback_events`` exactly once."""

from __future__ import annotations

from typing import Any

import faust

from agents.recorders import register_recorder
from config.settings import Settings
from storage.audit import write_audit
from streams import topics


def register(app: faust.App, settings: Settings) -> Any:
    """Attach the audit agent to ``app``."""
    return register_recorder(app, settings, topics.AUDIT_EVENTS, "audit", write_audit)
