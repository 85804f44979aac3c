"""The other side of bench/fanout.py: Debian's nginx as 100 partners' receivers, and the bare HTTP
clients the hub could send webhooks with.

**Receivers.** One nginx (its own config in a temporary directory, one worker process by default)
listens on one port of 100 loopback addresses: partner i's endpoint is
``http://127.1.0.<i+1>:<port>/hook/<i>``, an origin of its own as each partner is on the internet
(a client cannot pool one partner's connections for another's messages). Every POST is answered
``204`` by a ``return 204;`` location, and logged with nginx's clock (``$msec``), the
``webhook-id`` and the status to a file the bench reads: arrival times and counts without a
Python receiver that would itself be the bottleneck. nginx's own CPU time is read from /proc.

**Bare clients.** Each posts the same messages (URL, body) to the same receivers with the same
concurrency, and signs every message with the hub's own ``sign`` (Standard Webhooks, a fresh
webhook-id each) inside the timed loop, as the hub must; no database, no rendering. They are the
candidates for the hub's sender: httpx's AsyncClient, httpcore's connection pool used directly,
aiohttp's ClientSession (on asyncio's loop and on uvloop), the hub's own ``HttpSender`` (aiohttp
behind the SSRF guard's checked address), and a hand-written HTTP/1.1 client on asyncio streams, a
floor no library can go below.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import httpcore
import httpx
from cpu_use import process_cpu

from newsbridge.delivery.webhooks import HttpSender, Message, sign
from newsbridge.targets import check_url

SECRET = "whsec_YmVuY2gtZmFuLW91dC1zaWduaW5nLXNlY3JldC0zMmJ5dGVz"  # base64 of 32 bytes, as the hub makes them
ALLOW = ("127.0.0.0/8",)
Post = tuple[str, str]  # (url, body)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Arrival:
    at: float  # nginx's clock, seconds since the epoch (millisecond resolution)
    webhook_id: str
    status: int
    path: str


class NginxReceivers:
    """Debian's nginx answering 204 to every partner's endpoint and logging each arrival (see the module)."""

    def __init__(self, root: Path, partners: int, workers: int = 1) -> None:
        binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
        assert binary, "nginx is missing: `make nginx` installs Debian's nginx"
        self.root, self.partners, self.port = root, partners, free_port()
        self.log = root / "arrivals.log"
        listens = "\n".join(f"    listen {self.address(i)}:{self.port};" for i in range(partners))
        user = "user root;\n" if os.geteuid() == 0 else ""
        (root / "nginx.conf").write_text(f"""{user}worker_processes {workers};
daemon off;
pid {root / 'nginx.pid'};
error_log {root / 'nginx-error.log'} warn;
events {{ worker_connections 8192; }}
http {{
  log_format arrivals '$msec $http_webhook_id $status $uri';
  access_log {self.log} arrivals buffer=256k flush=50ms;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  client_body_temp_path {root}/nginx-body;
  proxy_temp_path {root}/nginx-proxy;
  fastcgi_temp_path {root}/nginx-fastcgi;
  uwsgi_temp_path {root}/nginx-uwsgi;
  scgi_temp_path {root}/nginx-scgi;
  server {{
{listens}
    location /hook/ {{ return 204; }}
    location = /ready {{ access_log off; return 200; }}
  }}
}}
""")
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._offset = 0
        self._partial = b""
        self._arrived: list[Arrival] = []

    @staticmethod
    def address(partner: int) -> str:
        return f"127.1.{partner // 250}.{partner % 250 + 1}"

    def url(self, partner: int) -> str:
        return f"http://{self.address(partner)}:{self.port}/hook/{partner}"

    def __enter__(self) -> "NginxReceivers":
        self._process = subprocess.Popen([self._binary, "-c", str(self.root / "nginx.conf"), "-p", str(self.root)],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while True:
            assert self._process.poll() is None, f"nginx ended: see {self.root / 'nginx-error.log'}"
            try:
                httpx.get(f"http://{self.address(0)}:{self.port}/ready", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        return self

    def __exit__(self, *_exc: object) -> None:
        assert self._process is not None
        self._process.terminate()
        self._process.wait(10)

    def _read(self) -> None:
        if not self.log.exists():
            return
        with self.log.open("rb") as f:
            f.seek(self._offset)
            data = f.read()
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            at, webhook_id, status, path = line.decode().split(" ", 3)
            self._arrived.append(Arrival(float(at), webhook_id, int(status), path))

    def count(self) -> int:
        self._read()
        return len(self._arrived)

    def take(self) -> list[Arrival]:
        """What arrived since the last take."""
        self._read()
        taken, self._arrived = self._arrived, []
        return taken

    def wait_for(self, expected: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.count() < expected:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def cpu_seconds(self) -> float:
        """CPU time of nginx's worker processes so far (user + system)."""
        assert self._process is not None
        children = Path(f"/proc/{self._process.pid}/task/{self._process.pid}/children").read_text().split()
        return sum(process_cpu(int(pid)) for pid in children)


