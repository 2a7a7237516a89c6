"""JSON responses encoded with orjson (dataclasses and datetimes natively)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> web.Response:
    """A JSON response of any orjson-serialisable value."""
    return web.Response(body=orjson.dumps(data), status=status, headers=headers,
                        content_type="application/json")


def no_content() -> web.Response:
    """204."""
    return web.Response(status=204)
