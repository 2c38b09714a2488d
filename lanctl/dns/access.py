"""--local-service: answer only clients on a directly connected subnet (or only localhost).

As the dnsmasq 2.90 man page says, the option has effect only without --interface,
--except-interface, --listen-address and --auth-server.  "net" (or no value): a query is
answered only when its source address lies in the subnet of an address of one of this
host's interfaces (read with `ip -j addr`; re-read, at most once a second, when a source
is in none of them, so that new interfaces are picked up); other queries are dropped
without a reply.  "host": the server binds the loopback addresses only (127.0.0.1, ::1),
so only this host can reach it.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import time
from collections.abc import Callable
from typing import Final

from lanctl.config.model import Config

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
REREAD: Final = 1.0  # seconds between two reads of the interfaces on unknown sources
MEMO_MAX: Final = 4096  # sources remembered


def connected_networks() -> list[IPNetwork]:
    """The subnets of every address of every interface; [] when `ip` is unavailable."""
    try:
        proc = subprocess.run(
            ["ip", "-j", "addr", "show"], capture_output=True, check=True, timeout=10
        )
        links = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return []
    nets: list[IPNetwork] = []
    for link in links if isinstance(links, list) else ():
        for info in link.get("addr_info", ()):
            try:
                nets.append(
                    ipaddress.ip_network(f"{info.get('local')}/{info.get('prefixlen')}", False)
                )
            except ValueError:
                continue
    return nets


def service_mode(cfg: Config) -> str | None:
    """ "net", "host", or None when --local-service is absent or has no effect."""
    dns, core = cfg.dns, cfg.core
    if not dns.local_service or core.listen_address or core.interface or core.except_interface:
        return None
    return "host" if dns.local_service_host else "net"


class LocalSubnets:
    """Whether a client address is on a connected subnet (memoised per address)."""

    def __init__(
        self,
        read: Callable[[], list[IPNetwork]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read = read if read is not None else connected_networks
        self._clock = clock
        self.nets = self._read()
        self._read_at = clock()
        self._memo: dict[str, bool] = {}
        self.refused = 0

    def allows(self, source: str) -> bool:
        if source in self._memo:
            return True
        try:
            addr = ipaddress.ip_address(source.split("%", 1)[0])
        except ValueError:
            self.refused += 1
            return False
        ok = self._inside(addr)
        if not ok and self._clock() - self._read_at >= REREAD:
            self.nets = self._read()
            self._read_at = self._clock()
            ok = self._inside(addr)
        if len(self._memo) >= MEMO_MAX:
            self._memo.clear()
        if ok:  # refusals are not memoised past a re-read: an interface may appear
            self._memo[source] = True
        else:
            self.refused += 1
        return ok

    def _inside(self, addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        if addr.version == 6 and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return any(addr.version == net.version and addr in net for net in self.nets)


__all__ = ["LocalSubnets", "connected_networks", "service_mode"]
