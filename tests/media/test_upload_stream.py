"""A PATCH body written by a thread of its own (media/uploads_stream.py): every byte lands in order,
hashed; checkpoints are recorded in order; the loop waits when the writer falls behind; a body
longer than the upload is refused and nothing of it stays."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
from pathlib import Path

import pytest

from newsbridge.errors import PayloadTooLarge
from newsbridge.ids import utcnow
from newsbridge.media.uploads import CHECKPOINT, ChunkWriter, Upload
from newsbridge.media.uploads_stream import BodySink

pytestmark = pytest.mark.anyio
MB = 1024 * 1024


def _writer(tmp_path: Path, length: int) -> ChunkWriter:
    path = tmp_path / "upload.part"
    path.touch()
    upload = Upload("u1", "org", length, 0, None, None, {}, utcnow(), None, None)
    return ChunkWriter(path, upload, None)


async def test_the_sink_writes_every_chunk_in_order_and_records_checkpoints_in_order(tmp_path: Path) -> None:
    chunks = [os.urandom(300 * 1024) for _ in range(130)]  # ~38 MiB: two checkpoints on the way
    data = b"".join(chunks)
    writer = _writer(tmp_path, len(data))
    recorded: list[int] = []
    threads: set[str] = set()

    def checkpoint(offset: int) -> None:
        threads.add(threading.current_thread().name)
        recorded.append(writer.sync(offset))

    sink = BodySink(writer, checkpoint, pending=MB)  # small: the loop has to wait for the writer
    for index, chunk in enumerate(chunks):
        await sink.put(chunk)
        if index == 60:  # 18 MiB queued: the first checkpoint is on its way. One runs at a time, so one whose
            # fsync outlasts the next 16 MiB is skipped, by design (a loaded CI disk did that): let it end first
            await asyncio.wait_for(_recorded(recorded), timeout=60)
    await sink.close()
    assert writer.finish(True) == len(data)
    writer.close()
    assert (tmp_path / "upload.part").read_bytes() == data
    assert writer.file_sha256() == hashlib.sha256(data).hexdigest()
    assert recorded == sorted(recorded) and len(recorded) == 2 and recorded[0] >= CHECKPOINT
    assert threading.current_thread().name not in threads  # synced beside the loop, not on it


async def _recorded(recorded: list[int]) -> None:
    while not recorded:
        await asyncio.sleep(0.01)


async def test_a_body_longer_than_the_upload_is_refused_and_cut_off(tmp_path: Path) -> None:
    writer = _writer(tmp_path, 3 * MB)
    sink = BodySink(writer, lambda offset: None, pending=MB)
    with pytest.raises(PayloadTooLarge):
        for _ in range(8):
            await sink.put(os.urandom(MB))
        await sink.close()
    await sink.ended()  # idempotent: the thread is gone, the writer free
    writer.close()
    assert (tmp_path / "upload.part").stat().st_size == 0  # nothing of the refused PATCH stays
