"""Checks and rewrites of forwarded replies: --ignore-address, --bogus-nxdomain and --alias.

Checked against dnsmasq 2.90 (a dnsmasq upstream on loopback, dig):
- --ignore-address=<addr>[/len]: a reply whose answer section holds an A/AAAA record in
  the subnet is dropped as if never received; another server may answer, else the query
  times out (SERVFAIL after the deadline here, dnsmasq stays silent).
- --bogus-nxdomain=<addr>[/len]: such a reply becomes NXDOMAIN with no records and AA
  cleared, and is not cached ("config NAME is NXDOMAIN" in the log).
- --alias=<old>|<start>-<end>,<new>[,<mask>]: every answer A record matching (equal under
  the mask, default 255.255.255.255, or inside start..end) is rewritten to
  (addr & ~mask) | (new & mask), the first matching --alias wins; AA is cleared.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, replace

from lanctl.config.model import DnsCfg
from lanctl.dns.reply import AA_BIT, Body
from lanctl.dns.rules import attr
from lanctl.dns.wire import QType

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_ALL: int = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Doctor:
    """One --alias: old address (or range start..end), new address and mask, as integers."""

    start: int
    end: int | None
    new: int
    mask: int

    def apply(self, addr: int) -> int | None:
        if self.end is not None:
            if not self.start <= addr <= self.end:
                return None
        elif addr & self.mask != self.start & self.mask:
            return None
        return (addr & ~self.mask & _ALL) | (self.new & self.mask)


def _nets(values: tuple[object, ...]) -> tuple[IPNetwork, ...]:
    return tuple(v for v in values if isinstance(v, (ipaddress.IPv4Network, ipaddress.IPv6Network)))


def _hits(nets: tuple[IPNetwork, ...], body: Body) -> bool:
    for rec in body.records:
        if rec.section == 0 and rec.rtype in (QType.A, QType.AAAA):
            addr = ipaddress.ip_address(rec.rdata)
            if any(addr in net for net in nets):
                return True
    return False


class ReplyRewrite:
    """The three options for one configuration; `active` when any is given."""

    def __init__(self, cfg: DnsCfg) -> None:
        self.ignore_nets = _nets(cfg.ignore_address)
        self.bogus_nets = _nets(cfg.bogus_nxdomain)
        doctors: list[Doctor] = []
        for spec in cfg.alias:
            old, end = attr(spec, "old_start"), attr(spec, "old_end")
            new, mask = attr(spec, "new"), attr(spec, "mask")
            if not isinstance(old, ipaddress.IPv4Address) or not isinstance(
                new, ipaddress.IPv4Address
            ):
                continue
            doctors.append(
                Doctor(
                    int(old),
                    int(end) if isinstance(end, ipaddress.IPv4Address) else None,
                    int(new),
                    int(mask) if isinstance(mask, ipaddress.IPv4Address) else _ALL,
                )
            )
        self.doctors = tuple(doctors)
        self.active = bool(self.bogus_nets or self.doctors)

    def ignored(self, body: Body) -> bool:
        """--ignore-address: drop this reply (wait for another)."""
        return bool(self.ignore_nets) and _hits(self.ignore_nets, body)

    def bogus(self, body: Body) -> bool:
        """--bogus-nxdomain: the reply is to become NXDOMAIN."""
        return bool(self.bogus_nets) and _hits(self.bogus_nets, body)

    def alias(self, body: Body) -> Body | None:
        """--alias: the body with A records rewritten, or None when nothing matched."""
        if not self.doctors:
            return None
        data: bytearray | None = None
        for i, rec in enumerate(body.records):
            if rec.section != 0 or rec.rtype != QType.A or len(rec.rdata) != 4:
                continue
            addr = int.from_bytes(rec.rdata, "big")
            for doc in self.doctors:
                new = doc.apply(addr)
                if new is not None:
                    if data is None:
                        data = bytearray(body.data)
                    off = body.ttl_offsets[i] + 6  # TTL (4) and RDLENGTH (2), then RDATA
                    packed = new.to_bytes(4, "big")
                    data[off : off + 4] = packed
                    break
        if data is None:
            return None
        return replace(body, flags=body.flags & ~AA_BIT, data=bytes(data))


__all__ = ["Doctor", "ReplyRewrite"]
