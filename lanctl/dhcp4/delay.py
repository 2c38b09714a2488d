"""--dhcp-reply-delay: replies held back, released when their time comes (pure).

dnsmasq 2.90 waits at least the configured seconds before answering a DISCOVER (OFFER, or
the rapid-commit ACK), counting from the request's arrival, so the time a ping check took
counts (man page).  dnsmasq sleeps; the engine instead parks the `Send` here and the
adapter gets it from on_timer() at next_deadline().  The option takes one line, with
optional `tag:` conditions.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from lanctl.config.grammar.dhcp_boot import ReplyDelay
from lanctl.dhcp4.effects import Send
from lanctl.tags import matches

__all__ = ["HeldReplies", "release_time"]


def release_time(
    rows: Iterable[object], tags: frozenset[str], received: float, now: float
) -> float | None:
    """When a DISCOVER answer may go (the first matching line), or None: at once."""
    for row in rows:
        if isinstance(row, ReplyDelay) and matches(row.tags, tags):
            due = received + row.seconds
            return due if due > now else None
    return None


class HeldReplies:
    """Replies waiting for their release time, earliest first (ties in arrival order)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Send]] = []
        self._count = 0

    def hold(self, until: float, send: Send) -> None:
        self._count += 1
        heapq.heappush(self._heap, (until, self._count, send))

    def next_due(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    def due(self, now: float) -> list[Send]:
        out: list[Send] = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        return out
