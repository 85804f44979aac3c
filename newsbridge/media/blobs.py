"""The blob store: media bytes kept by their SHA-256, on the filesystem or in S3-compatible storage.

A blob's name is the SHA-256 of its bytes, so the same file uploaded twice (by anyone) is kept
once, and a name always means the same bytes. Writes are atomic: the bytes go to a temporary
file (or object) while their hash is computed, and only then appear under their name (rename;
for S3 a server-side copy), so a reader never sees half a blob and a crash leaves only a
temporary to sweep. Reads stream in chunks from any offset (HTTP range requests), never the
whole file in memory.

``blob_store(settings)`` picks the backend: S3 when ``NEWSBRIDGE_S3_BUCKET`` is set, else the
directory ``NEWSBRIDGE_MEDIA_DIR``. The same conformance tests (tests/media/test_blobs.py) run
over both, the S3 one against a real SeaweedFS.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from newsbridge.config import Settings
from newsbridge.errors import NotFound, StorageUnavailable

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Blob:
    sha256: str
    size: int


class BlobStore(Protocol):
    """Where media bytes live. Every method takes or returns the blob's SHA-256 (hex)."""

    def put(self, source: BinaryIO) -> Blob:
        """Store what ``source`` reads until its end; returns its hash and size (same bytes: same blob)."""

    def put_file(self, path: Path) -> Blob:
        """Store the file at ``path`` (left where it is)."""

    def read(self, sha256: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The blob's bytes from ``start``, ``length`` of them (None: to the end), in chunks; NotFound
        if there is no such blob."""

    def stat(self, sha256: str) -> Blob | None:
        """The blob's size, or None when it is not stored."""

    def exists(self, sha256: str) -> bool: ...

    def delete(self, sha256: str) -> None:
        """Forget the blob (nothing when it is not there). Callers check no rendition still names it."""

    def clear_temporaries(self, older_than: float = 0.0, now: float | None = None) -> int:
        """Remove temporaries interrupted writes left (all, or those ``older_than`` seconds); how many."""


def check_name(sha256: str) -> str:
    """A blob name is 64 lower-case hex digits: nothing else reaches a path or an object key."""
    if not _SHA256.match(sha256):
        raise NotFound(f"no blob {sha256[:80]!r}", field="sha256")
    return sha256


def copy_to_file(store: BlobStore, sha256: str, path: Path) -> Path:
    """Write a blob to a local file (for tools that need a path: ffprobe, Pillow); returns ``path``."""
    with open(path, "wb") as out:
        for chunk in store.read(sha256):
            out.write(chunk)
    return path


class _Hashing:
    """Reads through to ``source`` and hashes what passes; not seekable, so uploaders read it once, in order."""

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.hash = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.hash.update(data)
        self.size += len(data)
        return data

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return True


class FileBlobStore:
    """Blobs as files ``ROOT/blobs/ab/abcdef...``; temporaries in ``ROOT/tmp`` on the same filesystem,
    so the final rename is atomic."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.tmp = self.root / "tmp"

    def path(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / "blobs" / sha256[:2] / sha256

    def put(self, source: BinaryIO) -> Blob:
        self.tmp.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, temp = tempfile.mkstemp(dir=self.tmp, suffix=".blob")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())  # the bytes are on disk before the name points at them
            sha256 = digest.hexdigest()
            final = self.path(sha256)
            if final.exists():
                os.unlink(temp)  # stored already: content addressing keeps one copy
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, final)
            return Blob(sha256, size)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise

    def put_file(self, path: Path) -> Blob:
        with open(path, "rb") as source:
            return self.put(source)

    def adopt(self, path: Path, sha256: str | None = None) -> Blob:
        """Store a local file that is already durable (fsynced) without copying it: hash it, then give
        the blob's name to the same bytes with a hard link (atomic; the file stays where it is until
        the caller removes it, so a crash before the caller's database row leaves it to try again).
        A file on another filesystem is copied (:meth:`put_file`). The caller must not change the file
        afterwards: it is the blob. ``sha256``: its hash, when the caller computed it as the file was
        written (not read again)."""
        if sha256 is None:
            digest = hashlib.sha256()
            with open(path, "rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
            sha256 = digest.hexdigest()
        size = path.stat().st_size
        final = self.path(sha256)
        if final.exists():
            return Blob(sha256, size)
        final.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, final)
        except FileExistsError:
            pass  # stored meanwhile by another upload of the same bytes
        except OSError:
            return self.put_file(path)  # another filesystem (EXDEV) or no hard links there
        directory = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the new name survives a power cut
        finally:
            os.close(directory)
        return Blob(sha256, size)

    def read(self, sha256: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        path = self.path(sha256)
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            raise NotFound(f"no blob {sha256}", field="sha256") from None
        return self._chunks(handle, start, length)

    @staticmethod
    def _chunks(handle: BinaryIO, start: int, length: int | None) -> Iterator[bytes]:
        with handle:
            handle.seek(start)
            left = length
            while left is None or left > 0:
                chunk = handle.read(CHUNK if left is None else min(CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)
                yield chunk

    def stat(self, sha256: str) -> Blob | None:
        try:
            return Blob(sha256, self.path(sha256).stat().st_size)
        except FileNotFoundError:
            return None

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def clear_temporaries(self, older_than: float = 0.0, now: float | None = None) -> int:
        """Remove what interrupted writes left in ``tmp``: everything (at start-up, before writers
        run), or only what is ``older_than`` seconds (beside running writers: the periodic sweep)."""
        count, cutoff = 0, (time.time() if now is None else now) - older_than
        if self.tmp.exists():
            for leftover in self.tmp.iterdir():
                try:
                    if older_than and leftover.stat().st_mtime >= cutoff:
                        continue
                except FileNotFoundError:
                    continue
                leftover.unlink(missing_ok=True)
                count += 1
        return count


class S3BlobStore:
    """Blobs as objects ``blobs/<sha256>`` in a bucket of any S3-compatible service (AWS S3, SeaweedFS,
    MinIO...). A write goes to ``tmp/<random>`` while its hash is computed, then is copied server-side
    to its name and the temporary deleted: no object is ever visible under a name its bytes do not hash to."""

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str, region: str) -> None:
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        self.bucket = bucket
        self.client = boto3.client(
            "s3", endpoint_url=endpoint or None, aws_access_key_id=access_key or None,
            aws_secret_access_key=secret_key or None, region_name=region or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                          s3={"addressing_style": "path"}))
        # 8 MiB parts, 4 at once: a 20 GiB upload holds at most ~32 MiB in memory
        self.transfer = TransferConfig(multipart_chunksize=8 * CHUNK, multipart_threshold=8 * CHUNK, max_concurrency=4)

    @staticmethod
    def key(sha256: str) -> str:
        return f"blobs/{check_name(sha256)}"

    def _unavailable(self, exc: Exception) -> StorageUnavailable:
        return StorageUnavailable(f"the S3 media store (bucket {self.bucket!r}) failed: {type(exc).__name__}; "
                                  "nothing was half-stored, try again", field="storage")

    def put(self, source: BinaryIO) -> Blob:
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError

        temp = f"tmp/{uuid.uuid4().hex}"
        hashing = _Hashing(source)
        try:
            self.client.upload_fileobj(hashing, self.bucket, temp, Config=self.transfer)
            sha256 = hashing.hash.hexdigest()
            if not self.exists(sha256):
                self.client.copy({"Bucket": self.bucket, "Key": temp}, self.bucket, self.key(sha256),
                                 Config=self.transfer)
            return Blob(sha256, hashing.size)
        except (BotoCoreError, ClientError, Boto3Error) as exc:  # Boto3Error: S3UploadFailedError of the transfer
            raise self._unavailable(exc) from exc
        finally:
            try:
                self.client.delete_object(Bucket=self.bucket, Key=temp)
            except (BotoCoreError, ClientError):
                pass  # a temporary left by a failing store is swept with clear_temporaries()

    def put_file(self, path: Path) -> Blob:
        with open(path, "rb") as source:
            return self.put(source)

    def read(self, sha256: str, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        if length == 0:
            return iter(())
        ranged: dict[str, Any] = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            ranged["Range"] = f"bytes={start}-{end}"
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256), **ranged)["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "InvalidRange"):
                raise NotFound(f"no blob {sha256}", field="sha256") from None
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc) from exc
        return self._chunks(body)

    @staticmethod
    def _chunks(body: Any) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def stat(self, sha256: str) -> Blob | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise self._unavailable(exc) from exc
        except BotoCoreError as exc:
            raise self._unavailable(exc) from exc
        return Blob(sha256, int(head["ContentLength"]))

    def exists(self, sha256: str) -> bool:
        return self.stat(sha256) is not None

    def delete(self, sha256: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from exc

    def create_bucket(self) -> None:
        """Create the bucket when it is missing (tests, first start against a fresh SeaweedFS)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def clear_temporaries(self, older_than: float = 0.0, now: float | None = None) -> int:
        """As :meth:`FileBlobStore.clear_temporaries`, by the objects' last-modified time; multipart
        uploads a dead writer left open are aborted too (their parts take space until then)."""
        from botocore.exceptions import BotoCoreError, ClientError

        count, cutoff = 0, (time.time() if now is None else now) - older_than
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="tmp/"):
                for entry in page.get("Contents", []):
                    if older_than and entry["LastModified"].timestamp() >= cutoff:
                        continue
                    self.client.delete_object(Bucket=self.bucket, Key=entry["Key"])
                    count += 1
            for open_upload in self.client.list_multipart_uploads(Bucket=self.bucket, Prefix="tmp/").get("Uploads", []):
                if older_than and open_upload["Initiated"].timestamp() >= cutoff:
                    continue
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=open_upload["Key"],
                                                   UploadId=open_upload["UploadId"])
        except (BotoCoreError, ClientError) as exc:
            raise self._unavailable(exc) from exc
        return count


def blob_store(settings: Settings) -> FileBlobStore | S3BlobStore:
    """The store the settings name: S3 when a bucket is set, else the media directory."""
    if settings.s3_bucket:
        return S3BlobStore(settings.s3_endpoint, settings.s3_bucket, settings.s3_access_key,
                           settings.s3_secret_key, settings.s3_region)
    return FileBlobStore(settings.media_dir)


def uploads_dir(settings: Settings) -> Path:
    """Where tus uploads are assembled (appending needs a local file, whatever the blob store)."""
    path = Path(settings.media_dir) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path