# -- the bare clients ---------------------------------------------------------------------------------

def signed(n: int, body: str, when: datetime) -> dict[str, str]:
    """The hub's Standard Webhooks headers for a message of its own (a fresh webhook-id)."""
    return {**sign(f"msg_bare{n:022d}", body, [SECRET], when), "content-type": "application/json",
            "user-agent": "bench"}


async def gather_limited(count: int, concurrency: int, post: Callable[[int], Awaitable[None]]) -> int:
    """Post messages 0..count-1, ``concurrency`` at a time; the number that failed (an exception each)."""
    limit = asyncio.Semaphore(concurrency)

    async def one(n: int) -> bool:
        async with limit:
            try:
                await post(n)
            except Exception:  # counted and reported: a client that fails is part of its figure
                return False
            return True

    return sum(not ok for ok in await asyncio.gather(*(one(n) for n in range(count))))


async def with_httpx(posts: Sequence[Post], concurrency: int) -> int:
    limits = httpx.Limits(max_connections=2 * concurrency, max_keepalive_connections=2 * concurrency)
    async with httpx.AsyncClient(timeout=10, trust_env=False, limits=limits) as client:
        async def post(n: int) -> None:
            url, body = posts[n]
            response = await client.post(url, content=body.encode(), headers=signed(n, body, now()))
            assert response.status_code == 204, response.status_code

        return await gather_limited(len(posts), concurrency, post)


async def with_httpcore(posts: Sequence[Post], concurrency: int) -> int:
    async with httpcore.AsyncConnectionPool(max_connections=2 * concurrency,
                                            max_keepalive_connections=2 * concurrency) as pool:
        async def post(n: int) -> None:
            url, body = posts[n]
            data = body.encode()
            headers = [(k.encode(), v.encode()) for k, v in signed(n, body, now()).items()]
            headers.append((b"content-length", str(len(data)).encode()))
            response = await pool.request("POST", url, headers=headers, content=data)
            assert response.status == 204, response.status

        return await gather_limited(len(posts), concurrency, post)


