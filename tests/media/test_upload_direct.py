"""A large upload's bytes written past the page cache (media/uploads_direct.py): whatever the offset a PATCH
starts at and however the body is cut, the file holds exactly the bytes sent, a checkpoint hands every byte
so far to the kernel (the unaligned rest too), an abort cuts back to the last recorded offset, and the
allocator setting of uploads_stream.py holds once per process."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from newsbridge.errors import ChecksumMismatch, PayloadTooLarge
from newsbridge.ids import utcnow
from newsbridge.media.uploads import ChunkWriter, Upload
from newsbridge.media.uploads_direct import ALIGN, HASH_READ, DirectAppender, file_sha256
from newsbridge.media.uploads_stream import keep_freed_memory

KB = 1024


def _cuts(data: bytes, sizes: list[int]) -> list[bytes]:
    pieces, at, turn = [], 0, 0
    while at < len(data):
        size = sizes[turn % len(sizes)]
        pieces.append(data[at:at + size])
        at, turn = at + size, turn + 1
    return pieces


@pytest.mark.parametrize("start", [0, 1, ALIGN - 1, ALIGN, 5000, 3 * 64 * KB + 7])
@pytest.mark.parametrize("sizes", [[1, 5000, 3], [7, 4096, 70_000], [256_000]])
def test_the_file_holds_exactly_the_bytes_sent_from_any_offset(tmp_path: Path, start: int, sizes: list[int]) -> None:
    path = tmp_path / "upload.part"
    head, body = os.urandom(start), os.urandom(300 * KB + 123)
    path.write_bytes(head)
    with open(path, "r+b") as plain:
        appender = DirectAppender(path, start, plain.fileno(), block=64 * KB)
        sent = 0
        for index, piece in enumerate(_cuts(body, sizes)):
            appender.write(piece)
            sent += len(piece)
            if index % 5 == 4:  # a checkpoint in the middle of a block: the kernel has every byte so far
                appender.flush()
                assert path.stat().st_size == start + sent
        appender.flush()
        appender.close()
    assert path.read_bytes() == head + body


def test_a_flush_twice_and_a_restart_rewrite_nothing_wrong(tmp_path: Path) -> None:
    path = tmp_path / "upload.part"
    first = os.urandom(10_000)
    path.touch()
    with open(path, "r+b") as plain:
        appender = DirectAppender(path, 0, plain.fileno(), block=8 * KB)
        appender.write(first)
        appender.flush()
        appender.flush()
        assert path.read_bytes() == first
        appender.write(b"never kept")
        plain.truncate(len(first))  # what ChunkWriter.abort does: back to the recorded offset
        appender.restart(len(first))
        appender.write(b"tail")
        appender.flush()
        appender.close()
    assert path.read_bytes() == first + b"tail"


def _writer(tmp_path: Path, length: int, received: int = 0, checksum: bytes | None = None) -> ChunkWriter:
    path = tmp_path / "upload.part"
    if not path.exists():
        path.touch()
    upload = Upload("u1", "org", length, received, None, None, {}, utcnow(), None, None)
    return ChunkWriter(path, upload, checksum, direct=True)


def test_a_direct_patch_resumed_mid_block_checkpoints_and_finishes_whole(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * KB + 777)
    first = _writer(tmp_path, len(data))
    assert first.direct is not None
    first.write(data[:100_001])
    assert first.checkpoint() == 100_001  # on the disk: what a hub killed now resumes from
    first.write(data[100_001:200_000])  # never recorded: the next PATCH cuts it off
    first.close()
    second = _writer(tmp_path, len(data), received=100_001)
    for piece in _cuts(data[100_001:], [65_536, 300_000, 13]):
        second.write(piece)
    assert second.finish(True) == len(data)
    second.close()
    assert (tmp_path / "upload.part").read_bytes() == data


def test_a_direct_patch_with_a_wrong_checksum_or_too_many_bytes_keeps_nothing(tmp_path: Path) -> None:
    data = os.urandom(200 * KB)
    writer = _writer(tmp_path, len(data), checksum=hashlib.sha256(b"other").digest())
    writer.write(data)
    with pytest.raises(ChecksumMismatch):
        writer.finish(True)
    writer.close()
    assert (tmp_path / "upload.part").stat().st_size == 0
    writer = _writer(tmp_path, len(data))
    writer.write(data[:5000])
    with pytest.raises(PayloadTooLarge):
        writer.write(data)
    writer.close()
    assert (tmp_path / "upload.part").stat().st_size == 0


def test_a_finished_upload_locked_for_its_completion_opens_no_direct_writer(tmp_path: Path) -> None:
    (tmp_path / "upload.part").write_bytes(b"x" * 5000)
    writer = _writer(tmp_path, 5000, received=5000)
    assert writer.direct is None
    writer.close()


def test_the_allocator_keeps_freed_memory_once_per_process_on_glibc() -> None:
    import platform

    kept = keep_freed_memory()
    assert keep_freed_memory() is kept
    assert kept is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")


def test_a_file_hashed_back_in_pieces_by_a_reader_thread_has_its_own_hash(tmp_path: Path) -> None:
    path = tmp_path / "upload.part"
    data = os.urandom(HASH_READ + 12_345)  # two pieces, the last a short one
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    path.write_bytes(b"")
    assert file_sha256(path) == hashlib.sha256(b"").hexdigest()
    with pytest.raises(FileNotFoundError):  # the reader's error is raised where the hash is asked for
        file_sha256(tmp_path / "gone.part")
