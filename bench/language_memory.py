"""Memory, build time and speed of newsbridge's lingua detector, per language set and accuracy.

Each setting is measured in a fresh Python process (memory that a process once took is
not given back, so settings measured one after another in one process would lie). The
child reports its resident memory (``VmRSS``) after importing ``newsbridge.ingest.language``,
after building the detector (``detector(languages, accuracy)``, which preloads the models),
its peak (``VmHWM``), the build time, and the time per ``detect_language`` call on the
benchmark's en/ru/kk/fa headlines and on item-sized samples (headline and body, cut at the
600 characters the pipeline looks at), warm, with how many it got right.

    .venv/bin/python bench/language_memory.py [--rounds 40]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter
from typing import Any

DEFAULT_LANGUAGES = ("en", "ru", "kk", "fa", "uk", "be", "mn", "ar", "tr")
CORE_LANGUAGES = ("en", "ru", "kk", "fa")
SETTINGS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("default 9, high", DEFAULT_LANGUAGES, "high"),
    ("default 9, low", DEFAULT_LANGUAGES, "low"),
    ("en ru kk fa, high", CORE_LANGUAGES, "high"),
    ("en ru kk fa, low", CORE_LANGUAGES, "low"),
)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def _timed(texts: Sequence[tuple[str, str]], languages: tuple[str, ...], accuracy: str,
           rounds: int) -> tuple[float, int]:
    """(seconds per detect_language call, warm; how many texts got their language right)."""
    from newsbridge.ingest.language import detect_language

    right = sum(detect_language(text, languages, accuracy).language == language for language, text in texts)
    started = perf_counter()
    for _ in range(rounds):
        for _language, text in texts:
            detect_language(text, languages, accuracy)
    return (perf_counter() - started) / (rounds * len(texts)), right


def measure(languages: Sequence[str], accuracy: str | None, headlines: Sequence[tuple[str, str]],
            samples: Sequence[tuple[str, str]], rounds: int) -> dict[str, Any]:
    """In this (fresh) process: memory and time of building one detector and using it."""
    started_kib = _status_kib("VmRSS")
    from newsbridge.ingest.language import detector

    imported_kib = _status_kib("VmRSS")
    result: dict[str, Any] = {"python_mib": started_kib / 1024, "imported_mib": imported_kib / 1024}
    if accuracy is None:  # the baseline: the module imported, no detector built
        return result | {"built_mib": imported_kib / 1024, "peak_mib": _status_kib("VmHWM") / 1024}
    chosen = tuple(languages)
    started = perf_counter()
    detector(chosen, accuracy)
    build_seconds = perf_counter() - started
    built_kib = _status_kib("VmRSS")
    per_headline, right = _timed(headlines, chosen, accuracy, rounds)
    per_sample, samples_right = _timed(samples, chosen, accuracy, max(1, rounds // 4))
    return result | {"built_mib": built_kib / 1024, "peak_mib": _status_kib("VmHWM") / 1024,
                     "build_s": build_seconds, "us_per_headline": per_headline * 1e6, "right": right,
                     "headlines": len(headlines), "us_per_sample": per_sample * 1e6,
                     "samples_right": samples_right, "samples": len(samples)}


def run_child(languages: Sequence[str], accuracy: str | None, headlines: Sequence[tuple[str, str]],
              samples: Sequence[tuple[str, str]], rounds: int) -> dict[str, Any]:
    request = json.dumps({"languages": list(languages), "accuracy": accuracy, "headlines": headlines,
                          "samples": samples, "rounds": rounds})
    done = subprocess.run([sys.executable, __file__, "--child"], input=request, capture_output=True, text=True,
                          check=True)
    return json.loads(done.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="timed passes over the headlines (default 40)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        request = json.loads(sys.stdin.read())
        print(json.dumps(measure(request["languages"], request["accuracy"],
                                 [tuple(pair) for pair in request["headlines"]],
                                 [tuple(pair) for pair in request["samples"]], request["rounds"])))
        return 0

    # The parent alone imports the ingest benchmark (for its headline pools); children stay lean.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from wire_items import generate, sample_headlines
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=140)
    headlines = sample_headlines()
    samples = [(g.language, f"{g.headline}\n{g.body}"[:600]) for g in generate(200, seed=7)]
    table = Table(title=f"lingua detector per setting, each in a fresh process ({len(headlines)} headlines, "
                        f"{len(samples)} item samples of <= 600 chars; en/ru/kk/fa)")
    for column in ("setting", "RSS MiB", "detector MiB", "peak MiB", "build s", "µs/headline", "headlines right",
                   "µs/item sample", "samples right"):
        table.add_column(column, justify="left" if column == "setting" else "right")
    base = run_child((), None, (), (), 0)
    table.add_row("no detector (import only)", f"{base['built_mib']:.0f}", "0", f"{base['peak_mib']:.0f}",
                  "", "", "", "", "")
    for label, languages, accuracy in SETTINGS:
        r = run_child(languages, accuracy, headlines, samples, args.rounds)
        table.add_row(label, f"{r['built_mib']:.0f}", f"{r['built_mib'] - r['imported_mib']:.0f}",
                      f"{r['peak_mib']:.0f}", f"{r['build_s']:.2f}", f"{r['us_per_headline']:.0f}",
                      f"{r['right']}/{r['headlines']}", f"{r['us_per_sample']:.0f}",
                      f"{r['samples_right']}/{r['samples']}")
    console.print(table)
    console.print("RSS: resident memory after building; detector: RSS after building minus RSS after importing "
                  "newsbridge.ingest.language; peak: VmHWM.")
    console.print(f"python alone {base['python_mib']:.0f} MiB; after importing newsbridge.ingest.language "
                  f"{base['imported_mib']:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
