"""`newsbridge worker`, a process of its own, makes the previews of media published over the API, on
SQLite and PostgreSQL, and stops on SIGTERM; and a derivatives job whose worker is SIGKILLed mid-job
(its ffmpeg with it) is finished by the next worker started, in the job's second attempt.

The API is the in-process app (``client``); only the worker runs apart, as `newsbridge worker` does
beside `newsbridge serve` processes run with NEWSBRIDGE_IN_PROCESS_WORKER=false. The video is small
(320 x 240, six seconds) so the test stays quick; the work is the same (probe, proxy, poster, storyboard).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from newsbridge.config import Settings
from newsbridge.db.engine import reading, writing
from newsbridge.db.tables import jobs
from newsbridge.ids import utcnow
from newsbridge.media.jobs import State
from newsbridge.media.processing import DERIVATIVES
from tests.delivery.crash_support import NEWSBRIDGE
from tests.media.samples import ffmpeg, needs_ffmpeg

pytestmark = [pytest.mark.anyio, needs_ffmpeg]
WAIT = 60.0  # seconds a worker gets to start and make the previews of the small video on a loaded machine


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("worker-media") / "report.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=6", "-f", "lavfi",
           "-i", "sine=frequency=440:duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
           "yuv420p", "-c:a", "aac", "-shortest", str(path))
    return path


class WorkerProcess:
    """`newsbridge --database-url ... worker` in a session of its own (so SIGKILL takes its ffmpeg too)."""

    def __init__(self, settings: Settings, log: Path) -> None:
        env = {"NEWSBRIDGE_MEDIA_DIR": settings.media_dir, "NEWSBRIDGE_LOG_LEVEL": "WARNING",
               "NEWSBRIDGE_MEDIA_FFMPEG_THREADS": "1"}
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen([str(NEWSBRIDGE), "--database-url", settings.database_url, "worker"],
                                            env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def owns(self, lease_owner: str | None) -> bool:
        """Whether a job's lease owner is this process (the worker's name: host:pid:random)."""
        return lease_owner is not None and lease_owner.split(":")[-2] == str(self.pid)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(30)

    def kill(self) -> None:
        os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()


@pytest.fixture
def workers(settings: Settings) -> Iterator[list[WorkerProcess]]:
    """The worker processes a test starts; killed at its end, before ``engine`` empties the tables under them."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        worker.stop()


def _start(workers: list[WorkerProcess], settings: Settings, tmp_path: Path) -> WorkerProcess:
    worker = WorkerProcess(settings, tmp_path / f"worker{len(workers) + 1}.log")
    workers.append(worker)
    return worker


async def _publish(client: httpx.AsyncClient, headers: dict[str, str], video: Path) -> str:
    made = await client.post("/api/v1/media", headers=headers,
                             files={"file": ("report.mp4", video.read_bytes(), "video/mp4")})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def _media(client: httpx.AsyncClient, headers: dict[str, str], item_id: str) -> tuple[str, set[str]]:
    """The item's previews state (``hub.media``) and the names of its renditions."""
    item = (await client.get(f"/api/v1/items/{item_id}", headers=headers)).json()
    [entry] = item["hub"]["media"]
    return entry["previews"], {r["name"] for r in item.get("renditions", [])}


async def _until_ready(client: httpx.AsyncClient, headers: dict[str, str], item_id: str,
                       worker: WorkerProcess) -> set[str]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        previews, names = await _media(client, headers, item_id)
        if previews == "ready":
            return names
        assert worker.process.poll() is None, worker.log.read_text(errors="replace")
        await anyio.sleep(0.1)
    raise AssertionError(f"no previews after {WAIT} s:\n{worker.log.read_text(errors='replace')}")


def _job(engine: Engine) -> sa.Row:
    with reading(engine) as conn:
        [row] = conn.execute(sa.select(jobs).where(jobs.c.kind == DERIVATIVES)).all()
    return row


async def _recorded(engine: Engine, worker: WorkerProcess) -> sa.Row:
    """The job once its worker recorded its end. The handler stores the renditions (the API then says
    "ready") and the worker records the job in a transaction of its own right after (media/worker.py):
    read at once, the job could still be running (CI, 2026-12-07)."""
    deadline = time.monotonic() + 10
    while (job := _job(engine)).state == State.RUNNING.value and time.monotonic() < deadline:
        assert worker.process.poll() is None, worker.log.read_text(errors="replace")
        await anyio.sleep(0.05)
    return job


async def test_the_worker_process_makes_the_previews_and_stops_on_sigterm(
        client: httpx.AsyncClient, make_partner, engine: Engine, settings: Settings, video: Path,
        workers: list[WorkerProcess], tmp_path: Path) -> None:
    silk = make_partner("silk", scopes=("publish", "read"))
    item_id = await _publish(client, silk.headers, video)
    assert await _media(client, silk.headers, item_id) == ("processing", {"original"})  # the API makes none
    worker = _start(workers, settings, tmp_path)
    names = await _until_ready(client, silk.headers, item_id, worker)
    assert {"original", "proxy", "poster", "thumbnail", "storyboard"} <= names
    job = await _recorded(engine, worker)
    assert (job.state, job.attempts, job.lease_owner) == (State.DONE.value, 1, None)
    assert worker.terminate() == 0  # SIGTERM: the worker stops cleanly between jobs
    proxy = await client.get(f"/api/v1/items/{item_id}", headers=silk.headers)
    shown = {r["name"]: r for r in proxy.json()["renditions"]}
    assert (shown["proxy"]["width"], shown["proxy"]["height"]) == (320, 240)  # made from this video


async def test_a_job_whose_worker_was_killed_is_finished_by_the_next_worker(
        client: httpx.AsyncClient, make_partner, engine: Engine, settings: Settings, video: Path,
        workers: list[WorkerProcess], tmp_path: Path) -> None:
    silk = make_partner("silk", scopes=("publish", "read"))
    item_id = await _publish(client, silk.headers, video)
    first = _start(workers, settings, tmp_path)
    deadline = time.monotonic() + WAIT
    while not first.owns(_job(engine).lease_owner):  # it claimed the job: ffmpeg is at work
        assert time.monotonic() < deadline and first.process.poll() is None, first.log.read_text(errors="replace")
        await anyio.sleep(0.02)
    first.kill()  # SIGKILL to the worker and its ffmpeg: no handler runs, nothing is recorded
    job = _job(engine)
    assert (job.state, job.attempts) == (State.RUNNING.value, 1) and first.owns(job.lease_owner), \
        "the job ended before the kill: the video is too short for this machine"
    assert await _media(client, silk.headers, item_id) == ("processing", {"original"})
    # The dead worker's lease would run out after media.jobs.LEASE (2 minutes); the test moves its end
    # to the past instead of waiting, as the clock would.
    with writing(engine) as conn:
        conn.execute(jobs.update().where(jobs.c.id == job.id).values(lease_until=utcnow() - timedelta(seconds=1)))
    second = _start(workers, settings, tmp_path)
    names = await _until_ready(client, silk.headers, item_id, second)
    assert {"original", "proxy", "poster", "thumbnail", "storyboard"} <= names
    job = await _recorded(engine, second)
    assert (job.state, job.attempts, job.lease_owner, job.last_error) == (State.DONE.value, 2, None, None)
    assert second.terminate() == 0
