"""``python -m gateway``: serve the gateway with settings from the environment."""

from __future__ import annotations

import os
import sys

from aiohttp import web

from config.exceptions import SettingsError
from config.logs import configure_logging
from config.settings import load_settings
from gateway.app import create_app


def main() -> int:
    """Load settings once, configure logs, run until interrupted."""
    try:
        settings = load_settings(os.environ)
    except SettingsError as exc:
        print(f"lecturecast gateway: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_json)
    web.run_app(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                access_log=None, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
