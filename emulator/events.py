"""Event-stream WebSockets shared by the hub (``/events``) and the cloud (``/v1/events``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
import contextlib
from typing import Any, Final

from aiohttp import WSCloseCode, web

from .home import JSONDict
from .responses import dumps, error_response

#: The request key where the auth middleware leaves the RateLimit-* headers.
RATE_HEADERS: Final = "hearth_rate_headers"
#: How long closing waits for the client's close reply.
CLOSE_TIMEOUT: Final = 2.0

type Subscribe = Callable[[Callable[[JSONDict], None]], Callable[[], None]]


class EventStream:
    """One open event WebSocket: a queue of messages and the task sending them."""

    def __init__(
        self, socket: web.WebSocketResponse, request: web.Request, key: str
    ) -> None:
        """Start with an empty queue; ``key`` names the credential it was opened with."""
        self.socket = socket
        self.request = request
        self.key = key
        self.queue: asyncio.Queue[JSONDict] = asyncio.Queue()
        self.closing: asyncio.Task[bool] | None = None

    def must_close(self) -> tuple[int, str] | None:
        """Return the close code and reason if the stream must end now."""
        return None

    def watchers(self) -> list[Coroutine[Any, Any, None]]:
        """Return the coroutines that run beside the sender while the stream is open."""
        return []

    async def pump(self) -> None:
        """Send queued messages until the socket closes or must close."""
        with contextlib.suppress(ConnectionError):
            while not self.socket.closed:
                message = await self.queue.get()
                if (reason := self.must_close()) is not None:
                    self.end(*reason)
                    return
                await self.socket.send_str(dumps(message).decode())

    def end(self, code: int, reason: str = "") -> None:
        """Close the socket with ``code``, once, in a task the handler awaits."""
        if self.closing is None and not self.socket.closed:
            self.closing = asyncio.get_running_loop().create_task(
                self.socket.close(code=code, message=reason.encode()),
                name="hearth-events-close",
            )

    def force_close(self) -> None:
        """Close the socket's connection at once."""
        if self.request.protocol is not None:
            self.request.protocol.force_close()


class EventStreams:
    """The open event streams of one server, with a way to wait for a count."""

    def __init__(self) -> None:
        """Start without streams."""
        self._streams: set[EventStream] = set()
        self._changed: asyncio.Event | None = None

    def __len__(self) -> int:
        """Return the number of open streams."""
        return len(self._streams)

    def __iter__(self) -> Iterator[EventStream]:
        """Iterate over a snapshot of the open streams."""
        return iter(list(self._streams))

    async def wait_for(self, count: int) -> None:
        """Wait until exactly ``count`` streams are open."""
        while len(self._streams) != count:
            if self._changed is None:
                self._changed = asyncio.Event()
            await self._changed.wait()

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def serve(
        self,
        request: web.Request,
        stream_factory: Callable[[web.WebSocketResponse], EventStream],
        subscribe: Subscribe,
    ) -> web.StreamResponse:
        """Upgrade ``request`` and send every change ``subscribe`` reports."""
        socket = web.WebSocketResponse(autoping=True, timeout=CLOSE_TIMEOUT)
        if not socket.can_prepare(request).ok:
            return error_response(
                400, "invalid_request", "This endpoint needs a WebSocket upgrade"
            )
        socket.headers.update(request.get(RATE_HEADERS, {}))
        await socket.prepare(request)
        stream = stream_factory(socket)
        unsubscribe = subscribe(stream.queue.put_nowait)
        self._streams.add(stream)
        self._notify()
        tasks = [
            asyncio.create_task(coro, name="hearth-events")
            for coro in (stream.pump(), *stream.watchers())
        ]
        try:
            async for _message in socket:
                pass
        finally:
            for task in tasks:
                task.cancel()
            unsubscribe()
            self._streams.discard(stream)
            self._notify()
            if stream.closing is not None:
                with contextlib.suppress(Exception):
                    await stream.closing
        return socket

    def force_close(self, key: str | None = None) -> None:
        """Drop the connections of the open streams (only those of ``key`` when given)."""
        for stream in self:
            if key is None or stream.key == key:
                stream.force_close()

    async def close(self, code: int = WSCloseCode.GOING_AWAY, reason: str = "") -> None:
        """Close every stream with ``code`` (``going away``), all at once."""
        for stream in self:
            stream.end(code, reason)
        await asyncio.gather(
            *(stream.closing for stream in self if stream.closing is not None),
            return_exceptions=True,
        )
