"""The lines dnsmasq logs for its DHCPv4 ranges when it starts.

dnsmasq 2.90 (checked side by side) logs one line per --dhcp-range, last configured
first: "DHCP, IP range 192.0.2.10 -- 192.0.2.20, lease time 12h", "DHCP, static leases
only on 198.51.100.0, lease time infinite", "DHCP, proxy on subnet 203.0.113.0".  Lease
times print as days, hours, minutes and seconds with the zero parts left out ("1d1h",
"59m", "2m" for a 90 s lease raised to the 120 s minimum, "7d" for 1w).
"""

from __future__ import annotations

from collections.abc import Sequence

from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.config.grammar.fields import INFINITE


def lease_text(seconds: int) -> str:
    """dnsmasq's spelling of a lease time."""
    if seconds == INFINITE:
        return "infinite"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    if secs or not parts:
        parts.append(f"{secs}s")
    return "".join(parts)


def range_lines(ranges: Sequence[object]) -> list[str]:
    out: list[str] = []
    for rng in reversed(ranges):
        if not isinstance(rng, Dhcp4Range):
            continue
        if rng.mode == "proxy":
            out.append(f"DHCP, proxy on subnet {rng.start}")
        elif rng.mode == "static":
            out.append(
                f"DHCP, static leases only on {rng.start}, lease time {lease_text(rng.lease)}"
            )
        else:
            out.append(
                f"DHCP, IP range {rng.start} -- {rng.end}, lease time {lease_text(rng.lease)}"
            )
    return out


__all__ = ["lease_text", "range_lines"]
