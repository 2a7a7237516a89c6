"""``python -m gateway``: serve the gateway with settings from the environment."""

from __future__ import annotations

from aiohttp import web

from config.entry import settings_or_exit
from gateway.app import create_app


def main() -> int:
    """Load settings once, run until interrupted."""
    settings = settings_or_exit("gateway")
    web.run_app(create_app(settings), host=settings.gateway_host, port=settings.gateway_port,
                access_log=None, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
