"""What every process's ``__main__`` does first: settings from the environment, then logging."""

from __future__ import annotations

import os
import sys

from config.exceptions import SettingsError
from config.logs import configure_logging
from config.settings import Settings, load_settings


def settings_or_exit(process: str) -> Settings:
    """Load settings once (exit 2 naming the bad variable) and configure logging."""
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"lecturecast {process}: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc
    configure_logging(settings.log_level, settings.log_json)
    return settings
