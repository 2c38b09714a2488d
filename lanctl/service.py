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


# Where each service's adapter lives ("module:function"), imported only when it runs.
SUBSYSTEMS: Final[dict[str, str]] = {
    "dns": "lanctl.dns.server:serve",
    "dhcp4": "lanctl.dhcp4.server:serve",
    "dhcp6": "lanctl.dhcp6.server:serve",
    "ra": "lanctl.ra.server:serve",
    "tftp": "lanctl.tftp.server:serve",
    "pxe": "lanctl.pxe.server:serve",
}
