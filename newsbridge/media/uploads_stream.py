"""A tus PATCH body taken in at the speed the connection brings it.

The event loop only hands the body's chunks over as they arrive; one thread of the PATCH's own
hashes and appends them (:class:`~newsbridge.media.uploads.ChunkWriter`) meanwhile, so receiving,
hashing and writing overlap instead of taking turns (bench/media.py: awaiting each MiB's write before
reading on halved the upload rate). The 16 MiB checkpoints of a long PATCH are made durable and
recorded by yet another thread while the writer goes on, one checkpoint at a time, in order.

At most :data:`PENDING` bytes wait for the writer: a client faster than the disk is held back by
TCP flow control (the server stops reading the socket), and the hub's memory stays flat whatever
the file's size.

The body arrives as ~250 KB ``bytes`` objects (uvloop's read, then httptools' body), two a chunk, each
freed once written. glibc's default policy gave that memory back to the kernel at nearly every free (the
heap's top trimmed past twice the last large block) and took it again at the next chunk: every page faulted
in and zeroed anew, 0.8 of the event loop's 1.2 CPU seconds per GiB received (a bare uvicorn app reading a
body, this machine). :func:`keep_freed_memory` lets the process keep up to :data:`TRIM_THRESHOLD` bytes of
freed heap instead, from the first upload on: a loop reading a GiB then costs 0.3-0.4 CPU seconds.
"""

from __future__ import annotations

import asyncio
import ctypes
import platform
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from newsbridge.media.uploads import ChunkWriter

PENDING = 8 * 1024 * 1024  # bytes received and not yet written, at most
_SYNCS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="newsbridge-upload-sync")
# glibc's mallopt: blocks under MMAP_THRESHOLD come from the heap (not an mmap each), and freed heap is given
# back to the kernel only past TRIM_THRESHOLD: twice what a PATCH holds, so a body's chunks reuse the same pages
MMAP_THRESHOLD, TRIM_THRESHOLD = 1024 * 1024, 2 * PENDING
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_allocator_kept: list[bool] = []  # one setting per process (the first upload's)


def keep_freed_memory() -> bool:
    """Set glibc's allocator to keep freed heap up to :data:`TRIM_THRESHOLD` bytes (and to serve blocks
    under :data:`MMAP_THRESHOLD` from the heap) rather than give it back at each free; once per process.
    Returns whether it is set (False elsewhere than on glibc, where the default is kept)."""
    if not _allocator_kept:
        kept = False
        if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
            mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
            if mallopt is not None:
                kept = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
                    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
        _allocator_kept.append(kept)
    return _allocator_kept[0]


class BodySink:
    """Feeds one PATCH's :class:`ChunkWriter` from the event loop through a thread of its own.

    ``checkpoint(offset)`` makes the file durable up to ``offset`` (a :meth:`ChunkWriter.mark`) and
    records it; it runs on a separate thread while the next bytes are written. Errors of the writer
    (too many bytes) or of a checkpoint surface in the next :meth:`put` or in :meth:`close`.
    """

    def __init__(self, writer: ChunkWriter, checkpoint: Callable[[int], None], pending: int = PENDING) -> None:
        keep_freed_memory()
        self.writer, self.checkpoint, self.limit = writer, checkpoint, pending
        self._loop = asyncio.get_running_loop()
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0
        self._room: asyncio.Future[None] | None = None  # set while the loop waits for the writer
        self._error: BaseException | None = None
        self._ended = self._loop.create_future()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="newsbridge-upload", daemon=True)
        self._thread.start()

    async def put(self, chunk: bytes) -> None:
        """Queue ``chunk`` for the writer; waits while :data:`PENDING` bytes are already waiting."""
        with self._lock:  # the error is read under the lock the writer sets it under: no room awaited after it
            failed = self._error
            if failed is None:
                self._pending += len(chunk)
                full = self._pending > self.limit
                if full:
                    self._room = self._loop.create_future()
                room = self._room
        if failed is not None:
            raise failed
        self._queue.put(chunk)
        if full and room is not None:
            await room
            if self._error is not None:
                raise self._error

    async def close(self) -> None:
        """Wait until every queued byte is written and the last checkpoint recorded; raises what failed."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
        await asyncio.shield(self._ended)
        if self._error is not None:
            raise self._error

    async def ended(self) -> None:
        """Stop taking bytes and wait for the thread to end (whatever happened): the writer is free."""
        try:
            await self.close()
        except BaseException:  # noqa: BLE001 - the caller is already answering another error
            pass

    def _written(self, size: int) -> None:
        with self._lock:
            self._pending -= size
            room = self._room if self._pending <= self.limit // 2 else None
            if room is not None:
                self._room = None
        if room is not None:
            self._loop.call_soon_threadsafe(_settle, room)

    def _run(self) -> None:
        syncing: Future[None] | None = None
        try:
            while (chunk := self._queue.get()) is not None:
                if self._error is None:
                    self.writer.write(chunk)
                    # one checkpoint at a time: the next waits until the last one is recorded
                    if self.writer.due() and (syncing is None or syncing.done()):
                        if syncing is not None:
                            syncing.result()
                        syncing = _SYNCS.submit(self.checkpoint, self.writer.mark())
                self._written(len(chunk))
            if syncing is not None:
                syncing.result()  # recorded before the final offset, never after it
        except BaseException as exc:  # noqa: BLE001 - handed to the loop, raised there
            with self._lock:  # a put waiting for room is woken now, not after close (which it would never reach)
                self._error = exc
                room, self._room = self._room, None
            if room is not None:
                self._loop.call_soon_threadsafe(_settle, room)
            self._drain(syncing)
        finally:
            with self._lock:
                room, self._room = self._room, None
            if room is not None:
                self._loop.call_soon_threadsafe(_settle, room)
            self._loop.call_soon_threadsafe(_settle, self._ended)

    def _drain(self, syncing: Future[None] | None) -> None:
        """After a failure: wait for a running checkpoint (the file stays open until its sync ends) and
        swallow what the loop still queues until :meth:`close`."""
        if syncing is not None:
            try:
                syncing.result()
            except BaseException:  # noqa: BLE001 - the first error is the one reported
                pass
        while not self._closed:
            try:
                if self._queue.get(timeout=0.05) is None:
                    break
            except queue.Empty:
                continue
        with self._lock:
            self._pending = 0


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
