"""--synth-domain names and --interface-name addresses, as dnsmasq 2.90 answers them.

--synth-domain=<domain>,<range>[,<prefix>[*]]: a name "<prefix><address>.<domain>" (dots or
colons of the address written as dashes; an IPv6 text starting with "-" gets a "0" in front
when there is no prefix) or, with "*", "<prefix><n>.<domain>" for the n-th address from the
start (decimal), answers A or AAAA for an address inside the range, and the reverse name of
such an address gets that name as PTR when no other local data names it.  Checked with dig
against dnsmasq: matching is case-insensitive, other types are not local, "internal-05"
reads as 5.
--interface-name=<name>,<interface>[/4|/6]: the interface's addresses (IPv6 link-local ones
left out, as dnsmasq), read with `ip -j addr` at start and on SIGHUP; --dynamic-host=<name>,
[v4],[v6],<interface>: each interface address's prefix with the given host part.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from dataclasses import dataclass

from lanctl.config.model import DnsCfg
from lanctl.dns.qnames import reverse_addr
from lanctl.dns.records import CONFIG, LocalRR
from lanctl.dns.rules import attr
from lanctl.dns.wire import QType, encode_name

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Synth:
    """One --synth-domain: lowercase dotted domain, address range as integers."""

    domain: bytes
    version: int
    start: int
    end: int
    prefix: str  # as configured (lowercased for matching)
    star: bool

    def forward(self, name: bytes) -> bytes | None:
        """The packed address that dotted lowercase `name` stands for, or None."""
        if not name.endswith(b"." + self.domain):
            return None
        label = name[: -len(self.domain) - 1].decode("ascii", "replace")
        prefix = self.prefix.lower()
        if "." in label or not label.startswith(prefix):
            return None
        rest = label[len(prefix) :]
        value: int
        if self.star:
            if not rest or not rest.isascii() or not rest.isdigit():
                return None
            value = self.start + int(rest)
        else:
            try:
                if self.version == 4:
                    value = int(ipaddress.IPv4Address(rest.replace("-", ".")))
                else:
                    value = int(ipaddress.IPv6Address(rest.replace("-", ":")))
            except ValueError:
                return None
        if not self.start <= value <= self.end:
            return None
        return value.to_bytes(4 if self.version == 4 else 16, "big")

    def reverse(self, addr: bytes) -> str | None:
        """The synthesised name (dotted text) of packed `addr`, or None outside the range."""
        if len(addr) != (4 if self.version == 4 else 16):
            return None
        value = int.from_bytes(addr, "big")
        if not self.start <= value <= self.end:
            return None
        if self.star:
            label = f"{self.prefix}{value - self.start}"
        else:
            text = str(ipaddress.ip_address(addr)).replace(".", "-").replace(":", "-")
            if not self.prefix and text.startswith("-"):
                text = "0" + text
            label = self.prefix + text
        return f"{label}.{self.domain.decode()}"


def build_synth(cfg: DnsCfg) -> tuple[Synth, ...]:
    out: list[Synth] = []
    for spec in cfg.synth_domain:
        start = attr(spec, "start")
        end = attr(spec, "end")
        if not isinstance(start, IPAddr) or not isinstance(end, IPAddr):
            continue
        domain = str(attr(spec, "domain")).lower().strip(".").encode()
        prefix = attr(spec, "prefix")
        star = bool(attr(spec, "star"))
        out.append(Synth(domain, start.version, int(start), int(end), str(prefix or ""), star))
    return tuple(out)


def synth_rrs(
    synths: tuple[Synth, ...], qname: bytes, name: bytes | None, qtype: int, ttl: int
) -> list[LocalRR]:
    """--synth-domain answers: A/AAAA of a synthesised name, PTR of an address in a range
    (the first --synth-domain that holds it)."""
    out: list[LocalRR] = []
    if name is not None and qtype in (QType.A, QType.AAAA, QType.ANY):
        for s in synths:
            packed = s.forward(name)
            rtype = QType.A if packed is not None and len(packed) == 4 else QType.AAAA
            if packed is not None and qtype in (rtype, QType.ANY):
                text = str(ipaddress.ip_address(packed))
                out.append(LocalRR(rtype, ttl, packed, CONFIG, text))
    addr = reverse_addr(qname) if qtype in (QType.PTR, QType.ANY) else None
    if addr is not None:
        for s in synths:
            target = s.reverse(addr)
            if target is not None:
                return [LocalRR(QType.PTR, ttl, encode_name(target), CONFIG, target)]
    return out


def interface_addresses() -> dict[str, list[tuple[bytes, int]]]:
    """(packed address, prefix length) of every interface (`ip -j addr`), IPv6 link-local
    ones left out; {} when `ip` is unavailable."""
    try:
        proc = subprocess.run(
            ["ip", "-j", "addr", "show"], capture_output=True, check=True, timeout=10
        )
        links = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return {}
    out: dict[str, list[tuple[bytes, int]]] = {}
    for link in links if isinstance(links, list) else ():
        name = str(link.get("ifname", ""))
        for info in link.get("addr_info", ()):
            try:
                addr = ipaddress.ip_address(str(info.get("local", "")))
            except ValueError:
                continue
            if addr.version == 6 and addr.is_link_local:
                continue
            plen = info.get("prefixlen")
            length = plen if isinstance(plen, int) else addr.max_prefixlen
            out.setdefault(name, []).append((addr.packed, length))
    return out


def interface_rows(cfg: DnsCfg) -> list[tuple[str, bytes]]:
    """(name, packed address) for every --interface-name, in config order."""
    if not cfg.interface_name and not cfg.dynamic_host:
        return []
    addrs = interface_addresses()
    rows: list[tuple[str, bytes]] = []
    for spec in cfg.interface_name:
        name = str(attr(spec, "name")).lower().strip(".")
        family = attr(spec, "family")
        for packed, _ in addrs.get(str(attr(spec, "interface")), ()):
            if family is None or (family == 4) == (len(packed) == 4):
                rows.append((name, packed))
    for dyn in cfg.dynamic_host:  # --dynamic-host: the interface's prefix, the host part
        name = str(attr(dyn, "name")).lower().strip(".")
        for host in (attr(dyn, "ipv4"), attr(dyn, "ipv6")):
            if not isinstance(host, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
                continue
            bits = host.max_prefixlen
            for packed, length in addrs.get(str(attr(dyn, "interface")), ()):
                if len(packed) * 8 == bits:
                    mask = ((1 << bits) - 1) ^ ((1 << (bits - length)) - 1)
                    value = (int.from_bytes(packed, "big") & mask) | (int(host) & ~mask)
                    rows.append((name, value.to_bytes(bits // 8, "big")))
    return rows


__all__ = ["Synth", "build_synth", "interface_addresses", "interface_rows", "synth_rrs"]
