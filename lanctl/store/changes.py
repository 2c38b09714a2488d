"""In-process notice that the lease store changed: DHCP and DNS in one `lanctl all`.

A standalone `lanctl dns serve` sees new leases by polling SQLite's data_version (every
0.1 s, dns/leases.py).  Inside one process that poll leaves a window in which a client
that has just been ACKed asks for its own name and is not found — dnsmasq answers it at
once.  So the DHCP adapter calls `leases_changed()` after each commit, before the
replies go out, and the DNS watcher wakes on it.  Listeners run synchronously on the
caller's (trio) thread; they must only set a flag or an event.
"""

from __future__ import annotations

from collections.abc import Callable

_listeners: list[Callable[[], None]] = []


def subscribe(listener: Callable[[], None]) -> Callable[[], None]:
    """Call `listener` after every lease commit of this process; returns the unsubscriber."""
    _listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return unsubscribe


def leases_changed() -> None:
    for listener in list(_listeners):
        listener()


__all__ = ["leases_changed", "subscribe"]
