"""The contract between the supervisor and each service adapter (`<proto>/server.py`).

A service is started with `await nursery.start(serve, cfg, ctx)`; once its sockets are
bound it calls `task_status.started(handle)` with a `ServiceHandle`.  The supervisor keeps
the handles to answer the control socket (`stats`, `cache.dump`, `cache.clear`, `reload`)
and to deliver signals (HUP reload, USR1 statistics).  Pure: no trio import here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol

JsonValue = Any  # what json.dumps accepts; kept loose on purpose at this boundary


class ServiceHandle(Protocol):
    """What a running service exposes to the supervisor."""

    name: str

    def stats(self) -> dict[str, JsonValue]:
        """Counters for `lanctl cache stats`, SIGUSR1 and the `stats` control command."""
        ...

    def reload(self) -> None:
        """SIGHUP: clear caches, re-read hosts-type files (never the config file)."""
        ...

    def control(self, command: str, args: dict[str, JsonValue]) -> JsonValue:
        """Answer a service-specific control command (e.g. "cache.dump", "cache.clear").

        Raises KeyError for a command the service does not know.
        """
        ...

    def log_stats(self) -> list[str]:
        """Lines to log on SIGUSR1, in dnsmasq's shape."""
        ...


ServeFn = Callable[..., Awaitable[None]]


class Kept:
    """The `ctx` of a supervised service: what it opens once and keeps across restarts
    (isolation.py).  A service restarted after the privilege drop cannot open again what
    only root may open (the root-owned SQLite lease store, for one); it finds it here."""

    def __init__(self) -> None:
        self._items: dict[str, object] = {}
        self._closers: list[Callable[[], None]] = []

    def get(self, key: str) -> object | None:
        return self._items.get(key)

    def keep(self, key: str, value: object, close: Callable[[], None]) -> None:
        """Keep `value` under `key`; `close` runs when the service stops for good."""
        self._items[key] = value
        self._closers.append(close)

    def close(self) -> None:
        """The service will not be started again: close what it kept (newest first)."""
        while self._closers:
            self._closers.pop()()
        self._items.clear()


# Where each service's adapter lives ("module:function"), imported only when it runs.
SUBSYSTEMS: Final[dict[str, str]] = {
    "dns": "lanctl.dns.server:serve",
    "dhcp4": "lanctl.dhcp4.server:serve",
    "dhcp6": "lanctl.dhcp6.server:serve",
    "ra": "lanctl.ra.server:serve",
    "tftp": "lanctl.tftp.server:serve",
    "pxe": "lanctl.pxe.server:serve",
}
