"""Signed media URLs served by a real uvicorn on loopback, whose bodies go from the blob's file to the socket
(api/media_sendfile.py): every answer (whole file, ranges, 416, HEAD, If-Range, If-None-Match, the owner's and
a partner's) is the copying path's answer, header for header and byte for byte, one keep-alive connection
carrying them all; a slow reader is waited for without holding up the hub; a client that goes away mid-range
leaves no descriptor open and the hub answering; pipelined requests follow a sent file; a file out of the
page cache is read in off the event loop. uvicorn's h11
protocol and TLS take the copying path. Both event loops (asyncio, uvloop), both databases."""

from __future__ import annotations

import datetime
import hashlib
import http.client
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from faults import big_jpeg
from tus import upload

from newsbridge.api import media_sendfile
from newsbridge.app import create_app
from newsbridge.media.blobs import FileBlobStore
from newsbridge.media.links import signer
from tests.conftest import active_agreement
from tests.live_server import free_port

pytestmark = pytest.mark.anyio
MB = 1024 * 1024
SIZE = 6 * MB
ADDED_BY_THE_SERVER = {"date", "server", "x-request-id"}  # uvicorn's own, and a new id each answer


@pytest.fixture
def storage(tmp_path: Path) -> dict[str, str]:
    """The filesystem store: an S3 blob is copied, whatever the connection (test_media_fast_path.py)."""
    return {"media_dir": str(tmp_path / "media")}


