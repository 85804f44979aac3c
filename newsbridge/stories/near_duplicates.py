"""Exact and near-duplicate texts within a language: a normalized content key and MinHash over
word shingles (``datasketch``), cut into LSH bands stored in the database (``story_bands``) so
finding candidates is an index lookup; a candidate is a near-duplicate when the estimated Jaccard
similarity of the shingles reaches :data:`NEAR_JACCARD`."""

from __future__ import annotations

import hashlib
import re

import numpy as np

from newsbridge.stories.gazetteer import normalize

PERMUTATIONS = 128
BANDS, ROWS = 32, 4  # LSH: a pair with Jaccard 0.5 shares a band with probability ~0.87, at 0.8 ~1.0
SHINGLE = 3  # words
NEAR_JACCARD = 0.6
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def content_key(text: str) -> str | None:
    """The same words in the same order give the same key (case, punctuation and spacing aside)."""
    found = words(text)
    return hashlib.sha256(" ".join(found).encode()).hexdigest() if found else None


def signature(text: str) -> np.ndarray | None:
    """The MinHash signature (``PERMUTATIONS`` uint64) of the text's word 3-shingles; None for no words."""
    found = words(text)
    if not found:
        return None
    shingles = {" ".join(found[i:i + SHINGLE]) for i in range(max(1, len(found) - SHINGLE + 1))}
    # imported here, not at the top: datasketch's package imports scipy.integrate (~0.6 s, a fifth of the hub's
    # start) for its LSH parameter search, which the hub does not use (the bands are ours, below)
    from datasketch import MinHash

    minhash = MinHash(num_perm=PERMUTATIONS, seed=16)
    minhash.update_batch([s.encode() for s in shingles])
    return minhash.hashvalues.astype(np.uint64)


def band_keys(signature_: np.ndarray, language: str | None) -> list[str]:
    """One key per band, scoped to the language (near-duplicates are looked for within a language)."""
    scope = (language or "").encode()
    return [hashlib.sha1(scope + bytes([band]) + signature_[band * ROWS:(band + 1) * ROWS].tobytes()).hexdigest()
            for band in range(BANDS)]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The Jaccard similarity the two signatures estimate."""
    return float(np.count_nonzero(a == b)) / len(a)


def pack(signature_: np.ndarray) -> bytes:
    return signature_.astype("<u8").tobytes()


def unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<u8")


def same_text(a: str, b: str, language: str | None) -> bool:
    """What the worker decides for two texts of one language (through the database there): the same
    content key, or a shared LSH band and an estimated Jaccard similarity of at least NEAR_JACCARD."""
    if content_key(a) == content_key(b):
        return True
    first, second = signature(a), signature(b)
    if first is None or second is None:
        return False
    shared = set(band_keys(first, language)) & set(band_keys(second, language))
    return bool(shared) and jaccard(first, second) >= NEAR_JACCARD
