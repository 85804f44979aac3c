"""The hub hashes passwords with argon2id at its recommended strength (the tests swap in a cheap one:
tests/conftest.py), and a hash made at any strength still verifies."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY

import newsbridge.accounts.members as members
from tests.conftest import PRODUCTION_HASHERS


def test_the_hub_hashes_with_argon2s_recommended_strength() -> None:
    for hasher in PRODUCTION_HASHERS:
        assert hasher.type.name == "ID"
        assert hasher.memory_cost >= RFC_9106_LOW_MEMORY.memory_cost  # 64 MiB
        assert hasher.time_cost >= RFC_9106_LOW_MEMORY.time_cost


def test_a_strong_hash_verifies_with_the_tests_cheap_hasher_and_back() -> None:
    strong, cheap = PRODUCTION_HASHERS[0], members._hasher
    assert cheap is not strong
    assert cheap.verify(strong.hash("a long enough passphrase"), "a long enough passphrase")
    assert strong.verify(cheap.hash("a long enough passphrase"), "a long enough passphrase")
    assert isinstance(cheap, PasswordHasher)
