"""Media transfer benchmarks (issue 13), run by bench/media.py: a big file uploaded through tus to a real
`newsbridge serve` on loopback vs `cp` of the same file on the same disk; the stored original served
with range requests by the hub vs Debian's nginx serving the very same file; the hub's memory (RSS)
during the upload.

Both servers are real processes on 127.0.0.1 and the client is the same (httpx, one keep-alive
connection, bytes read and dropped), so the ratio compares the servers, not the clients.

Run alone, it times the serving phase only (the file uploaded once, untimed); ``--before TREE`` starts a
second hub with the code of another checkout over the same database and blobs, and every round asks
nginx, the "before" hub and this tree's hub in turn (a before/after pair in the same minutes)::

    git worktree add /tmp/before HEAD~1
    .venv/bin/python bench/media_transfer.py --size 1024 --runs 3 --before /tmp/before
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ (bench/media.py does the same)

from media_ranges import read_ranges, read_ranges_curl, scattered, sequential  # noqa: E402
from tests.live_server import free_port  # noqa: E402
from tests.media.faults import big_jpeg  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NEWSBRIDGE = REPO / ".venv" / "bin" / "newsbridge"
MB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of the process (every thread, ended ones too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_cpu_seconds(pid: int) -> float:
    """CPU seconds of the process's threads by the scheduler's count (ns; /proc/<pid>/stat counts 10 ms
    ticks, 50 µs a request over 200 ranges), for the serving phase, whose threads do not end."""
    return sum(int(Path(f"/proc/{pid}/task/{t}/schedstat").read_text().split()[0])
               for t in os.listdir(f"/proc/{pid}/task")) / 1e9


def loop_cpu_seconds(pid: int) -> float:
    """CPU seconds of the process's main thread, uvicorn's event loop (the scheduler's count)."""
    return int(Path(f"/proc/{pid}/task/{pid}/schedstat").read_text().split()[0]) / 1e9


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler:
    """RSS of a process every 20 ms while the block runs."""

    def __init__(self, pid: int) -> None:
        self.pid, self.samples, self._stop = pid, [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.samples.append(rss_mb(self.pid))

    def __enter__(self) -> "Sampler":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Hub:
    process: subprocess.Popen[bytes]
    base: str
    key: str
    database: str = ""
    secret: str = ""

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def start_hub(root: Path) -> Hub:
    """`newsbridge serve` on a loopback port over a fresh SQLite hub with one partner and its key;
    the in-process worker is off (the derivative job of a 1 GiB picture would compete for the CPU)."""
    from newsbridge.accounts.api_keys import create_api_key
    from newsbridge.accounts.organizations import create_organization
    from newsbridge.db.engine import create_engine, writing
    from newsbridge.db.migrate import upgrade

    database = f"sqlite:///{root / 'hub.db'}"
    engine = create_engine(database)
    upgrade(engine)
    with writing(engine) as conn:
        create_organization(conn, "silkway", "Silk Way TV")
        _key, raw = create_api_key(conn, "silkway", ("publish", "read"))
    engine.dispose()
    return launch(root, database, raw, secrets.token_hex(16))


def launch(root: Path, database: str, key: str, secret: str, tree: Path | None = None) -> Hub:
    """A hub process over ``database`` and ``root / 'media'``; ``tree``: the code of another checkout (a
    ``git worktree``, put first on ``PYTHONPATH``), for a before/after pair served side by side."""
    port = free_port()
    env = {**os.environ, "NEWSBRIDGE_MEDIA_DIR": str(root / "media"), "NEWSBRIDGE_IN_PROCESS_WORKER": "false",
           "NEWSBRIDGE_LOG_LEVEL": "WARNING", "NEWSBRIDGE_MEDIA_URL_SECRET": secret}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    log = open(root / f"hub-{port}.log", "ab")
    process = subprocess.Popen([str(NEWSBRIDGE), "--database-url", database, "serve", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, f"the hub ended: see {root / f'hub-{port}.log'}"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the hub did not start"
        time.sleep(0.1)
    return Hub(process, base, key, database, secret)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _pieces(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while piece := handle.read(MB):
            yield piece


def upload(hub: Hub, path: Path, client: str = "curl") -> tuple[str, float, float, float, float, float]:
    """One tus upload of the whole file in one streamed PATCH (tus-js-client's default); returns the
    media id, the seconds from creation to the answer of the last PATCH (the bytes durable on the hub's
    disk) and to the upload naming its media (``HEAD``: hashed, in the blob store, recorded; a file over
    64 MiB is stored after the answer), the hub's CPU seconds up to each and its event loop's up to the
    answer (the thread every byte goes through: the critical path). The PATCH is sent by curl
    (``-T``, streamed from the file: a client that does not set the pace) when it is there, else by httpx."""
    size = path.stat().st_size
    with httpx.Client(base_url=hub.base, timeout=600) as http:
        cpu_before, loop_before = cpu_seconds(hub.process.pid), loop_cpu_seconds(hub.process.pid)
        started = time.perf_counter()
        created = http.post("/api/v1/uploads", headers={**hub.auth, **TUS, "Upload-Length": str(size)})
        assert created.status_code == 201, created.text
        location = created.headers["Location"]
        headers = {**hub.auth, **TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"}
        if client == "curl" and shutil.which("curl"):
            sent = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", "-X", "PATCH", "-T", str(path),
                                   "-H", "Expect:", *[a for k, v in headers.items() for a in ("-H", f"{k}: {v}")],
                                   hub.base + location], capture_output=True, text=True, check=True)
            took = time.perf_counter() - started
            last = sent.stdout.strip().split("\r\n\r\n")[-1].splitlines()
            answer = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in last[1:])}
            assert last[0].split()[1] == "204", sent.stdout
        else:
            done = http.patch(location, content=_pieces(path), headers={**headers, "Content-Length": str(size)})
            took = time.perf_counter() - started
            assert done.status_code == 204, done.text
            answer = {k.lower(): v for k, v in done.headers.items()}
        cpu_answer = cpu_seconds(hub.process.pid) - cpu_before
        loop_answer = loop_cpu_seconds(hub.process.pid) - loop_before
        assert answer["upload-offset"] == str(size)
        media_id = answer.get("newsbridge-media", "")
        while not media_id:
            time.sleep(0.01)
            media_id = http.head(location, headers={**hub.auth, **TUS}).headers.get("Newsbridge-Media", "")
        stored = time.perf_counter() - started
        return media_id, took, stored, cpu_answer, cpu_seconds(hub.process.pid) - cpu_before, loop_answer


def settle() -> None:
    """Write back whatever earlier steps left dirty (the source just made, the last copy), so it does not
    fall on the next timed step: each starts from a clean page cache, cp and the hub alike."""
    os.sync()


def copy_seconds(source: Path, dest: Path, durable: bool = False) -> float:
    """``cp`` of the file on the same disk; ``durable``: and until the copy is on the disk (fsync), as
    the hub waits before it acknowledges bytes (the like-for-like baseline of the upload)."""
    settle()
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(dest)], check=True)
    if durable:
        descriptor = os.open(dest, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    took = time.perf_counter() - started
    dest.unlink()
    return took


def signed_original(hub: Hub, upload_id_or_media: str, uri: str) -> str:
    """Publish an item carrying the media and return the original's signed href (for its owner)."""
    with httpx.Client(base_url=hub.base, timeout=60) as http:
        published = http.post("/api/v1/items", headers=hub.auth, json={
            "uri": uri, "version": "1", "type": "picture", "language": "en",
            "headlines": [{"role": "main", "value": "Benchmark picture"}],
            "renditions": [{"name": "original", "href": f"urn:newsbridge:media:{upload_id_or_media}"}]})
        assert published.status_code in (200, 201), published.text
        item = http.get(f"/api/v1/items/{published.json()['id']}", headers=hub.auth).json()
    [original] = [r for r in item["renditions"] if r["name"] == "original"]
    return original["href"]


def partner_href(hub: Hub, media_id: str) -> str:
    """The original's href as a partner reads it: a second organization with an agreement (both signed) whose
    term shares the item, so every range goes through the full entitlement check (media/links.py)."""
    from newsbridge.accounts.api_keys import create_api_key
    from newsbridge.accounts.organizations import create_organization
    from newsbridge.db.engine import create_engine, writing

    engine = create_engine(hub.database)
    with writing(engine) as conn:
        create_organization(conn, "irna", "IRNA")
        _key, theirs = create_api_key(conn, "irna", ("publish", "read", "manage"))
        _key, ours = create_api_key(conn, "silkway", ("publish", "read", "manage"))
    engine.dispose()
    source, partner = {"Authorization": f"Bearer {ours}"}, {"Authorization": f"Bearer {theirs}"}
    with httpx.Client(base_url=hub.base, timeout=60) as http:
        created = http.post("/api/v1/agreements", headers=source, json={
            "title": "Video exchange", "parties": ["silkway", "irna"],
            "terms": [{"from": "silkway", "languages": ["en"], "media": {"allow_gps": True}}]})
        assert created.status_code == 201, created.text
        for who, action in ((source, "propose"), (source, "sign"), (partner, "sign")):
            done = http.post(f"/api/v1/agreements/{created.json()['id']}:{action}", headers=who)
            assert done.status_code == 200, done.text
        published = http.post("/api/v1/items", headers=source, json={
            "uri": "urn:bench:shared", "version": "1", "type": "picture", "language": "en",
            "headlines": [{"role": "main", "value": "Benchmark picture, shared"}],
            "renditions": [{"name": "original", "href": f"urn:newsbridge:media:{media_id}"}]})
        assert published.status_code in (200, 201), published.text
        item = http.get(f"/api/v1/items/{published.json()['id']}", headers=partner)
        assert item.status_code == 200, item.text
    [original] = [r for r in item.json()["renditions"] if r["name"] == "original"]
    return original["href"]


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@contextmanager
def nginx(root: Path, directory: Path) -> Iterator[str]:
    """Debian's nginx serving ``directory`` on a loopback port with a config of its own (sendfile on,
    no access log, ranges as nginx always does); yields its base URL."""
    binary = nginx_binary()
    assert binary, "nginx is missing: make bench installs Debian's nginx"
    port = free_port()
    conf = root / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers must read the hub's private directory
    conf.write_text(f"""{user}worker_processes 1;
daemon off;
pid {root / 'nginx.pid'};
error_log {root / 'nginx-error.log'} warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path {root}/nginx-body;
  proxy_temp_path {root}/nginx-proxy;
  fastcgi_temp_path {root}/nginx-fastcgi;
  uwsgi_temp_path {root}/nginx-uwsgi;
  scgi_temp_path {root}/nginx-scgi;
  default_type application/octet-stream;
  server {{
    listen 127.0.0.1:{port};
    root {directory};
  }}
}}
""")
    process = subprocess.Popen([binary, "-c", str(conf), "-p", str(root)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            assert process.poll() is None, f"nginx ended: see {root / 'nginx-error.log'}"
            try:
                httpx.get(base + "/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.05)
        yield base
    finally:
        stop(process)


def best_and_median(values: list[float]) -> tuple[float, float]:
    return min(values), statistics.median(values)


def serving_phase(root: Path, hubs: dict[str, Hub], href: str, stored: Path, runs: int,
                  console: Any, partner: str | None = None) -> dict[str, Any]:
    """Each range pattern fetched from nginx and from every hub in ``hubs`` (label -> hub, all serving the
    same blob by the same signed path), in turns within each run, so a pair shares the same minutes; the
    clients are httpx and, when there, curl; with ``partner`` (a partner's href of the same original), the
    scattered ranges once more by that URL. Returns, per pattern and client, the seconds of each server and
    each hub's CPU seconds a request (best of ``runs``)."""
    size = stored.stat().st_size
    own = href[href.index("/media/"):]  # the owner's URL
    patterns = {"sequential 16 MiB ranges": sequential(size, 16 * MB),
                "200 scattered 1 MiB ranges": scattered(size, MB, 200)}
    clients = {"httpx": lambda url, ranges: read_ranges(url, size, ranges)}
    if shutil.which("curl"):
        clients["curl"] = lambda url, ranges: read_ranges_curl(url, ranges, root)
    asked: list[tuple[str, str, str, str | None]] = [(name, client, own, None) for name in patterns
                                                     for client in clients]
    if partner is not None:  # a partner's player: the entitlement check (media/entitlement.py) at every range;
        # the owner's URL is fetched in the same rounds, the like-for-like baseline of the check's cost
        asked += [("200 scattered 1 MiB ranges", client, partner[partner.index("/media/"):], own)
                  for client in clients]
    found: dict[str, Any] = {}
    with nginx(root, stored.parent) as static:
        plain = f"{static}/{stored.name}"
        for name, client, path, owners in asked:
            ranges, fetch = patterns[name], clients[client]
            took: dict[str, list[float]] = {"nginx": [], **{label: [] for label in hubs}}
            spent: dict[str, list[float]] = {label: [] for label in hubs}
            owned: dict[str, list[float]] = {label: [] for label in hubs}
            owned_cpu: dict[str, list[float]] = {label: [] for label in hubs}
            for _ in range(runs):
                took["nginx"].append(fetch(plain, ranges))
                for label, hub in hubs.items():
                    before = threads_cpu_seconds(hub.process.pid)
                    took[label].append(fetch(hub.base + path, ranges))
                    spent[label].append((threads_cpu_seconds(hub.process.pid) - before) / len(ranges))
                    if owners is not None:
                        before = threads_cpu_seconds(hub.process.pid)
                        owned[label].append(fetch(hub.base + owners, ranges))
                        owned_cpu[label].append((threads_cpu_seconds(hub.process.pid) - before) / len(ranges))
            key = f"{name}, {client} client" + (", a partner's URL" if path != own else "")
            found[key] = {"seconds": took, "cpu": spent, "bytes": sum(length for _, length in ranges)}
            line = (f"{key} (best of {runs}; load {os.getloadavg()[0]:.1f}): nginx {min(took['nginx']):.3f} s; " +
                    "; ".join(f"{label} {min(took[label]):.3f} s = {min(took['nginx']) / min(took[label]):.2f} x "
                              f"nginx, CPU {min(spent[label]) * 1000:.2f} ms a request" for label in hubs))
            if owners is not None:
                found[key]["owner_seconds"] = owned
                line += "; the owner's URL in the same rounds: " + "; ".join(
                    f"{label} {min(owned[label]):.3f} s, CPU {min(owned_cpu[label]) * 1000:.2f} ms a request (partner / "
                    f"owner {min(took[label]) / min(owned[label]):.2f})"
                    for label in hubs)
            console.print(line)
    return found


def transfer_bench(root: Path, size: int, runs: int, console: Any, before: Path | None = None) -> dict[str, Any]:
    """The upload, serving and memory figures of one run (see bench/media.py); with ``before`` (another
    checkout), a hub running that code over the same database uploads the file too in every run, just
    before this tree's hub (a before/after pair in the same minutes)."""
    source = root / "original.jpg"
    console.print(f"making a {size / MB:.0f} MiB file...")
    sha = big_jpeg(source, size)
    settle()
    hub = start_hub(root)
    other = launch(root, hub.database, hub.key, hub.secret, before) if before is not None else None
    try:
        time.sleep(1.0)  # settle before the idle reading
        idle = rss_mb(hub.process.pid)
        uploads, stored_at, copies, synced, peaks, cpu, cpu_stored = [], [], [], [], [], [], []
        earlier: dict[str, list[float]] = {"upload": [], "hub_cpu": []}
        media_id = ""
        for run in range(runs):
            if other is not None:
                settle()
                _media, took, _stored, cpu_answer, _cpu_all, loop = upload(other, source)
                earlier["upload"].append(took)
                earlier["hub_cpu"].append(cpu_answer)
                console.print(f"run {run + 1}, before: tus upload answered {took:.2f} s (hub CPU {cpu_answer:.2f} s, "
                              f"event loop {loop:.2f} s)")
            copies.append(copy_seconds(source, root / "copy.jpg"))
            synced.append(copy_seconds(source, root / "copy.jpg", durable=True))
            settle()
            with Sampler(hub.process.pid) as sampler:
                media_id, took, stored_took, cpu_answer, cpu_all, loop = upload(hub, source)
            cpu.append(cpu_answer)
            cpu_stored.append(cpu_all)
            uploads.append(took)
            stored_at.append(stored_took)
            peaks.append(max(sampler.samples or [idle]))
            console.print(f"run {run + 1}: cp {copies[-1]:.2f} s, cp + fsync {synced[-1]:.2f} s, "
                          f"tus upload answered {uploads[-1]:.2f} s (hub CPU {cpu[-1]:.2f} s, event loop "
                          f"{loop:.2f} s), media stored "
                          f"{stored_at[-1]:.2f} s (hub CPU {cpu_stored[-1]:.2f} s), hub RSS "
                          f"{idle:.0f} MB idle -> {peaks[-1]:.0f} MB peak; load {os.getloadavg()[0]:.1f}")
        stored = root / "media" / "blobs" / sha[:2] / sha
        assert stored.stat().st_size == size, "the stored original is not the file"
        href = signed_original(hub, media_id, "urn:bench:original")
        served = serving_phase(root, {"hub": hub}, href, stored, runs, console)
    finally:
        stop(hub.process)
        if other is not None:
            stop(other.process)
    try:
        import uvloop  # noqa: F401  # uvicorn's loop="auto" picks it when installed
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    return {"size": size, "upload": uploads, "cp": copies, "cp_fsync": synced, "idle": idle, "peaks": peaks,
            "serving": {key: (found["seconds"]["hub"], found["seconds"]["nginx"]) for key, found in served.items()},
            "hub_cpu": cpu, "loop": loop, "stored": stored_at, "hub_cpu_stored": cpu_stored,
            "bytes": {key: found["bytes"] for key, found in served.items()}, "before": earlier}


def serving_bench(root: Path, size: int, runs: int, console: Any, before: Path | None = None) -> dict[str, Any]:
    """The serving phase alone: the file is uploaded once (untimed), then served by the hub and nginx; with
    ``before`` (another checkout), a second hub running that code serves the same blob beside it."""
    source = root / "original.jpg"
    console.print(f"making a {size / MB:.0f} MiB file...")
    sha = big_jpeg(source, size)
    hub = start_hub(root)
    hubs = {"hub": hub}
    try:
        media_id = upload(hub, source)[0]
        href = signed_original(hub, media_id, "urn:bench:original")
        partner = partner_href(hub, media_id)
        if before is not None:
            hubs = {"before": launch(root, hub.database, hub.key, hub.secret, before), "after": hub}
        settle()
        return serving_phase(root, hubs, href, root / "media" / "blobs" / sha[:2] / sha, runs, console, partner)
    finally:
        for each in hubs.values():
            stop(each.process)


def main() -> None:
    import argparse
    import tempfile

    from rich.console import Console

    parser = argparse.ArgumentParser(description="Media serving: the hub's signed URLs vs nginx, by range "
                                                 "pattern (bench/media.py --parts transfer runs the upload too).")
    parser.add_argument("--size", type=int, default=1024, help="MiB of the served file")
    parser.add_argument("--runs", type=int, default=3, help="rounds; the best of them is kept")
    parser.add_argument("--before", type=Path, help="another checkout (git worktree) whose hub serves beside")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-media-", dir=REPO / "bench") as tmp:  # var/media's disk
        serving_bench(Path(tmp), args.size * MB, args.runs, Console(), args.before)


if __name__ == "__main__":
    main()
