"""The blob store contract, run over the filesystem and a real SeaweedFS (S3)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from newsbridge.errors import NotFound, StorageUnavailable
from newsbridge.media.blobs import CHUNK, FileBlobStore, S3BlobStore, copy_to_file


def _bytes(size: int) -> bytes:
    return os.urandom(size)


@pytest.mark.parametrize("size", [1, 1000, 3 * CHUNK + 17])
def test_put_names_the_blob_by_its_sha256_and_reads_it_back(store, size: int) -> None:
    data = _bytes(size)
    blob = store.put(io.BytesIO(data))
    assert blob.sha256 == hashlib.sha256(data).hexdigest() and blob.size == size
    assert b"".join(store.read(blob.sha256)) == data
    assert store.exists(blob.sha256) and store.stat(blob.sha256).size == size


def test_the_same_bytes_are_stored_once(store, tmp_path: Path) -> None:
    data = _bytes(5000)
    first = store.put(io.BytesIO(data))
    (tmp_path / "again.bin").write_bytes(data)
    second = store.put_file(tmp_path / "again.bin")
    assert first == second
    if isinstance(store, FileBlobStore):
        assert [p.name for p in (store.root / "blobs").rglob("*") if p.is_file()] == [first.sha256]
        assert list(store.tmp.iterdir()) == []  # the duplicate's temporary is gone
    else:
        listed = store.client.list_objects_v2(Bucket=store.bucket, Prefix="tmp/")
        assert listed.get("KeyCount", 0) == 0


@pytest.mark.parametrize(("start", "length"), [(0, 10), (5, 1), (CHUNK - 3, 10), (100, None), (2 * CHUNK, 5)])
def test_ranges_read_only_what_is_asked(store, start: int, length: int | None) -> None:
    data = _bytes(2 * CHUNK + 100)
    blob = store.put(io.BytesIO(data))
    expected = data[start:] if length is None else data[start:start + length]
    assert b"".join(store.read(blob.sha256, start, length)) == expected


def test_reads_come_in_chunks_not_the_whole_file(store) -> None:
    blob = store.put(io.BytesIO(_bytes(3 * CHUNK)))
    chunks = list(store.read(blob.sha256))
    assert len(chunks) >= 3 and max(map(len, chunks)) <= CHUNK


def test_delete_forgets_and_missing_blobs_are_not_found(store) -> None:
    blob = store.put(io.BytesIO(_bytes(100)))
    store.delete(blob.sha256)
    store.delete(blob.sha256)  # twice is harmless
    assert not store.exists(blob.sha256) and store.stat(blob.sha256) is None
    with pytest.raises(NotFound):
        b"".join(store.read(blob.sha256))


@pytest.mark.parametrize("name", ["../../etc/passwd", "A" * 64, "abc", "0" * 63 + "/"])
def test_only_sha256_names_reach_the_store(store, name: str) -> None:
    with pytest.raises(NotFound):
        store.read(name)


def test_copy_to_file(store, tmp_path: Path) -> None:
    data = _bytes(CHUNK + 1)
    blob = store.put(io.BytesIO(data))
    assert copy_to_file(store, blob.sha256, tmp_path / "out").read_bytes() == data


class _Breaks(io.RawIOBase):
    """A source that fails half-way, like a dropped client."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self.sent >= 2 * CHUNK:
            raise ConnectionError("the client went away")
        n = min(len(buffer), CHUNK)
        buffer[:n] = b"x" * n
        self.sent += n
        return n


def test_an_interrupted_write_leaves_no_blob_and_no_temporary(store) -> None:
    with pytest.raises((ConnectionError, StorageUnavailable)):
        store.put(io.BufferedReader(_Breaks()))
    if isinstance(store, FileBlobStore):
        assert list(store.tmp.iterdir()) == [] and not (store.root / "blobs").exists()
    else:
        assert store.client.list_objects_v2(Bucket=store.bucket, Prefix="tmp/").get("KeyCount", 0) == 0


def test_a_stopped_s3_server_is_a_clear_error(tmp_path: Path) -> None:
    closed = S3BlobStore("http://127.0.0.1:9", "nowhere", "k", "s", "us-east-1")
    with pytest.raises(StorageUnavailable) as raised:
        closed.put(io.BytesIO(b"data"))
    assert raised.value.status == 503 and "try again" in raised.value.message
