"""A range's bytes from the blob's file straight to the client's socket (``os.sendfile``), under uvicorn.

uvicorn (0.55) offers an ASGI app neither ``sendfile`` nor ``http.response.pathsend``, so a body normally
crosses user space twice: read from the page cache into a ``bytes``, then written from it into the socket
(a seventh of the hub's CPU for a 1 MiB range, by ``perf``). When the request came straight from uvicorn's
own HTTP connection (its httptools protocol, its ``send`` not wrapped by any middleware) over a plain TCP
or Unix socket (no TLS), :class:`Connection` lets the answer's headers go out through ASGI as usual and
then moves the body with ``os.sendfile`` on a duplicate of the socket's descriptor, waiting for the socket
to take more (``loop.add_writer``) when it is full: that is the flow control, a client that reads slowly is
waited for as uvicorn waits for it. sendfile reads the file as it goes, so a part not in the page cache
(:func:`resident`) is read in on a worker thread first: the event loop never waits on the disk. It tells
uvicorn's request-response cycle how many bytes went out, so its ``Content-Length`` accounting, keep-alive
and the next request on the connection go on as if the body had been sent through ASGI. A client that goes
away mid-range ends the sending (the connection is closed, as uvicorn closes it). Anything else (another
server, the ASGI test transport, h11, TLS, a middleware wrapping ``send``, an S3 blob) takes the copying
path. Asked of uvicorn's internals: ``RequestResponseCycle.transport``, ``.disconnected`` and
``.expected_content_length`` (tests/media/test_media_sendfile.py runs this against a real uvicorn).

The duplicate descriptor matters: should uvicorn close its socket while a range is being sent (the client
went away), the number it held may be reused by another connection at once; the duplicate keeps this one.
"""

from __future__ import annotations

import asyncio
import functools
import os
from typing import Any

from starlette.types import Send

# the transports whose socket carries the HTTP bytes as they are (no TLS layer): uvloop's and asyncio's
_PLAIN = frozenset({("uvloop.loop", "TCPTransport"), ("uvloop.loop", "UnixTransport"),
                    ("asyncio.selector_events", "_SelectorSocketTransport")})
PIECE = 4 * 1024 * 1024  # bytes asked of one sendfile call at most (a loopback socket's largest buffer)
PROBE = 256 * 1024  # bytes between two probes of the page cache (a readahead window's size is 128-512 KiB)
_NOWAIT = getattr(os, "RWF_NOWAIT", 0)  # Linux 4.14+


@functools.lru_cache(maxsize=1)
def _cycle_type() -> type | None:
    try:
        from uvicorn.protocols.http.httptools_impl import RequestResponseCycle
    except ImportError:  # no uvicorn, or no httptools
        return None
    return RequestResponseCycle


class Connection:
    """uvicorn's request-response cycle under an ASGI ``send``, whose socket a body may be sent to directly."""

    __slots__ = ("cycle", "transport", "socket")

    def __init__(self, cycle: Any, transport: Any, socket: Any) -> None:
        self.cycle, self.transport, self.socket = cycle, transport, socket

    @classmethod
    def of(cls, send: Send) -> Connection | None:
        """The connection when ``send`` is uvicorn's own (httptools) and its transport a plain socket; None
        otherwise (the body then goes through ``send``)."""
        cycle = getattr(send, "__self__", None)
        if cycle is None or type(cycle) is not _cycle_type():
            return None
        transport = getattr(cycle, "transport", None)
        kind = type(transport)
        if (kind.__module__, kind.__name__) not in _PLAIN or transport.get_extra_info("sslcontext") is not None:
            return None
        socket = transport.get_extra_info("socket")
        if socket is None or not hasattr(cycle, "expected_content_length") or not hasattr(cycle, "disconnected"):
            return None
        return cls(cycle, transport, socket)

    def flushed(self) -> bool:
        """Whether everything sent through ASGI so far (the headers) is in the socket: nothing may be
        written past bytes still waiting in the transport's buffer."""
        return (not self.cycle.disconnected and not self.transport.is_closing()
                and self.transport.get_write_buffer_size() == 0)

    async def sendfile(self, fd: int, offset: int, count: int) -> int:
        """Sends ``count`` bytes of ``fd`` from ``offset``; returns how many went out (fewer only when the file
        is shorter) after telling uvicorn's cycle about them. ConnectionError when the client went away."""
        loop = asyncio.get_running_loop()
        out = os.dup(self.socket.fileno())
        sent = 0
        try:
            while sent < count:
                if self.cycle.disconnected:
                    raise ConnectionResetError("the client went away")
                piece = min(count - sent, PIECE)
                if not resident(fd, offset + sent, piece):  # sendfile would wait on the disk: not on the loop
                    await loop.run_in_executor(None, _read_in, fd, offset + sent, piece)
                try:
                    done = os.sendfile(out, fd, offset + sent, piece)
                except BlockingIOError:
                    await _writable(loop, out)
                    continue
                if done == 0:  # the file ends before the range does
                    break
                sent += done
                self.cycle.expected_content_length -= done
                if sent < count:  # a fast reader never fills the socket: other requests get the loop meanwhile
                    await asyncio.sleep(0)
        finally:
            os.close(out)
        return sent

    def drop(self) -> None:
        """The client went away mid-body: close the connection, as uvicorn's ``connection_lost`` would."""
        self.cycle.disconnected = True
        self.transport.close()


def resident(fd: int, offset: int, count: int) -> bool:
    """Whether the file's bytes ``[offset, offset + count)`` seem to be in the page cache: one byte every
    :data:`PROBE` asked with ``RWF_NOWAIT``, which answers EAGAIN rather than read the disk (a range is read
    into the cache in readahead windows, so a page between two cached probes is rarely missing)."""
    if not _NOWAIT:
        return False
    probe = bytearray(1)
    last = offset + count - 1
    try:
        for position in (*range(offset, last, PROBE), last):
            os.preadv(fd, [probe], position, _NOWAIT)
    except BlockingIOError:
        return False
    return True


def _read_in(fd: int, offset: int, count: int) -> None:
    """Reads the bytes into the page cache (on a worker thread: it waits on the disk), for sendfile to find."""
    scratch = bytearray(min(count, 1024 * 1024))
    end = offset + count
    while offset < end:
        got = os.preadv(fd, [memoryview(scratch)[:end - offset]], offset)
        if not got:
            return
        offset += got


async def _writable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    """Until the socket takes more bytes (or fails: an error or a hang-up wakes the writer too)."""
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_writer(fd, _wake, ready)
    try:
        await ready
    finally:
        loop.remove_writer(fd)


def _wake(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)
