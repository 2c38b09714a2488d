"""Grammars for dnsmasq's local DNS record options (RFC 1035 names, RFC 2782 SRV, ...).

--mx-host, --mx-target, --srv-host, --host-record, --txt-record, --ptr-record,
--naptr-record (RFC 3403), --caa-record (RFC 8659), --cname and --dns-rr (RFC 3597
data); names derived from interfaces and addresses are in `dns_synth`. Names are checked
the way dnsmasq's canonicalise() does (labels of at most 63 characters, no control
characters, a trailing dot dropped, IDN converted to ASCII); an empty name is allowed,
as in dnsmasq.
"""

from __future__ import annotations

import ipaddress
import string
from dataclasses import dataclass
from typing import Final

from lanctl.config.grammar.basic import ip_or_none, is_decimal, split_quoted
from lanctl.errors import ConfigError, Where

__all__ = [
    "CaaRecord",
    "Cname",
    "DnsRR",
    "HostRecord",
    "MxHost",
    "NaptrRecord",
    "PtrRecord",
    "SrvHost",
    "TxtRecord",
    "caa_record",
    "canonical_name",
    "cname_spec",
    "dns_rr",
    "host_record",
    "mx_host",
    "mx_target",
    "naptr_record",
    "ptr_record",
    "srv_host",
    "txt_record",
]

MAXDNAME: Final = 1025  # dnsmasq's buffer for a presentation-format name
MAXLABEL: Final = 63  # RFC 1035 §2.3.4


def canonical_name(raw: str, where: Where, message: str) -> str:
    """A DNS name as dnsmasq's canonicalise() accepts it; "" stays "" (allowed)."""
    value = raw.strip()
    if value == "":
        return ""
    if value.endswith("."):
        value = value[:-1]
    elif value.strip() == "":
        raise ConfigError(message, where)
    if len(value) > MAXDNAME or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(message, where)
    if not value.isascii():
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigError(message, where) from None
    if any(len(label) > MAXLABEL for label in value.split(".")):
        raise ConfigError(message, where)
    return value


def _u16(raw: str, where: Where, message: str) -> int:
    """dnsmasq's atoi_check16: digits only ("" is 0), at most 65535."""
    value = raw.strip()
    if not all("0" <= c <= "9" for c in value) or (value and int(value) > 0xFFFF):
        raise ConfigError(message, where)
    return int(value) if value else 0


def _items(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",")]


@dataclass(frozen=True, slots=True)
class MxHost:
    """--mx-host: an MX record; `target` None means --mx-target or this host."""

    name: str
    target: str | None = None
    preference: int = 1


def mx_host(raw: str, where: Where) -> MxHost:
    """ "name[,target[,preference]]"; preference 0..65535, default 1.

    dnsmasq reads a second field as the target even when it is a number
    ("mx-host=a.example,5" points at a host named "5").
    """
    items = _items(raw)
    if len(items) > 3:
        raise ConfigError("bad MX preference", where)
    preference = _u16(items[2], where, "bad MX preference") if len(items) == 3 else 1
    name = canonical_name(items[0], where, "bad MX name")
    target = canonical_name(items[1], where, "bad MX name") if len(items) > 1 else None
    return MxHost(name, target, preference)


def mx_target(raw: str, where: Where) -> str:
    """--mx-target: the default MX target host name."""
    return canonical_name(raw, where, "bad MX target")


@dataclass(frozen=True, slots=True)
class SrvHost:
    """--srv-host: an SRV record (RFC 2782); `target` None means "no service"."""

    service_name: str
    target: str | None = None
    port: int = 1
    priority: int = 0
    weight: int = 0


def srv_host(raw: str, where: Where) -> SrvHost:
    """ "_service._proto.[domain][,target[,port[,priority[,weight]]]]" (man page defaults)."""
    items = _items(raw)
    if len(items) > 5:
        raise ConfigError("invalid weight", where)
    name = canonical_name(items[0], where, "bad SRV record")
    target = canonical_name(items[1], where, "bad SRV target") if len(items) > 1 else None
    port = _u16(items[2], where, "invalid port number") if len(items) > 2 else 1
    priority = _u16(items[3], where, "invalid priority") if len(items) > 3 else 0
    weight = _u16(items[4], where, "invalid weight") if len(items) > 4 else 0
    return SrvHost(name, target, port, priority, weight)


@dataclass(frozen=True, slots=True)
class HostRecord:
    """--host-record: names with A/AAAA (and PTR for the first name); ttl None: --local-ttl."""

    names: tuple[str, ...]
    ipv4: tuple[ipaddress.IPv4Address, ...] = ()
    ipv6: tuple[ipaddress.IPv6Address, ...] = ()
    ttl: int | None = None


def host_record(raw: str, where: Where) -> HostRecord:
    """ "name[,name...],[ipv4],[ipv6][,ttl]" with items in any order, as dnsmasq reads them.

    Each item is a number (the TTL; the last one wins), an address, or a name. At least
    two items are required. Empty items are ignored.
    """
    items = _items(raw)
    if len(items) < 2:
        raise ConfigError("Bad host-record", where)
    names: list[str] = []
    v4: list[ipaddress.IPv4Address] = []
    v6: list[ipaddress.IPv6Address] = []
    ttl: int | None = None
    for item in items:
        if is_decimal(item):
            ttl = int(item)
            if ttl > 2**31 - 1:
                raise ConfigError(f'bad TTL "{item}"', where)
            continue
        if not item:
            continue
        addr = ip_or_none(item)
        if addr is None:  # dnsmasq: anything that is not a number or an address is a name
            names.append(canonical_name(item, where, "Bad name in host-record"))
        elif isinstance(addr, ipaddress.IPv4Address):
            v4.append(addr)
        else:
            v6.append(addr)
    return HostRecord(tuple(names), tuple(v4), tuple(v6), ttl)


