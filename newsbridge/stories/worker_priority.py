"""The story worker's embeddings at a lower CPU priority than the hub's requests and deliveries.

An embedding costs the story worker far more CPU than a publish costs the API (bench/load.py
``--unit-costs``: on these 2 shared cores, tens to hundreds of milliseconds an item against ~10 ms a
publish). On a machine the load saturates, the worker's rounds took the CPU the requests and the
delivery workers needed, and publishes, feed pages and stream events queued behind them. Stories are
on no request's path: :class:`Yielding` runs the model on one thread of its own whose niceness is
raised (Linux keeps a niceness per thread), so the scheduler gives requests and deliveries the CPU
first and the story worker what is left; it catches up when the load drops. The model's C core
releases the interpreter lock (ctypes), so the lower priority holds for its whole computation.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from newsbridge.stories.embeddings import Embedder

NICENESS = 10  # added to the process's niceness for the embedding thread only


def _lower_priority(niceness: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), os.getpriority(os.PRIO_PROCESS, 0) + niceness)
    except (AttributeError, OSError):  # not Linux, or not allowed: the embeddings still run, at normal priority
        pass


class Yielding:
    """An :class:`Embedder` whose model runs on one thread of its own, ``niceness`` lower in priority."""

    def __init__(self, inner: Embedder, niceness: int = NICENESS) -> None:
        self.inner, self.name = inner, inner.name
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="newsbridge-embeddings",
                                          initializer=_lower_priority, initargs=(niceness,))

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._thread.submit(self.inner.embed, texts).result()
