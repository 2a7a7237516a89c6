"""A TCP proxy that drops every connection while it is down: a network fault, no mock.

It runs in the test's event loop between a real process and a real server (the transcoder and
S3). While ``down``, a new connection is accepted and reset at once, which is what a client
sees when a load balancer or the server itself is in trouble; once up, bytes flow both ways.
"""

from __future__ import annotations

import asyncio
import contextlib


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(64 * 1024):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        writer.transport.abort()


class FlakyProxy:
    """Proxies ``127.0.0.1:{port}`` to ``target``; ``down`` decides, per new connection."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.down = True
        self.dropped = 0  # connections reset while down
        self.passed = 0  # connections proxied while up
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._open: set[asyncio.WriteTransport] = set()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:{port}``: the endpoint to give the client."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Listen on a free loopback port."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        """Go down and reset every proxied connection too: what clients see when the server
        stops (a pool's idle connections die with it, not only the new ones)."""
        self.down = True
        for transport in list(self._open):
            transport.abort()

    async def close(self) -> None:
        """Stop listening and cut every proxied connection."""
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.down:
            self.dropped += 1
            writer.transport.abort()  # RST: the client's request fails at once
            return
        self.passed += 1
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            pair = (writer.transport, up_writer.transport)
            self._open.update(pair)
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                self._open.difference_update(pair)
                up_writer.close()
        except OSError:
            pass
        finally:
            writer.close()
            self._tasks.discard(task)
