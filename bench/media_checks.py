"""What a signed media URL's check costs the hub, owner's against a partner's (issue 13): the world of
bench/media_transfer.py (a hub, its media, a partner with a signed agreement sharing the item) over a small
file, then for each tree (this checkout, and ``--before`` another one on ``PYTHONPATH``):

* **in process**: ``media/serving.serve_at_once`` (what the event loop asks at every range) for the owner's
  and the partner's URL, best and median of 5 × ``--calls`` calls, by the calling thread's CPU clock;
* **live**: a hub process per tree, curl fetching blocks of ``--ranges`` scattered ranges of
  ``--piece`` bytes by the owner's and the partner's URL in the order ``--order``, repeated ``--rounds``
  times; the hub's CPU a range from the scheduler's per-thread count, each block labelled by the block
  before it on the same hub (does a partner's block cost more after the owner's?).

    .venv/bin/python bench/media_checks.py --before /tmp/media-before
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import media_transfer as transfer  # noqa: E402
from media_ranges import read_ranges_curl, scattered  # noqa: E402
from tests.media.faults import big_jpeg  # noqa: E402

IN_PROCESS = """
import json, newsbridge, statistics, sys, time
from urllib.parse import parse_qs, urlparse
from newsbridge.db.engine import create_engine
from newsbridge.media.serving import serve_at_once
world, calls = json.loads(sys.argv[1]), int(sys.argv[2])
engine = create_engine(world["database"])
found = {}
for who in ("owner", "partner"):
    url = urlparse(world[who])
    org, rendition = parse_qs(url.query)["org"][0], url.path.rsplit("/", 1)[1]
    times = []
    for _ in range(5):
        started = time.thread_time()
        for _ in range(calls):
            assert serve_at_once(engine, org, rendition) is not None
        times.append((time.thread_time() - started) / calls * 1e6)
    found[who] = (min(times), statistics.median(times))
print(json.dumps({**found, "code": newsbridge.__file__}))
"""


def world(root: Path, size: int) -> dict[str, str]:
    source = root / "original.jpg"
    big_jpeg(source, size)
    hub = transfer.start_hub(root)
    try:
        media_id = transfer.upload(hub, source)[0]
        owner = transfer.signed_original(hub, media_id, "urn:bench:original")
        partner = transfer.partner_href(hub, media_id)
    finally:
        transfer.stop(hub.process)
    return {"database": hub.database, "owner": owner, "partner": partner, "key": hub.key, "secret": hub.secret}


def in_process(root: Path, made: dict[str, str], tree: Path | None, calls: int) -> dict[str, Any]:
    env = {**os.environ, **({"PYTHONPATH": str(tree)} if tree else {})}  # run from ``root``: -c puts the
    done = subprocess.run([sys.executable, "-c", IN_PROCESS, json.dumps(made), str(calls)], env=env,  # cwd first
                          cwd=root, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def live(root: Path, made: dict[str, str], trees: dict[str, Path | None], args: argparse.Namespace) -> None:
    hubs = {label: transfer.launch(root, made["database"], made["key"], made["secret"], tree)
            for label, tree in trees.items()}
    try:
        ranges = scattered(args.size, args.piece, args.ranges)
        paths = {who: made[who][made[who].index("/media/"):] for who in ("owner", "partner")}
        spent: dict[tuple[str, str, str], list[float]] = {}
        walls: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for label, hub in hubs.items():
                before = "-"
                for who in args.order.split(","):
                    cpu = transfer.threads_cpu_seconds(hub.process.pid)
                    walls.setdefault((label, who), []).append(read_ranges_curl(hub.base + paths[who], ranges, root))
                    used = (transfer.threads_cpu_seconds(hub.process.pid) - cpu) / len(ranges) * 1e6
                    spent.setdefault((label, who, before), []).append(used)
                    before = who
        for (label, who, before), used in sorted(spent.items()):
            print(f"live {label}: {who}'s range after a block of the {before}'s: hub CPU median "
                  f"{statistics.median(used):.0f} µs, best {min(used):.0f} ({len(used)} blocks)")
        for (label, who), seconds in sorted(walls.items()):
            print(f"live {label}: {who}'s {len(ranges)} ranges in {min(seconds):.3f} s at best, "
                  f"median {statistics.median(seconds):.3f}")
    finally:
        for hub in hubs.values():
            transfer.stop(hub.process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="another checkout (git worktree) measured beside")
    parser.add_argument("--calls", type=int, default=2000, help="in-process calls a measure")
    parser.add_argument("--size", type=int, default=4 * transfer.MB, help="bytes of the served file")
    parser.add_argument("--piece", type=int, default=transfer.MB, help="bytes a range")
    parser.add_argument("--ranges", type=int, default=200, help="ranges a block")
    parser.add_argument("--rounds", type=int, default=6, help="times the order is repeated")
    parser.add_argument("--order", default="owner,partner,partner,owner", help="the blocks of a round")
    args = parser.parse_args()
    trees: dict[str, Path | None] = {**({"before": args.before} if args.before else {}), "after": None}
    with tempfile.TemporaryDirectory(prefix="bench-media-checks-", dir=Path(__file__).parent) as tmp:
        made = world(Path(tmp), args.size)
        print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, load {os.getloadavg()[0]:.1f}")
        for label, tree in trees.items():
            found = in_process(Path(tmp), made, tree, args.calls)
            print(f"in process {label} ({found.pop('code')}): " + "; ".join(f"the {who}'s check {best:.0f} µs at best, median {median:.0f}"
                                                     for who, (best, median) in found.items()))
        live(Path(tmp), made, trees, args)
        print(f"{time.strftime('%H:%M:%S', time.gmtime())} UTC, load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
