"""dnsmasq's lease file (`--dhcp-leasefile`, `--leasefile-ro` script "init" output), pure.

Format (dnsmasq 2.90, checked against files real dnsmasq wrote: tests/data/leases/):
- DHCPv4 lines: `EXPIRY HWADDR ADDRESS HOSTNAME CLIENT-ID`; HWADDR is colon hex, prefixed by
  the hardware type as "hh-" unless it is Ethernet (1) with at least one octet ("20-" alone is
  type 32 with no address); "*" stands for no host name and no client-id; EXPIRY 0 = infinite.
- `duid SERVER-DUID`, written when DHCPv6 runs, then DHCPv6 lines `EXPIRY IAID ADDRESS
  HOSTNAME CLIENT-DUID`, IAID prefixed with "T" for a temporary address (IA_TA).  dnsmasq has
  no prefix delegation: lanctl writes IA_PD leases as `EXPIRY PIAID PREFIX/LEN ...`, lines
  that dnsmasq does not accept.
`parse` never raises: a bad line becomes a `LineWarning` and the other lines still load
(RELIABILITY P5), and `render(parse(text))` gives back any file dnsmasq writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, IPv6Network

from lanctl.store.lease import ETHERNET, Lease4, Lease6, Lease6Kind

_HEX_LIST = re.compile(r"[0-9A-Fa-f]{1,2}(?::[0-9A-Fa-f]{1,2})*")
_HWADDR = re.compile(r"(?:(?P<type>[0-9A-Fa-f]{1,2})-)?(?P<addr>[0-9A-Fa-f:]*)")
_IAID = re.compile(r"(?P<kind>[TP]?)(?P<iaid>[0-9]{1,10})")
_EXPIRY = re.compile(r"[0-9]{1,20}")
_KIND_PREFIX: dict[Lease6Kind, str] = {"na": "", "ta": "T", "pd": "P"}
_PREFIX_KIND: dict[str, Lease6Kind] = {v: k for k, v in _KIND_PREFIX.items()}


@dataclass(frozen=True, slots=True)
class LeaseFile:
    """The content of a lease file: v4 leases, the server DUID, v6 leases, in file order."""

    v4: tuple[Lease4, ...] = ()
    server_duid: bytes | None = None
    v6: tuple[Lease6, ...] = ()


@dataclass(frozen=True, slots=True)
class LineWarning:
    """A lease-file line that was skipped, and why."""

    line: int
    reason: str
    text: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}: {self.text[:120]!r}"


def hex_colon(data: bytes) -> str:
    """Octets as dnsmasq prints them: lowercase two-digit hex joined by colons."""
    return data.hex(":")  # the same text as joining f"{b:02x}", in C (lease-file hot path)


def _parse_hex(text: str) -> bytes:
    if not _HEX_LIST.fullmatch(text):
        raise ValueError(f"{text!r} is not colon-separated hex")
    return bytes(int(part, 16) for part in text.split(":"))


def _parse_optional_hex(text: str) -> bytes | None:
    return None if text == "*" else _parse_hex(text)


def _parse_expiry(text: str) -> int:
    if not _EXPIRY.fullmatch(text):
        raise ValueError(f"expiry {text!r} is not a number of seconds")
    return int(text)


def _parse_hwaddr(text: str) -> tuple[int, bytes]:
    m = _HWADDR.fullmatch(text)
    if m is None or (m["type"] is None and not m["addr"]):
        raise ValueError(f"hardware address {text!r} is not [hh-] and colon-separated hex")
    hwaddr = _parse_hex(m["addr"]) if m["addr"] else b""
    hwtype = int(m["type"], 16) if m["type"] is not None else ETHERNET
    if hwtype == 0 and hwaddr:  # as dnsmasq: type 0 with an address is Ethernet
        hwtype = ETHERNET
    return hwtype, hwaddr


def _address4(text: str) -> IPv4Address:
    try:
        return IPv4Address(text)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an IPv4 address ({exc})") from None


def _address6(text: str, kind: Lease6Kind) -> IPv6Address | IPv6Network:
    try:
        return IPv6Network(text) if kind == "pd" else IPv6Address(text)
    except ValueError as exc:
        what = "an IPv6 prefix" if kind == "pd" else "an IPv6 address"
        raise ValueError(f"{text!r} is not {what} ({exc})") from None


def _hostname(text: str) -> str | None:
    return None if text == "*" else text


def parse_lease4(fields: list[str]) -> Lease4:
    """One v4 line split on whitespace; ValueError when it is not one."""
    expiry, hw, addr, host, clid = fields
    hwtype, hwaddr = _parse_hwaddr(hw)
    return Lease4(
        address=_address4(addr),
        hwaddr=hwaddr,
        hwtype=hwtype,
        client_id=_parse_optional_hex(clid),
        hostname=_hostname(host),
        expires=_parse_expiry(expiry),
    )


def parse_lease6(fields: list[str]) -> Lease6:
    """One v6 line split on whitespace; ValueError when it is not one."""
    expiry, iaid_text, addr, host, duid = fields
    m = _IAID.fullmatch(iaid_text)
    if m is None:
        raise ValueError(f"IAID {iaid_text!r} is not [T|P]number")
    kind = _PREFIX_KIND[m["kind"]]
    return Lease6(
        address=_address6(addr, kind),
        duid=_parse_optional_hex(duid) or b"",
        iaid=int(m["iaid"]),
        kind=kind,
        hostname=_hostname(host),
        expires=_parse_expiry(expiry),
    )


def _is_v6_line(fields: list[str]) -> bool:
    """dnsmasq tells the families apart by the address field; only IPv6 has colons."""
    return ":" in fields[2]


def parse(text: str) -> tuple[LeaseFile, list[LineWarning]]:
    """Parse a whole lease file; bad lines are skipped and reported, never raised."""
    v4: list[Lease4] = []
    v6: list[Lease6] = []
    duid: bytes | None = None
    warnings: list[LineWarning] = []
    for number, line in enumerate(text.split("\n"), start=1):
        fields = line.split()
        if not fields:
            continue
        try:
            if fields[0] == "duid" and len(fields) == 2:
                if duid is not None:
                    raise ValueError("a second duid line")
                duid = _parse_hex(fields[1])
            elif len(fields) != 5:
                raise ValueError(f"{len(fields)} fields where a lease line has 5")
            elif _is_v6_line(fields):
                v6.append(parse_lease6(fields))
            else:
                v4.append(parse_lease4(fields))
        except ValueError as exc:
            warnings.append(LineWarning(number, str(exc), line))
    return LeaseFile(tuple(v4), duid, tuple(v6)), warnings


def render_lease4(lease: Lease4) -> str:
    """One v4 line, without the newline, exactly as dnsmasq writes it.

    On the lease-file writer's path (every new lease): the address is formatted from its
    octets (the same text as str(IPv4Address), in half the time of the pure-Python
    __format__), and hex_colon is inlined.
    """
    hw = lease.hwaddr.hex(":")
    if lease.hwtype != ETHERNET or not lease.hwaddr:
        hw = f"{lease.hwtype:02x}-{hw}"
    clid = lease.client_id.hex(":") if lease.client_id else "*"
    address = "{}.{}.{}.{}".format(*lease.address.packed)
    return f"{lease.expires} {hw} {address} {lease.hostname or '*'} {clid}"


def render_lease6(lease: Lease6) -> str:
    """One v6 line, without the newline (IA_PD in lanctl's `P` form)."""
    duid = hex_colon(lease.duid) if lease.duid else "*"
    iaid = f"{_KIND_PREFIX[lease.kind]}{lease.iaid}"
    return f"{lease.expires} {iaid} {lease.address} {lease.hostname or '*'} {duid}"


def render(leases: LeaseFile) -> str:
    """The whole file: v4 lines, then the duid line and v6 lines, as dnsmasq orders them."""
    lines = [render_lease4(lease) for lease in leases.v4]
    if leases.server_duid:
        lines.append(f"duid {hex_colon(leases.server_duid)}")
    lines.extend(render_lease6(lease) for lease in leases.v6)
    return "".join(f"{line}\n" for line in lines)
