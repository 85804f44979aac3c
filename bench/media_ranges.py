"""The range patterns bench/media_transfer.py asks the hub and nginx for, and its two clients (httpx and
curl), each fetching the ranges one after another over one connection and checking every answer."""

from __future__ import annotations

import random
import subprocess
import time
from pathlib import Path

import httpx

MB = 1024 * 1024


def read_ranges(url: str, size: int, ranges: list[tuple[int, int]], headers: dict[str, str] | None = None) -> float:
    """Seconds to fetch ``ranges`` (start, length) of ``url`` one after another over one connection,
    each checked to be a 206 of the asked length; the bytes are read and dropped."""
    with httpx.Client(timeout=120, headers=headers or {}) as http:
        started = time.perf_counter()
        for start, length in ranges:
            with http.stream("GET", url, headers={"Range": f"bytes={start}-{start + length - 1}"}) as answer:
                assert answer.status_code == 206, (answer.status_code, url)
                got = sum(len(chunk) for chunk in answer.iter_raw(MB))
                assert got == length, (got, length)
        return time.perf_counter() - started


def read_ranges_curl(url: str, ranges: list[tuple[int, int]], work: Path) -> float:
    """As :func:`read_ranges` with curl (C, one connection reused across ``next``): a client fast enough
    that the servers, not the client, set the pace. Every answer's size is checked afterwards."""
    config = work / "ranges.curl"
    lines = []
    for index, (start, length) in enumerate(ranges):
        if index:
            lines.append("next")
        lines += [f'url = "{url}"', f'header = "Range: bytes={start}-{start + length - 1}"',
                  'output = "/dev/null"', 'write-out = "%{http_code} %{size_download}\\n"', "silent"]
    config.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    done = subprocess.run(["curl", "-K", str(config)], capture_output=True, text=True, check=True)
    took = time.perf_counter() - started
    answers = done.stdout.split()
    assert answers[0::2] == ["206"] * len(ranges), answers[:6]
    assert [int(n) for n in answers[1::2]] == [length for _, length in ranges]
    return took


def sequential(size: int, piece: int) -> list[tuple[int, int]]:
    """The whole file in ``piece``-byte ranges, in order (a downloader, a player buffering ahead)."""
    return [(start, min(piece, size - start)) for start in range(0, size, piece)]


def scattered(size: int, piece: int, count: int, seed: int = 13) -> list[tuple[int, int]]:
    """``count`` ranges at random places (a player seeking through a video)."""
    rng = random.Random(seed)
    return [(start, piece) for start in (rng.randrange(0, size - piece) for _ in range(count))]
