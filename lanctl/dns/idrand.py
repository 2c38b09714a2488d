"""Upstream query IDs and source ports from the system CSPRNG, read in blocks (RFC 5452 §9.2).

random.SystemRandom asks the kernel (getrandom(2)) for every number: one system call per
forwarded query.  BlockRandom hands out the same kind of bytes (os.urandom) from a 4 KiB
block, so IDs stay unpredictable and cost no system call; numbers of more than 64 bits and
random() still go to the kernel directly.
"""

from __future__ import annotations

import os
import random
from typing import Final

BLOCK: Final = 4096  # bytes of os.urandom read at once


class BlockRandom(random.SystemRandom):
    """SystemRandom whose getrandbits(k <= 64) (and so randint/randrange) use a block buffer."""

    def __init__(self, block: int = BLOCK) -> None:
        super().__init__()
        self._block = block
        self._buf = b""
        self._pos = 0

    def getrandbits(self, k: int) -> int:
        if not 0 < k <= 64:
            return super().getrandbits(k)
        n = (k + 7) // 8
        pos = self._pos
        if pos + n > len(self._buf):
            self._buf = os.urandom(self._block)
            pos = 0
        self._pos = pos + n
        return int.from_bytes(self._buf[pos : pos + n], "big") >> (n * 8 - k)
