"""Which addresses of a range hold an entry in the engine's tables, one octet per address.

The address walk (choose.py) follows dnsmasq's hash walk: from a hash of the MAC, the
first address no other client holds.  Once a range fills, the walk meets long runs of
held addresses (sooner for sequential MACs, whose hash starts cluster), and under load the
addresses just past a run are the ones offered to the clients answered a moment before.
Probing each in Python costs tens of microseconds per DISCOVER.  An `Occupancy` keeps, per
span of addresses (a range), one octet per address with one bit per table (LEASED,
OFFERED), set and cleared by the tables as entries come and go; `bytearray.find(0)` (memchr)
then finds the next address with no entry at C speed.  A span's map is made at first use
from the tables tracked so far; spans wider than SPAN_MAX get none (the walk probes).
Pure, sans-IO.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = ["LEASED", "OFFERED", "SPAN_MAX", "Occupancy", "highest_marked"]

LEASED: Final = 1
OFFERED: Final = 2
SPAN_MAX: Final = 1 << 22  # addresses: a map of a larger span would pass 4 MiB
MAPS_MAX: Final = 64  # spans with a map (ranges are few; anything else probes)


class Occupancy:
    """Per span [first, last] of int addresses: an octet per address, a bit per table."""

    def __init__(self) -> None:
        self._maps: tuple[tuple[int, int, bytearray], ...] = ()
        self._sources: tuple[tuple[Iterable[int], int], ...] = ()

    def track(self, keys: Iterable[int], bit: int) -> None:
        """A table whose int keys (iterated again for each new span) carry `bit`; the
        table then calls mark/unmark as its keys come and go."""
        self._sources = (*self._sources, (keys, bit))
        for first, last, octets in self._maps:
            _fill(octets, first, last, keys, bit)

    def mark(self, a: int, bit: int) -> None:
        for first, last, octets in self._maps:
            if first <= a <= last:
                octets[a - first] |= bit

    def unmark(self, a: int, bit: int) -> None:
        for first, last, octets in self._maps:
            if first <= a <= last:
                octets[a - first] &= ~bit

    def span(self, first: int, last: int) -> bytearray | None:
        """The octets of [first, last] (index: address - first), or None when too wide."""
        for low, high, octets in self._maps:
            if low == first and high == last:
                return octets
        if not first <= last or last - first >= SPAN_MAX or len(self._maps) >= MAPS_MAX:
            return None
        octets = bytearray(last - first + 1)
        for keys, bit in self._sources:
            _fill(octets, first, last, keys, bit)
        self._maps = (*self._maps, (first, last, octets))
        return octets


def _fill(octets: bytearray, first: int, last: int, keys: Iterable[int], bit: int) -> None:
    for a in keys:
        if first <= a <= last:
            octets[a - first] |= bit


def highest_marked(octets: bytearray, bit: int) -> int:
    """The highest index whose octet has `bit` (-1: none)."""
    return max((octets.rfind(v) for v in _VALUES if v & bit), default=-1)


_VALUES: Final = range(1, (LEASED | OFFERED) + 1)  # the octet values the bits make
