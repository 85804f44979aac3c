"""CPU time per stage of the ingest pipeline, without a profiler's overhead (``bench/ingest.py --stages``).

cProfile instruments every call, builtins included, and so inflates the small functions ingest is made of
(2-3 x here) and shifts the shares between them. This wraps a few named functions with a
``time.process_time`` timer each instead, and counts the garbage collector's passes through ``gc.callbacks``:
what it costs is a timer call per wrapped call, ~1 % of the run. Stages nest (``of which``), so the rows do
not add up to the whole; the collector's passes are shown apart and taken out of the stages they fell in.
"""

from __future__ import annotations

import gc
import importlib
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import process_time
from typing import Any

# (module, function, label): the function is replaced in that module, where its callers look it up
STAGES = (
    ("newsbridge.formats.ninjs", "parse_ninjs", "parse_ninjs (JSON, schema, mapping)"),
    ("newsbridge.ingest.pipeline", "prepare_item", "prepare_item"),
    ("newsbridge.ingest.prepare", "_sanitized", "  of which sanitizing HTML (nh3)"),
    ("newsbridge.ingest.prepare", "_decide_language", "  of which the language"),
    ("newsbridge.ingest.prepare", "html_to_text", "  of which html_to_text"),
    ("newsbridge.ingest.prepare", "unversioned_document", "  of which the ninjs 3 document"),
    ("newsbridge.ingest.prepare", "hash_document", "  of which the content hash"),
    ("newsbridge.ingest.pipeline", "store_first_versions", "store_first_versions"),
    ("newsbridge.items.store", "index_text", "  of which search stems"),
    ("newsbridge.items.store", "_insert_versions", "  of which versions inserted and indexed (SQLite)"),
    ("newsbridge.items.store", "_topic_rows", "  of which Media Topic rows"),
    ("newsbridge.items.store", "new_id", "  of which ids (ULID)"),
    ("newsbridge.ingest.pipeline", "load_rules", "routing rules"),
    ("newsbridge.ingest.pipeline", "route_first_versions", "routing"),
    ("sqlalchemy.engine.base", "Connection._commit_impl", "commits"),
)


class Stages:
    """CPU seconds and calls per stage label; the collector's time is taken out of the stages it fell in."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.collected = 0.0  # the collector's seconds so far

    def clear(self) -> None:
        self.spent.clear()
        self.calls.clear()

    def timed(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, collected = process_time(), self.collected
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[label] += process_time() - started - (self.collected - collected)
                self.calls[label] += 1
        return timed

    def rows(self) -> list[tuple[str, int, float]]:
        """(label, calls, seconds) in the order of :data:`STAGES`, then the collector's generations."""
        labels = [label for _module, _name, label in STAGES] + sorted(k for k in self.spent if k.startswith("garbage"))
        return [(label, self.calls[label], self.spent[label]) for label in labels if label in self.spent]


@contextmanager
def timed_stages() -> Iterator[Stages]:
    """Within the block, CPU seconds and calls per stage of :data:`STAGES`, and of the collector's passes."""
    stages = Stages()
    replaced = []
    for module_name, name, label in STAGES:
        owner: Any = importlib.import_module(module_name)
        *path, attribute = name.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, attribute)
        setattr(owner, attribute, stages.timed(original, label))
        replaced.append((owner, attribute, original))
    started: list[float] = []

    def collected(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started.append(process_time())
        elif started:
            label = f"garbage collector, generation {info['generation']}"
            seconds = process_time() - started.pop()
            stages.collected += seconds
            stages.spent[label] += seconds
            stages.calls[label] += 1

    gc.callbacks.append(collected)
    try:
        yield stages
    finally:
        gc.callbacks.remove(collected)
        for owner, attribute, original in replaced:
            setattr(owner, attribute, original)
