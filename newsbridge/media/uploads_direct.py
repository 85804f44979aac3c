"""A large upload's bytes written to its partial file with ``O_DIRECT``, past the page cache.

Written through the page cache, every GiB a tus PATCH receives cost the hub 0.6-0.8 s of kernel CPU
(copying into fresh cache pages and ext4's per-page bookkeeping) and as much again at each checkpoint's
fsync, which then had a quarter of a second of dirty pages to write back (bench/media.py, perf). Written
directly, the disk takes the bytes by DMA from one aligned buffer: about 0.1 s of CPU per GiB (copying
the body's chunks into that buffer), and a checkpoint's fsync has only metadata and the disk's cache
left to flush. A large file is read once more, to hash it after the answer (``completes_later``), and
then by the derivative job: from the disk either way once a GiB has gone by, so the cache it no longer
fills was not saving those reads.

Direct writes need their file offset, length and memory aligned to the disk's logical block:
:data:`ALIGN` (a page) covers every such size up to 4 KiB. The buffer always starts at an aligned
offset: a PATCH that starts in the middle of a block first reads that block's head back (bytes already
durable, rewritten unchanged), and :meth:`DirectAppender.flush` writes the unaligned rest through an
ordinary descriptor (the page cache) while keeping it for the next direct write, which rewrites it in
place. A file system that refuses ``O_DIRECT`` (at open or at the first write) gets ordinary writes
from the same buffer: the same bytes in the same places, only the page cache's cost again.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import queue
import threading
from pathlib import Path

ALIGN = 4096  # offsets, lengths and memory of direct writes: every logical block size up to a page
BLOCK = 4 * 1024 * 1024  # bytes gathered per direct write (1-8 MiB all ran at the disk's speed here)
HASH_READ = 4 * 1024 * 1024  # bytes a read when a file is hashed back from the disk (at most 4 such in memory)


def file_sha256(path: Path) -> str:
    """The file's SHA-256, read back in :data:`HASH_READ` pieces by a thread of its own while this one
    hashes the last (both release the interpreter lock): a large upload's file comes from the disk, not
    the page cache, and 1 MiB reads taken in turn with the hashing took two to three times as long."""
    pieces: queue.Queue[bytes | BaseException] = queue.Queue(maxsize=2)
    digest = hashlib.sha256()

    def read() -> None:
        try:
            with open(path, "rb", buffering=0) as handle:
                while piece := handle.read(HASH_READ):
                    pieces.put(piece)
            pieces.put(b"")
        except BaseException as exc:  # noqa: BLE001 - raised by the hashing thread
            pieces.put(exc)

    reader = threading.Thread(target=read, name="newsbridge-hash-read", daemon=True)
    reader.start()
    while (piece := pieces.get()) != b"":
        if isinstance(piece, BaseException):
            raise piece
        digest.update(piece)
    reader.join()
    return digest.hexdigest()


class DirectAppender:
    """Appends bytes to ``path`` from ``offset`` on, in :data:`BLOCK` direct writes.

    ``plain`` is an ordinary descriptor of the same file (the caller's, which it keeps and closes): the
    unaligned rest goes through it at :meth:`flush`, and everything does when the file system refuses
    ``O_DIRECT``. Not thread-safe: one writer thread owns it (an fsync of the file may run beside it).
    """

    def __init__(self, path: Path, offset: int, plain: int, block: int = BLOCK) -> None:
        self.plain, self.block = plain, block
        try:
            self.direct: int | None = os.open(path, os.O_WRONLY | os.O_DIRECT | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # EINVAL: this file system has no direct I/O
                raise
            self.direct = None
        self._memory = mmap.mmap(-1, block)  # page-aligned, as direct writes need
        self._view = memoryview(self._memory)
        self.restart(offset)

    def restart(self, offset: int) -> None:
        """Forget what the buffer holds and append from ``offset`` (the file already ends there)."""
        self.at = offset - offset % ALIGN  # the file offset of the buffer's first byte
        self.fill = offset - self.at
        if self.fill:  # the head of the block, already in the file: rewritten as it is
            head = os.pread(self.plain, self.fill, self.at)
            if len(head) != self.fill:
                raise OSError(errno.EIO, f"the partial file ends before offset {offset}")
            self._view[:self.fill] = head

    def write(self, data: bytes | bytearray | memoryview) -> None:
        source = memoryview(data)
        while source:
            take = min(len(source), self.block - self.fill)
            self._view[self.fill:self.fill + take] = source[:take]
            self.fill += take
            source = source[take:]
            if self.fill == self.block:
                self._put(self.block)

    def flush(self) -> None:
        """Hand every byte written so far to the kernel (the file system has them: an fsync makes them
        durable). The aligned part goes directly; the rest (under :data:`ALIGN`) through ``plain``,
        and stays in the buffer for the next direct write."""
        self._put(self.fill - self.fill % ALIGN)
        if self.fill:
            _write_all(self.plain, self._view[:self.fill], self.at)

    def close(self) -> None:
        if self.direct is not None:
            os.close(self.direct)
            self.direct = None
        self._view.release()
        self._memory.close()

    def _put(self, length: int) -> None:
        """Write the buffer's first ``length`` bytes (a multiple of :data:`ALIGN`) and keep the rest."""
        if length == 0:
            return
        chunk = self._view[:length]
        if self.direct is not None:
            try:
                _write_all(self.direct, chunk, self.at)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                os.close(self.direct)  # aligned to a page yet refused: ordinary writes from now on
                self.direct = None
        if self.direct is None:
            _write_all(self.plain, chunk, self.at)
        chunk.release()
        rest = self.fill - length
        if rest:
            self._memory.move(0, length, rest)
        self.at += length
        self.fill = rest


def _write_all(descriptor: int, data: memoryview, offset: int) -> None:
    done = 0
    while done < len(data):
        done += os.pwrite(descriptor, data[done:], offset + done)
