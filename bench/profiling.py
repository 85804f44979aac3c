"""What the benchmarks' ``--profile`` options share: a table of chosen stages of a cProfile run."""

from __future__ import annotations

import pstats
from collections.abc import Sequence

from rich.table import Table


def stage_table(stats: pstats.Stats, stages: Sequence[tuple[str, str, str]], calls: str = "calls") -> Table:
    """Calls, cumulative seconds and share of the run for each (path suffix, function, label)."""
    total = stats.total_tt  # type: ignore[attr-defined]
    table = Table("stage", calls, "cumulative s", "share")
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for where, what, label in stages:
        for (path, _line, name), (_cc, count, _tt, cumulative, _callers) in entries:
            if path.endswith(where) and name == what:
                table.add_row(label, f"{count:,}", f"{cumulative:.2f}", f"{cumulative / total:.0%}")
    return table