@pytest.fixture
def sendfiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The byte counts os.sendfile was asked to send, each call (the calls go on unchanged)."""
    calls: list[int] = []
    real = os.sendfile

    def counted(out: int, fd: int, offset: int | None, count: int) -> int:
        calls.append(count)
        return real(out, fd, offset, count)

    monkeypatch.setattr(media_sendfile.os, "sendfile", counted)
    return calls


@pytest.fixture
async def world(settings, engine, make_partner, tmp_path):  # type: ignore[no-untyped-def]
    """The app, an ASGI client of it (the copying path), the file, and the owner's and a partner's paths."""
    app = create_app(settings.replace(in_process_worker=False), engine, migrate=False)
    alpha = make_partner("alpha", scopes=("publish", "read", "manage"))
    beta = make_partner("beta", scopes=("publish", "read", "manage"))
    source = tmp_path / "report.jpg"
    big_jpeg(source, SIZE)
    data = source.read_bytes()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as asgi:
        await active_agreement(asgi, alpha, beta, {"languages": ["en"], "media": {"allow_gps": True}})
        upload_id, _ = await upload(asgi, alpha.headers, data, chunk=2 * MB, filename="Report.jpg",
                                    filetype="image/jpeg")
        published = await asgi.post("/api/v1/items", headers=alpha.headers, json={
            "uri": "urn:alpha:photo:big", "version": "1", "type": "picture", "language": "en",
            "headlines": [{"role": "main", "value": "A big picture"}],
            "renditions": [{"name": "original", "upload": upload_id}]})
        assert published.status_code == 201, published.text
        received = await asgi.get(f"/api/v1/items/{published.json()['id']}", headers=beta.headers)
        paths = [urlsplit(item["renditions"][0]["href"]) for item in (published.json(), received.json())]
        hub, rendition_id = app.state.hub, paths[0].path.rsplit("/", 1)[1]
        stranger = urlsplit(signer(hub.engine, hub.settings, make_partner("gamma").org).href(rendition_id))
        yield {"app": app, "asgi": asgi, "data": data, "own": f"{paths[0].path}?{paths[0].query}",
               "partner": f"{paths[1].path}?{paths[1].query}", "stranger": f"{stranger.path}?{stranger.query}"}


@contextmanager
def served(app: Any, loop: str, protocol: str = "httptools", tls: tuple[str, str] | None = None) -> Iterator[int]:
    """uvicorn serving ``app`` on a loopback port in a thread (lifespan off: no workers); yields the port."""
    port = free_port()
    options: dict[str, Any] = {"ssl_certfile": tls[0], "ssl_keyfile": tls[1]} if tls else {}
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, loop=loop, http=protocol,
                                           lifespan="off", log_config=None, **options))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def cases(world: dict[str, Any], etag: str) -> list[tuple[str, str, dict[str, str]]]:
    size = len(world["data"])
    own, partner = world["own"], world["partner"]
    return [("GET", own, {}), ("GET", own, {"Range": "bytes=100-1099"}), ("GET", own, {"Range": "bytes=-500"}),
            ("GET", own, {"Range": f"bytes={3 * MB}-"}), ("GET", own, {"Range": f"bytes={size}-"}),  # 416
            ("GET", own, {"Range": "bytes=0-9", "If-Range": '"another"'}),  # the whole file
            ("GET", own, {"Range": "bytes=0-9", "If-Range": etag}), ("GET", own, {"If-None-Match": etag}),  # 304
            ("HEAD", own, {}), ("HEAD", own, {"Range": "bytes=5-"}),
            ("GET", partner, {"Range": f"bytes={MB}-{2 * MB - 1}"}), ("GET", partner, {}), ("HEAD", partner, {})]


def answers_over(port: int, asked: list[tuple[str, str, dict[str, str]]], context: ssl.SSLContext | None = None,
                 ) -> list[tuple[int, dict[str, str], bytes]]:
    """Each request over one keep-alive connection (checked to stay the same socket)."""
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    found, sockets = [], set()
    try:
        for method, path, headers in asked:
            connection.request(method, path, headers=headers)
            response = connection.getresponse()
            body = response.read()
            sockets.add(id(connection.sock))
            found.append((response.status, {k.lower(): v for k, v in response.getheaders()
                                             if k.lower() not in ADDED_BY_THE_SERVER}, body))
    finally:
        connection.close()
    assert len(sockets) == 1, "the connection was not kept alive"
    return found


async def copied(world: dict[str, Any], asked: list[tuple[str, str, dict[str, str]]],
                 ) -> list[tuple[int, dict[str, str], bytes]]:
    found = []
    for method, path, headers in asked:
        answer = await world["asgi"].request(method, path, headers=headers)
        found.append((answer.status_code, {k: v for k, v in answer.headers.items() if k not in ADDED_BY_THE_SERVER},
                      answer.content))
    return found


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_sent_files_answer_as_the_copying_path(world, sendfiles, loop) -> None:
    etag = (await world["asgi"].head(world["own"])).headers["etag"]
    asked = cases(world, etag)
    expected = await copied(world, asked)
    with served(world["app"], loop) as port:
        got = answers_over(port, asked)
    assert [status for status, _, _ in got] == [200, 206, 206, 206, 416, 200, 206, 304, 200, 206, 206, 200, 200]
    assert got == expected
    data = world["data"]
    assert got[0][2] == data and got[3][2] == data[3 * MB:] and got[10][2] == data[MB:2 * MB]
    assert len([status for status, _, body in got if body]) == 8
    assert sum(sendfiles) >= 3 * SIZE + 4 * MB + 1510  # each of them went by sendfile (some in pieces)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_a_stranger_gets_404_and_no_byte_over_a_real_server(world, sendfiles, loop) -> None:
    """A URL validly signed for an organization no agreement covers: 404 on the event loop's path too, no byte
    of the file sent, and the connection still serves the owner's next range."""
    asked = [("GET", world["stranger"], {}), ("GET", world["stranger"], {"Range": "bytes=0-99"}),
             ("HEAD", world["stranger"], {}), ("GET", world["own"], {"Range": "bytes=0-99"})]
    with served(world["app"], loop) as port:
        got = answers_over(port, asked)
    assert [status for status, _, _ in got] == [404, 404, 404, 206]
    assert all(world["data"][:100] not in body for _, _, body in got[:3])
    assert got[3][2] == world["data"][:100]
    assert sendfiles == [100]  # only the owner's range went to the socket


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_other_protocols_copy(world, sendfiles, loop, tmp_path) -> None:
    """h11 and TLS: no socket to send a file to (the bytes are framed or encrypted in user space)."""
    etag = (await world["asgi"].head(world["own"])).headers["etag"]
    asked = cases(world, etag)
    expected = await copied(world, asked)
    with served(world["app"], loop, protocol="h11") as port:
        assert answers_over(port, asked) == expected
    certificate, key = self_signed(tmp_path)
    context = ssl.create_default_context(cafile=certificate)
    hsts = {"strict-transport-security": "max-age=31536000; includeSubDomains"}  # over TLS, every answer
    with served(world["app"], loop, tls=(certificate, key)) as port:
        assert answers_over(port, asked, context) == [(status, {**headers, **hsts}, body)
                                                       for status, headers, body in expected]
    assert sendfiles == []


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_a_slow_reader_is_waited_for_and_holds_up_nobody(world, sendfiles, loop) -> None:
    with served(world["app"], loop) as port:
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        slow.connect(("127.0.0.1", port))
        slow.sendall(f"GET {world['own']} HTTP/1.1\r\nHost: hub\r\n\r\n".encode())
        received = bytearray()
        while b"\r\n\r\n" not in received:
            received += slow.recv(1024)
        head = received.index(b"\r\n\r\n") + 4
        asked = time.monotonic()
        other = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)  # while the file is on its way
        assert other.status_code == 200 and time.monotonic() - asked < 5
        while len(received) - head < SIZE:
            time.sleep(0.001)  # a reader slower than the hub
            piece = slow.recv(64 * 1024)
            assert piece
            received += piece
        slow.close()
    assert received.startswith(b"HTTP/1.1 200") and received[head:] == world["data"]
    assert len(sendfiles) > 1  # the socket filled up and was waited for


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_a_client_gone_mid_range_leaves_nothing_open(world, sendfiles, loop, caplog) -> None:
    with served(world["app"], loop) as port:
        for _ in range(2):  # the second on the event loop's own database connection (media/serving.py)
            answered = httpx.get(f"http://127.0.0.1:{port}{world['own']}", headers={"Range": "bytes=0-9"}, timeout=10)
            assert answered.status_code == 206
        time.sleep(0.2)
        descriptors = len(os.listdir("/proc/self/fd"))
        for _ in range(3):
            gone = socket.socket()
            gone.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
            gone.connect(("127.0.0.1", port))
            gone.sendall(f"GET {world['own']} HTTP/1.1\r\nHost: hub\r\n\r\n".encode())
            assert gone.recv(16 * 1024).startswith(b"HTTP/1.1 200")
            gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset
            gone.close()
        deadline = time.monotonic() + 10
        while len(os.listdir("/proc/self/fd")) > descriptors:  # the blob's and the duplicated socket's closed
            assert time.monotonic() < deadline, "descriptors left open"
            time.sleep(0.05)
        again = httpx.get(f"http://127.0.0.1:{port}{world['own']}", timeout=10)
    assert again.status_code == 200 and again.content == world["data"]
    assert len(sendfiles) >= 2 + 3 + 1  # the ranges went by sendfile, the three abandoned ones too
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_pipelined_requests_follow_a_sent_file(world, sendfiles, loop) -> None:
    data = world["data"]
    ranges = [(0, MB - 1), (5, 4 * MB), (SIZE - 10, SIZE - 1)]
    requests = b"".join(f"GET {world['own']} HTTP/1.1\r\nHost: hub\r\nRange: bytes={first}-{last}\r\n\r\n".encode()
                        for first, last in ranges)
    with served(world["app"], loop) as port, socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(requests)
        stream = sock.makefile("rb")
        for first, last in ranges:
            status = stream.readline()
            headers = {}
            while (line := stream.readline()) != b"\r\n":
                name, _, value = line.decode().partition(":")
                headers[name.lower()] = value.strip()
            assert status.startswith(b"HTTP/1.1 206") and headers["content-range"] == f"bytes {first}-{last}/{SIZE}"
            assert stream.read(int(headers["content-length"])) == data[first:last + 1]
    assert len(sendfiles) >= 3


