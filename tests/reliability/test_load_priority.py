"""The story worker's embeddings run below the priority of requests (stories/worker_priority.py)."""

from __future__ import annotations

import os
import threading

import numpy as np

from newsbridge.stories.embeddings import DIMENSIONS
from newsbridge.stories.worker import StoryWorker
from newsbridge.stories.worker_priority import NICENESS, Yielding


class Recording:
    name = "recording"

    def __init__(self) -> None:
        self.niceness: list[int] = []
        self.threads: list[int] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.threads.append(threading.get_native_id())
        self.niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return np.ones((len(texts), DIMENSIONS), dtype=np.float32)


def test_embeddings_run_on_one_thread_of_lower_priority() -> None:
    inner = Recording()
    yielding = Yielding(inner)
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert yielding.embed(["a", "b"]).shape == (2, DIMENSIONS)
    yielding.embed(["c"])
    assert inner.niceness == [min(own + NICENESS, 19)] * 2  # the embedding thread only
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == own  # the caller keeps its priority
    assert len(set(inner.threads)) == 1 and inner.threads[0] != threading.get_native_id()


def test_the_story_worker_embeds_below_request_priority(engine) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(StoryWorker(engine).embedder, Yielding)
