"""What the DHCPv4 engine asks its adapter to do (ARCHITECTURE §2.3): send, store, log.

`Send` carries the reply and where it goes; `hwaddr` is set when the destination is an
unconfigured client's new address, so the adapter can add an ARP entry before unicasting
(or fall back to broadcast).  `LeaseChanged` drives the lease store and the lease file;
`Log` is a dnsmasq-shaped line.  Pure values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lanctl.store.lease import Lease4

__all__ = ["Effect", "LeaseChanged", "Log", "Send"]


@dataclass(frozen=True, slots=True)
class Send:
    dest: tuple[str, int]
    payload: bytes
    iface: str
    hwaddr: bytes | None = None  # unicast to an address the client does not own yet


@dataclass(frozen=True, slots=True)
class LeaseChanged:
    action: Literal["add", "old", "del"]
    lease: Lease4


@dataclass(frozen=True, slots=True)
class Log:
    level: int  # logging level
    text: str


Effect = Send | LeaseChanged | Log
