"""Running ffprobe and ffmpeg on untrusted files: bounded in time, memory and reach.

Every run is a list of arguments (never a shell), with no standard input, under ``prlimit``
(address space and CPU seconds) and a wall-clock timeout after which the process group is
killed. The input is always named ``file:/absolute/path`` with ``-protocol_whitelist file``
and the demuxer forced from the sniffed type, so a file cannot make ffmpeg read other files
or URLs (HLS playlists, concat lists and the like are never opened as such).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsbridge.errors import MediaUnreadable, NewsbridgeError

MEMORY_LIMIT = 2 * 1024**3  # address space of one ffmpeg run; x264 at 720p needs a few hundred MB
PROBE_TIMEOUT = 30.0


class ToolMissing(NewsbridgeError):
    """ffmpeg is not installed: an operator's problem, not the file's (the job is retried)."""

    status = 500
    code = "internal"


@dataclass(frozen=True)
class Ran:
    stdout: bytes
    stderr: str


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise ToolMissing(f"{name} is not installed; install Debian's ffmpeg package (make test does)")
    return found


def input_args(path: Path, demuxer: str | None, *, seek: float | None = None) -> list[str]:
    """The arguments that open ``path`` safely: local file protocol only, the sniffed demuxer."""
    args = ["-protocol_whitelist", "file"]
    if seek is not None:
        args += ["-ss", f"{seek:.3f}"]
    if demuxer:
        args += ["-f", demuxer]
    return args + ["-i", f"file:{path.resolve()}"]


def run(argv: list[str], *, timeout: float, cpu_seconds: int | None = None, what: str = "the file") -> Ran:
    """Run ``argv`` bounded; a non-zero exit or a timeout becomes :class:`MediaUnreadable`."""
    limits = [f"--as={MEMORY_LIMIT}", f"--cpu={cpu_seconds or int(timeout) + 5}"]
    prlimit = shutil.which("prlimit")
    command = [prlimit, *limits, "--", *argv] if prlimit else argv
    # A session of its own: on timeout the whole group goes (prlimit and the tool under it).
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                            "LC_ALL": "C"})
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise MediaUnreadable(f"{Path(argv[0]).name} gave up on {what} after {timeout:.0f} s; "
                              "the file is too long or too complex to decode", field="file") from None
    stderr = err.decode("utf-8", "replace").strip()
    if process.returncode != 0:
        last = stderr.splitlines()[-1] if stderr else f"exit status {process.returncode}"
        raise MediaUnreadable(f"{Path(argv[0]).name} could not decode {what}: {last[:300]}", field="file")
    return Ran(out, stderr)


def ffprobe(path: Path, demuxer: str | None, *, timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    """ffprobe's JSON description (format and streams) of ``path``."""
    ran = run([tool("ffprobe"), "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
               *input_args(path, demuxer)], timeout=timeout)
    try:
        return json.loads(ran.stdout)
    except ValueError:
        raise MediaUnreadable("ffprobe gave no description of the file", field="file") from None


def ffmpeg(args: list[str], *, timeout: float, threads: int, what: str = "the file") -> Ran:
    """Run ffmpeg with ``args`` (inputs and outputs), quietly, never asking, overwriting outputs."""
    return run([tool("ffmpeg"), "-nostdin", "-y", "-hide_banner", "-v", "error", "-threads", str(threads),
                "-filter_threads", "1", *args], timeout=timeout, cpu_seconds=int(timeout * max(threads, 1)) + 5,
               what=what)
