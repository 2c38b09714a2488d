"""Active link diagnostics: find every DHCP server and every router on a link.

`dhcp_probe` broadcasts one DHCPDISCOVER (RFC 2131 §4.4.1) from a random locally
administered MAC and collects every DHCPOFFER until the timeout; `ra_probe` sends one
Router Solicitation (RFC 4861 §6.3.7) and collects every Router Advertisement.  More
than one answer usually means a rogue server.  scapy lives only here (imported lazily);
these need root (raw sockets) and never send more than the one request.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import asdict, dataclass
from typing import Any

from lanctl.errors import NetworkError


@dataclass(frozen=True, slots=True)
class DhcpOffer:
    server_id: str
    source_ip: str
    source_mac: str
    offered: str
    lease_time: int | None
    router: str | None
    dns: str | None
    domain: str | None


@dataclass(frozen=True, slots=True)
class RouterAdvert:
    source: str
    source_mac: str
    router_lifetime: int
    managed: bool
    other: bool
    prefixes: tuple[str, ...]
    rdnss: tuple[str, ...]


def _option(options: list[Any], name: str) -> Any:
    for item in options:
        if isinstance(item, tuple) and item and item[0] == name:
            return item[1] if len(item) == 2 else list(item[1:])
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("ascii", "replace")
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def collect_offers(iface: str, timeout: float) -> list[DhcpOffer]:
    """Broadcast one DHCPDISCOVER on `iface`; return every distinct DHCPOFFER."""
    from scapy.all import BOOTP, DHCP, IP, UDP, Ether, conf, srp

    conf.checkIPaddr = False  # offers come from the server's address, not broadcast
    mac = bytes([0x02, *(random.getrandbits(8) for _ in range(5))])
    xid = random.getrandbits(32)
    discover = (
        Ether(dst="ff:ff:ff:ff:ff:ff", src=mac)
        / IP(src="0.0.0.0", dst="255.255.255.255")
        / UDP(sport=68, dport=67)
        / BOOTP(chaddr=mac + b"\0" * 10, xid=xid, flags=0x8000)
        / DHCP(
            options=[("message-type", "discover"), ("param_req_list", [1, 3, 6, 15, 51, 54]), "end"]
        )
    )
    try:
        answered, _ = srp(discover, iface=iface, timeout=timeout, multi=True, verbose=False)
    except OSError as err:
        raise NetworkError(f"cannot probe on {iface}: {err.strerror or err}") from err
    offers: dict[str, DhcpOffer] = {}
    for _sent, reply in answered:
        if not reply.haslayer(DHCP) or reply[BOOTP].xid != xid:
            continue
        opts = reply[DHCP].options
        if _option(opts, "message-type") != 2:
            continue
        server = _text(_option(opts, "server_id")) or reply[IP].src
        offers[server] = DhcpOffer(
            server_id=server,
            source_ip=reply[IP].src,
            source_mac=reply[Ether].src,
            offered=reply[BOOTP].yiaddr,
            lease_time=_option(opts, "lease_time"),
            router=_text(_option(opts, "router")),
            dns=_text(_option(opts, "name_server")),
            domain=_text(_option(opts, "domain")),
        )
    return list(offers.values())


def collect_adverts(iface: str, timeout: float) -> list[RouterAdvert]:
    """Send one Router Solicitation on `iface`; return every Router Advertisement."""
    from scapy.all import (
        Ether,
        ICMPv6ND_RA,
        ICMPv6ND_RS,
        ICMPv6NDOptPrefixInfo,
        ICMPv6NDOptRDNSS,
        IPv6,
        sendp,
        sniff,
    )

    solicit = Ether(dst="33:33:00:00:00:02") / IPv6(dst="ff02::2", hlim=255) / ICMPv6ND_RS()
    try:
        # started_callback: solicit only once the capture socket is open, so no RA is missed.
        packets = sniff(
            iface=iface,
            lfilter=lambda pkt: pkt.haslayer(ICMPv6ND_RA),  # no BPF: libpcap not needed
            timeout=timeout,
            started_callback=lambda: sendp(solicit, iface=iface, verbose=False),
        )
    except OSError as err:
        raise NetworkError(f"cannot probe on {iface}: {err.strerror or err}") from err
    adverts: dict[str, RouterAdvert] = {}
    for pkt in packets:
        if not pkt.haslayer(ICMPv6ND_RA):
            continue
        ra = pkt[ICMPv6ND_RA]
        prefixes: list[str] = []
        rdnss: list[str] = []
        layer = ra.payload
        while layer is not None and layer.name != "NoPayload":
            if isinstance(layer, ICMPv6NDOptPrefixInfo):
                prefixes.append(f"{layer.prefix}/{layer.prefixlen}")
            elif isinstance(layer, ICMPv6NDOptRDNSS):
                rdnss.extend(str(a) for a in layer.dns)
            layer = layer.payload
        adverts[pkt[IPv6].src] = RouterAdvert(
            source=pkt[IPv6].src,
            source_mac=pkt[Ether].src,
            router_lifetime=int(ra.routerlifetime),
            managed=bool(ra.M),
            other=bool(ra.O),
            prefixes=tuple(prefixes),
            rdnss=tuple(rdnss),
        )
    return list(adverts.values())


def _print(rows: list[Any], title: str, empty: str) -> None:
    data = [asdict(r) for r in rows]
    if not sys.stdout.isatty():
        print(json.dumps(data, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    if not data:
        Console().print(empty)
        return
    table = Table(title=title)
    for key in data[0]:
        table.add_column(key)
    for row in data:
        table.add_row(*(str(v) if v not in (None, (), []) else "-" for v in row.values()))
    Console().print(table)


def dhcp_probe(iface: str, timeout: float) -> None:
    offers = collect_offers(iface, timeout)
    _print(offers, f"DHCP servers on {iface}", f"no DHCP server answered on {iface}")


def ra_probe(iface: str, timeout: float) -> None:
    adverts = collect_adverts(iface, timeout)
    _print(adverts, f"Routers on {iface}", f"no router answered on {iface}")
