"""Media benchmarks (issue 13), in one run: proxy generation through the hub's job vs ffmpeg alone;
a 1 GiB tus upload vs cp; serving the original with range requests vs nginx; the hub's memory.

**Proxy generation.**

Generates a test video with ffmpeg's lavfi sources (``testsrc`` 1920x1080 at 25 fps and a
``sine`` tone, H.264/AAC; nothing downloaded), stores it in a filesystem blob store and a fresh
SQLite hub, then times, alternating, ``--runs`` times each:

* ffmpeg alone: exactly the proxy command the hub runs (``derivatives.proxy_args``: H.264
  veryfast CRF 23 within 1280x720, AAC 128k, faststart), as a bare subprocess;
* through our job: a queued job claimed by the job worker, which copies the original out of
  the blob store, probes it (ffprobe and a first-frame decode), runs the same command under the
  hub's limits (prlimit, timeout), stores the proxy and records the rendition.

Target: the job at most 1.2 x ffmpeg alone (the median of the runs). The whole derivative job
(proxy, poster, thumbnail, storyboard) is timed once more for information.

**Transfer** (``bench/media_transfer.py``): a ``--size`` MiB file (default 1024: 1 GiB; a JPEG
then random bytes) is uploaded through tus, in one streamed PATCH as tus-js-client sends it, to a
real ``newsbridge serve`` on loopback (fresh SQLite hub, in-process worker off), timed from the
creation to the last PATCH's answer (the file is then durable in the blob store), against ``cp`` of
the same file on the same disk followed by an fsync of the copy, the like-for-like baseline (target
>= 0.5 x its speed; plain ``cp``, which returns with the copy still in the page cache, is printed
too). Dirty pages are written back (``sync``) before each timed step, so none pays for the last
one's. The hub's CPU seconds are counted too (less noisy than the clock on a shared machine). The
hub runs as ``newsbridge serve`` does: uvicorn, one process, httptools and uvloop when installed;
nginx runs one worker process too (like with like). The hub's RSS is sampled every 20 ms
during the upload (target: flat, < 100 MB above idle). Then the stored original is fetched by its
signed URL with range requests (the whole file in 16 MiB ranges, and 200 scattered 1 MiB ranges)
from the hub and from Debian's nginx serving the very same file (sendfile on), same client (target:
the hub >= 0.5 x nginx's speed). Best of ``--runs`` each.

    .venv/bin/python bench/media.py [--seconds 30] [--runs 3] [--threads 2] [--size 1024] [--parts proxy,transfer]
                                    [--before TREE]

``--before TREE`` (a ``git worktree`` of an earlier commit) starts a second hub with that code over the
same database and blobs; in every run it uploads the file just before this tree's hub does.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

from rich.console import Console

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/media_transfer.py

from newsbridge.config import load_settings  # noqa: E402
from newsbridge.db.engine import create_engine, writing  # noqa: E402
from newsbridge.db.migrate import upgrade  # noqa: E402
from newsbridge.ids import utcnow  # noqa: E402
from newsbridge.media import ffmpeg  # noqa: E402
from newsbridge.media.blobs import FileBlobStore, copy_to_file  # noqa: E402
from newsbridge.media.derivatives import Options, proxy_args  # noqa: E402
from newsbridge.media.jobs import Job, enqueue  # noqa: E402
from newsbridge.media.probe import inspect  # noqa: E402
from newsbridge.media.processing import media_handlers  # noqa: E402
from newsbridge.media.records import add_rendition, create_media, get_media  # noqa: E402
from newsbridge.media.worker import JobWorker  # noqa: E402

console = Console(emoji=False, highlight=False, soft_wrap=True)
PROXY_ONLY = "bench.proxy"


def make_video(path: Path, seconds: int) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-y", "-v", "error", "-f", "lavfi", "-i",
                    f"testsrc=size=1920x1080:rate=25:duration={seconds}", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", "-shortest", str(path)], check=True)


def proxy_handler(engine: Any, store: FileBlobStore, options: Options) -> Any:
    """The derivative job cut down to the proxy: same copy, probe, ffmpeg run, store and record."""

    def handle(job: Job) -> dict[str, Any]:
        with writing(engine) as conn:
            found = get_media(conn, job.payload["media"])
        with tempfile.TemporaryDirectory() as work:
            original = copy_to_file(store, found.sha256, Path(work) / "original")
            probe = inspect(original, found.content_type)
            out = Path(work) / "proxy.mp4"
            ffmpeg.ffmpeg(proxy_args(original, probe, out, options), timeout=600, threads=options.threads)
            blob = store.put_file(out)
        with writing(engine) as conn:
            add_rendition(conn, found.id, "proxy", blob, "video/mp4")
        return {"proxy": blob.sha256}

    return handle


def proxy_bench(args: argparse.Namespace, root: Path) -> bool:
    source = root / "report.mp4"
    console.print(f"making a {args.seconds} s 1080p test video...")
    make_video(source, args.seconds)
    settings = load_settings(env={}, database_url=f"sqlite:///{root / 'hub.db'}", media_dir=str(root / "media"),
                             media_ffmpeg_threads=args.threads)
    engine = create_engine(settings.database_url)
    upgrade(engine)
    store = FileBlobStore(root / "media")
    options = Options(threads=args.threads)
    with writing(engine) as conn:
        from newsbridge.accounts.organizations import create_organization
        org = create_organization(conn, "silkway", "Silk Way TV")
        found = create_media(conn, org.id, store.put_file(source), "video/mp4", "video", "report.mp4")
    probe = inspect(source, "video/mp4")
    alone_out = root / "alone.mp4"
    command = ["ffmpeg", "-nostdin", "-y", "-hide_banner", "-v", "error", "-threads", str(args.threads),
               "-filter_threads", "1", *proxy_args(source, probe, alone_out, options)]
    worker = JobWorker(engine, {PROXY_ONLY: proxy_handler(engine, store, options)}, name="bench")
    alone, job = [], []
    for run in range(args.runs):
        started = perf_counter()
        subprocess.run(command, check=True)
        alone.append(perf_counter() - started)
        with writing(engine) as conn:
            enqueue(conn, PROXY_ONLY, {"media": found.id}, utcnow())
        started = perf_counter()
        states = worker.run_once_sync()
        job.append(perf_counter() - started)
        assert [s.value for s in states if s] == ["done"], states
        console.print(f"run {run + 1}: ffmpeg alone {alone[-1]:.2f} s, through the job {job[-1]:.2f} s")
    full = JobWorker(engine, media_handlers(engine, store, settings), name="bench-full")
    with writing(engine) as conn:
        enqueue(conn, "media.derivatives", {"media": found.id}, utcnow())
    started = perf_counter()
    assert [s.value for s in full.run_once_sync() if s] == ["done"]
    whole = perf_counter() - started
    engine.dispose()
    ratio = statistics.median(job) / statistics.median(alone)
    console.print(f"\ncommand: {' '.join(command)}", markup=False)
    console.print(f"proxy of {args.seconds} s 1080p -> 720p, {args.threads} threads, median of {args.runs}: "
                  f"ffmpeg alone {statistics.median(alone):.2f} s, through the job "
                  f"{statistics.median(job):.2f} s = {ratio:.3f} x (target <= 1.2 x)")
    console.print(f"whole derivative job (probe, proxy, poster, thumbnail, storyboard, store, record): "
                  f"{whole:.2f} s")
    return ratio <= 1.2


def transfer_report(args: argparse.Namespace, root: Path) -> bool:
    from media_transfer import MB, transfer_bench

    found = transfer_bench(root, args.size * MB, args.runs, console, args.before)
    size = found["size"]
    upload_speed, cp_speed = size / min(found["upload"]) / MB, size / min(found["cp"]) / MB
    synced_speed = size / min(found["cp_fsync"]) / MB
    upload_ratio = upload_speed / synced_speed  # the hub acknowledges the last byte once it is on the disk
    above = max(found["peaks"]) - found["idle"]
    console.print(f"\nupload of {size / MB:.0f} MiB through tus: {upload_speed:.0f} MB/s "
                  f"(best of {args.runs}: {min(found['upload']):.2f} s) vs cp then fsync {synced_speed:.0f} MB/s "
                  f"({min(found['cp_fsync']):.2f} s) = {upload_ratio:.2f} x (target >= 0.5 x)")
    if found["before"]["upload"]:
        ours = min(found["upload"])
        theirs = min(found["before"]["upload"])
        ratio = size / theirs / MB / synced_speed
        console.print(f"  before ({args.before}, same runs): {theirs:.2f} s = {ratio:.2f} x, "
                      f"hub CPU {min(found['before']['hub_cpu']):.2f} s (this tree: {ours:.2f} s, "
                      f"{min(found['hub_cpu']):.2f} s)")
    console.print(f"  for information: plain cp (the copy still in the page cache) {cp_speed:.0f} MB/s "
                  f"({min(found['cp']):.2f} s): the upload is {upload_speed / cp_speed:.2f} x that")
    stored = min(found["stored"])
    console.print(f"  until the upload names its media (hashed, in the blob store, recorded; after the answer): "
                  f"{stored:.2f} s = {min(found['cp_fsync']) / stored:.2f} x cp then fsync")
    console.print(f"hub CPU (user + system, best of {args.runs}): {min(found['hub_cpu']):.2f} s to the last answer, "
                  f"{min(found['hub_cpu_stored']):.2f} s until stored; event loop: {found['loop']}")
    console.print(f"hub RSS during the upload: idle {found['idle']:.0f} MB, peak {max(found['peaks']):.0f} MB = "
                  f"{above:.0f} MB above idle (target < 100 MB)")
    ok = upload_ratio >= 0.5 and above < 100
    for name, (ours, theirs) in found["serving"].items():
        moved = found["bytes"][name] / MB
        ratio = min(theirs) / min(ours)
        console.print(f"serving the original, {name}: hub {moved / min(ours):.0f} MB/s, nginx "
                      f"{moved / min(theirs):.0f} MB/s = {ratio:.2f} x (target >= 0.5 x)")
        ok = ok and ratio >= 0.5
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="length of the test video")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="NEWSBRIDGE_MEDIA_FFMPEG_THREADS")
    parser.add_argument("--size", type=int, default=1024, help="MiB of the uploaded and served file")
    parser.add_argument("--parts", default="proxy,transfer", help="which parts to run (comma-separated)")
    parser.add_argument("--before", type=Path, help="another checkout (git worktree) whose hub uploads too, "
                                                    "in the same runs (transfer part)")
    args = parser.parse_args()
    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    ok = True
    if "proxy" in parts:
        with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
            ok = proxy_bench(args, Path(tmp)) and ok
    if "transfer" in parts:
        with tempfile.TemporaryDirectory(prefix="bench-media-", dir=Path(__file__).resolve().parent) as tmp:
            ok = transfer_report(args, Path(tmp)) and ok  # beside the repository: the same disk as var/media
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
