"""The ceiling for the events benchmark: an aiohttp endpoint that only parses the JSON body.

    python bench/bare_endpoint.py PORT
"""

from __future__ import annotations

import sys

import orjson
from aiohttp import web


async def events(request: web.Request) -> web.Response:
    """Parse the body like the real endpoint must, answer like it does, store nothing."""
    body = orjson.loads(await request.read())
    return web.Response(body=orjson.dumps({"stored": len(body["events"])}),
                        content_type="application/json")


def main() -> None:
    """Serve on 127.0.0.1:PORT."""
    app = web.Application()
    app.router.add_post(r"/api/v1/media/videos/{video_id:\d+}/events/", events)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