def self_signed(directory: Path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    import ipaddress

    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                                          serialization.NoEncryption()))
    return str(directory / "cert.pem"), str(directory / "key.pem")


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_a_file_out_of_the_page_cache_is_read_in_off_the_loop(world, sendfiles, loop, settings,
                                                                    monkeypatch) -> None:
    """The pieces sendfile would have waited on the disk for are read in on a worker thread, never on the loop's.
    What was read in is recorded as it happens: the page cache afterwards says nothing certain (under a busy
    CI's memory pressure the kernel may drop the pages again before a test could look)."""
    path = FileBlobStore(settings.media_dir).path(hashlib.sha256(world["data"]).hexdigest())
    probed, read_in = [], []
    real_resident, real_read_in = media_sendfile.resident, media_sendfile._read_in

    def probe(fd: int, offset: int, count: int) -> bool:
        probed.append(threading.get_ident())
        return real_resident(fd, offset, count)

    def reading(fd: int, offset: int, count: int) -> None:
        read_in.append((threading.get_ident(), offset, count))
        real_read_in(fd, offset, count)

    monkeypatch.setattr(media_sendfile, "resident", probe)
    monkeypatch.setattr(media_sendfile, "_read_in", reading)
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)  # clean pages: the kernel drops them
        if real_resident(fd, 0, SIZE):
            pytest.skip("the page cache kept the file (a file system that cannot drop it)")
    finally:
        os.close(fd)
    with served(world["app"], loop) as port:
        answer = httpx.get(f"http://127.0.0.1:{port}{world['own']}", headers={"Range": f"bytes={MB}-"}, timeout=30)
    assert answer.status_code == 206 and answer.content == world["data"][MB:] and sendfiles
    # pieces of the range that were not in the cache were read in before they were sent, each at most once
    assert read_in and all(MB <= offset and offset + count <= SIZE for _, offset, count in read_in)
    assert sum(count for _, _, count in read_in) <= SIZE - MB
    loop_threads = set(probed)  # the loop probes; the reads ran elsewhere
    assert loop_threads and not loop_threads & {thread for thread, _, _ in read_in}
