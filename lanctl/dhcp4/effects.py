"""What the DHCPv4 engine asks its adapter to do (ARCHITECTURE §2.3): send, store, log.

`Send` carries the reply and where it goes; `hwaddr` is set when the destination is an
unconfigured client's new address, so the adapter can add an ARP entry before unicasting
(or fall back to broadcast).  `LeaseChanged` drives the lease store and the lease file;
`Log` is a dnsmasq-shaped line.  `ClientInfo` is what the request told about the client
that the lease itself does not keep (the `--dhcp-script` environment).  Pure values, never
changed once made (not frozen: a frozen dataclass costs one object.__setattr__ per field, and
several are made per message).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final, Literal

from lanctl.store.lease import Lease4

__all__ = ["PING_WAIT", "ClientInfo", "Effect", "LeaseChanged", "Log", "Probe", "Send"]

PING_WAIT: Final = 3.0  # dnsmasq PING_WAIT: seconds to wait for an echo reply


@dataclass(slots=True)
class Send:
    dest: tuple[str, int]
    payload: bytes
    iface: str
    hwaddr: bytes | None = None  # unicast to an address the client does not own yet


@dataclass(slots=True)
class ClientInfo:
    """Request facts for the lease-change script (DNSMASQ_* variables)."""

    iface: str
    supplied_hostname: str | None = None
    requested_options: tuple[int, ...] | None = None
    vendor_class: bytes | None = None
    relay: str | None = None  # giaddr, when relayed
    tags: tuple[str, ...] = ()


@dataclass(slots=True)
class LeaseChanged:
    action: Literal["add", "old", "del"]
    lease: Lease4
    before: Lease4 | None = None  # "old": the lease as it was
    info: ClientInfo | None = None  # set when a client request caused it (with --dhcp-script)


@dataclass(slots=True)
class Log:
    level: int  # logging level
    text: str


@dataclass(frozen=True, slots=True)
class Probe:
    """Ping `addr` (ICMP echo); report to on_probe_result whether it answered in `timeout` s."""

    addr: IPv4Address
    timeout: float = PING_WAIT


Effect = Send | LeaseChanged | Log | Probe