async def with_aiohttp(posts: Sequence[Post], concurrency: int) -> int:
    connector = aiohttp.TCPConnector(limit=2 * concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as session:
        async def post(n: int) -> None:
            url, body = posts[n]
            async with session.post(url, data=body.encode(), headers=signed(n, body, now())) as response:
                await response.read()
                assert response.status == 204, response.status

        return await gather_limited(len(posts), concurrency, post)


async def with_hub_sender(posts: Sequence[Post], concurrency: int) -> int:
    """The hub's HttpSender as the worker calls it: a checked target and a Message per post."""
    sender = HttpSender(timeout=10, max_connections=2 * concurrency)
    try:
        async def post(n: int) -> None:
            url, body = posts[n]
            headers = signed(n, body, now())
            outcome = await sender.send(Message(check_url(url, ALLOW), headers["webhook-id"], body, headers))
            assert outcome.status == 204, outcome

        return await gather_limited(len(posts), concurrency, post)
    finally:
        await sender.close()


async def with_asyncio_streams(posts: Sequence[Post], concurrency: int) -> int:
    """HTTP/1.1 by hand on asyncio streams: keep-alive connections per origin, nothing else. A floor."""
    idle: dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = {}
    opened: list[asyncio.StreamWriter] = []

    async def post(n: int) -> None:
        url, body = posts[n]
        parts = urlsplit(url)
        origin = (parts.hostname or "", parts.port or 80)
        pool = idle.setdefault(origin, [])
        if pool:
            reader, writer = pool.pop()
        else:
            reader, writer = await asyncio.open_connection(*origin)
            opened.append(writer)
        data = body.encode()
        head = "".join(f"{k}: {v}\r\n" for k, v in signed(n, body, now()).items())
        writer.write(f"POST {parts.path} HTTP/1.1\r\nhost: {parts.netloc}\r\ncontent-length: {len(data)}\r\n"
                     f"{head}\r\n".encode() + data)
        answer = await reader.readuntil(b"\r\n\r\n")
        status = int(answer[9:12])
        assert status == 204, status  # 204 has no body: the connection is ready for the next request
        pool.append((reader, writer))

    failed = await gather_limited(len(posts), concurrency, post)
    for writer in opened:
        writer.close()
    return failed


def now() -> datetime:
    return datetime.now(timezone.utc)


BareClient = Callable[[Sequence[Post], int], Awaitable[int]]  # returns the messages that failed
CLIENTS: dict[str, tuple[BareClient, str]] = {  # name: (client, event loop)
    "httpx": (with_httpx, "asyncio"),
    "httpcore": (with_httpcore, "asyncio"),
    "aiohttp": (with_aiohttp, "asyncio"),
    "aiohttp-uvloop": (with_aiohttp, "uvloop"),
    "hub-sender": (with_hub_sender, "asyncio"),
    "asyncio-streams": (with_asyncio_streams, "asyncio"),
}
LABELS = {
    "httpx": f"bare httpx {httpx.__version__} AsyncClient",
    "httpcore": f"bare httpcore {httpcore.__version__} AsyncConnectionPool",
    "aiohttp": f"bare aiohttp {aiohttp.__version__} ClientSession",
    "aiohttp-uvloop": f"bare aiohttp {aiohttp.__version__} ClientSession on uvloop",
    "hub-sender": "the hub's HttpSender alone (aiohttp, checked address; no database)",
    "asyncio-streams": "floor: HTTP/1.1 by hand on asyncio streams",
}


@dataclass
class Run:
    messages: int  # that arrived
    seconds: float
    cpu: float  # this process's CPU seconds
    nginx_cpu: float
    errors: int = 0  # messages the client failed to post (an exception)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds


def run_client(name: str, posts: Sequence[Post], concurrency: int, receivers: NginxReceivers) -> Run:
    """Post every message with one bare client; every one must arrive, once, with a 204."""
    client, loop = CLIENTS[name]
    receivers.take()
    cpu, nginx_cpu = time.process_time(), receivers.cpu_seconds()
    started = time.perf_counter()
    if loop == "uvloop":
        import uvloop

        failed = uvloop.run(client(posts, concurrency))
    else:
        failed = asyncio.run(client(posts, concurrency))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    receivers.wait_for(len(posts) - failed, 30)
    time.sleep(0.1)  # nginx's log is flushed every 50 ms: a failed post may have arrived all the same
    arrived = receivers.take()
    assert len({a.webhook_id for a in arrived}) == len(arrived) >= len(posts) - failed, (name, len(arrived), failed)
    assert {a.status for a in arrived} <= {204}
    return Run(len(arrived), seconds, cpu, receivers.cpu_seconds() - nginx_cpu, len(posts) - len(arrived))
