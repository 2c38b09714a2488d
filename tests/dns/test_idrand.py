"""idrand.BlockRandom: kernel randomness in blocks, the same ranges as SystemRandom."""

from __future__ import annotations

import os

import pytest

from lanctl.dns.idrand import BlockRandom


def test_ids_come_from_one_urandom_block(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.urandom

    def fake(n: int) -> bytes:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(os, "urandom", fake)
    rng = BlockRandom(block=64)
    ids = [rng.getrandbits(16) for _ in range(64)]  # 2 bytes each: two blocks
    assert calls == [64, 64]
    assert all(0 <= i < 65536 for i in ids)
    assert len(set(ids)) > 50  # 64 draws from 65536 values: collisions are rare


def test_bits_and_ranges() -> None:
    rng = BlockRandom(block=16)
    assert all(rng.getrandbits(1) in (0, 1) for _ in range(100))
    assert {rng.getrandbits(1) for _ in range(200)} == {0, 1}
    assert all(0 <= rng.getrandbits(13) < 2**13 for _ in range(100))
    assert all(1024 <= rng.randint(1024, 1030) <= 1030 for _ in range(200))
    assert rng.getrandbits(0) == 0
    assert 0 <= rng.getrandbits(100) < 2**100  # past 64 bits: straight from the kernel


def test_known_block_gives_known_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "urandom", lambda n: bytes(range(1, n + 1)))
    rng = BlockRandom(block=4)
    assert [rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(12)] == [0x0102, 0x0304,
                                                                              0x010]  # fmt: skip