@dataclass(frozen=True, slots=True)
class TxtRecord:
    """--txt-record: a TXT record; each text is one character-string (split at 255 later)."""

    name: str
    texts: tuple[str, ...] = ("",)


def txt_record(raw: str, where: Where) -> TxtRecord:
    """ "name[[,text],text]": commas separate strings; quotes protect commas.

    The reader hands the value over verbatim, so quoting is resolved here with dnsmasq's
    file rules (see `split_quoted`): txt-record=a.example,"x,y",z gives ("x,y", "z").
    Without a text the record holds one empty string, as in dnsmasq. Strings longer than
    255 bytes are kept whole here; the wire encoder cuts them into 255-byte pieces.
    """
    name_text, *texts = split_quoted(raw, where)
    name = canonical_name(name_text, where, "bad TXT record")
    return TxtRecord(name, tuple(texts) if texts else ("",))


@dataclass(frozen=True, slots=True)
class PtrRecord:
    """--ptr-record: `target` None answers the name with no data (NODATA)."""

    name: str
    target: str | None = None


def ptr_record(raw: str, where: Where) -> PtrRecord:
    """ "name[,target]"."""
    name_text, _, target_text = raw.partition(",")
    name = canonical_name(name_text, where, "bad PTR record")
    target = canonical_name(target_text, where, "bad PTR record") if _ else None
    return PtrRecord(name, target)


@dataclass(frozen=True, slots=True)
class NaptrRecord:
    """--naptr-record (RFC 3403)."""

    name: str
    order: int
    preference: int
    flags: str
    service: str
    regexp: str
    replacement: str | None = None


def naptr_record(raw: str, where: Where) -> NaptrRecord:
    """ "name,order,preference,flags,service,regexp[,replacement]"."""
    items = _items(raw)
    if len(items) < 6:
        raise ConfigError("bad NAPTR record", where)
    # dnsmasq splits at most 7 fields; any further commas belong to the replacement.
    head, rest = items[:6], ",".join(items[6:]) if len(items) > 6 else None
    name = canonical_name(head[0], where, "bad NAPTR record")
    order = _u16(head[1], where, "bad NAPTR record")
    preference = _u16(head[2], where, "bad NAPTR record")
    replacement = canonical_name(rest, where, "bad NAPTR record") if rest is not None else None
    return NaptrRecord(name, order, preference, head[3], head[4], head[5], replacement)


@dataclass(frozen=True, slots=True)
class CaaRecord:
    """--caa-record (RFC 8659): flags, tag and value."""

    name: str
    flags: int
    tag: str
    value: str


def caa_record(raw: str, where: Where) -> CaaRecord:
    """ "name,flags,tag,value"; the value may contain commas (dnsmasq does not split it)."""
    items = raw.split(",", 3)
    if len(items) < 4:
        raise ConfigError("bad CAA record", where)
    flags = _u16(items[1], where, "bad CAA record")  # "" is 0, as dnsmasq's atoi_check
    if flags > 0xFF:
        raise ConfigError("bad CAA record", where)
    name = canonical_name(items[0], where, "bad CAA record")
    return CaaRecord(name, flags, items[2].strip(), items[3].strip())


@dataclass(frozen=True, slots=True)
class Cname:
    """--cname: every alias points at `target`; ttl None means --local-ttl."""

    aliases: tuple[str, ...]
    target: str
    ttl: int | None = None


def cname_spec(raw: str, where: Where) -> Cname:
    """ "cname[,cname...],target[,ttl]": a numeric last item is the TTL (if 3+ items)."""
    items = _items(raw)
    if len(items) < 2:
        raise ConfigError("bad CNAME", where)
    ttl: int | None = None
    if len(items) > 2 and is_decimal(items[-1]):
        ttl = int(items.pop())
        if ttl > 2**31 - 1:
            raise ConfigError("bad CNAME", where)
    target = canonical_name(items[-1], where, "bad CNAME")
    aliases = tuple(canonical_name(a, where, "bad CNAME") for a in items[:-1])
    if len({a.lower() for a in aliases}) != len(aliases):
        raise ConfigError("duplicate CNAME", where)
    return Cname(aliases, target, ttl)


@dataclass(frozen=True, slots=True)
class DnsRR:
    """--dns-rr: an arbitrary record of type `rrtype` in class IN, RDATA as given."""

    name: str
    rrtype: int
    data: bytes = b""


def parse_hex_bytes(raw: str, where: Where, message: str) -> bytes:
    """Hex data as "01:23:45", "01 23 45", "012345" or a mix; a lone digit is one byte."""
    out = bytearray()
    for group in raw.replace(":", " ").split():
        if not all(c in string.hexdigits for c in group):
            raise ConfigError(message, where)
        if len(group) % 2:
            group = "0" + group
        out += bytes.fromhex(group)
    return bytes(out)


def dns_rr(raw: str, where: Where) -> DnsRR:
    """ "name,type-number[,hex data]"."""
    items = raw.split(",", 2)
    if len(items) < 2:
        raise ConfigError("bad RR record", where)
    rrtype = _u16(items[1], where, "bad RR record")
    name = canonical_name(items[0], where, "bad RR record")
    data = parse_hex_bytes(items[2], where, "bad RR record") if len(items) > 2 else b""
    return DnsRR(name, rrtype, data)
