"""A finished upload becomes a blob without a copy: the filesystem store links the durable partial
file under its hash (same bytes, same inode), once per content, and copies across filesystems."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from newsbridge.media.blobs import FileBlobStore


def test_adopt_links_the_file_under_its_hash(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "media")
    part = tmp_path / "media" / "uploads" / "u.part"
    part.parent.mkdir(parents=True)
    data = os.urandom(3 * 1024 * 1024 + 7)
    part.write_bytes(data)
    blob = store.adopt(part)
    assert (blob.sha256, blob.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert store.path(blob.sha256).stat().st_ino == part.stat().st_ino  # linked, not copied
    part.unlink()  # what complete_upload does once the media row is written
    assert b"".join(store.read(blob.sha256)) == data
    again = tmp_path / "media" / "uploads" / "v.part"
    again.write_bytes(data)
    assert store.adopt(again) == blob  # the same bytes: the same blob, kept once
    assert store.path(blob.sha256).stat().st_ino != again.stat().st_ino


def test_adopt_copies_when_it_cannot_link(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileBlobStore(tmp_path / "media")
    part = tmp_path / "elsewhere.part"
    part.write_bytes(b"\xff\xd8\xff" + b"x" * 5000)

    def cross_device(*_args: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", cross_device)
    blob = store.adopt(part)
    assert store.path(blob.sha256).read_bytes() == part.read_bytes()
    assert store.path(blob.sha256).stat().st_ino != part.stat().st_ino
