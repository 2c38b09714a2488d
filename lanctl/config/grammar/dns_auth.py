"""Grammars for dnsmasq's EDNS, DNSSEC, authoritative-zone and connmark options.

--add-subnet (RFC 7871 client subnet), --umbrella, --trust-anchor (RFC 4034 §5 DS),
--auth-zone, --auth-soa, --auth-server (dnsmasq's authoritative mode), and
--connmark-allowlist / --connmark-allowlist-enable. Re-exported by `dns`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

from lanctl.config.grammar.basic import ip_or_none, is_decimal, parse_ip, uint
from lanctl.config.grammar.dns_records import canonical_name, parse_hex_bytes
from lanctl.config.grammar.dns_synth import _iface_family
from lanctl.errors import ConfigError, Where

__all__ = [
    "AddSubnet",
    "AuthServer",
    "AuthSoa",
    "AuthZone",
    "ConnmarkAllowlist",
    "TrustAnchor",
    "Umbrella",
    "add_subnet",
    "auth_server",
    "auth_soa",
    "auth_zone",
    "connmark_allowlist",
    "connmark_mask",
    "trust_anchor",
    "umbrella",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_HOSTNAME: Final = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?\Z")


@dataclass(frozen=True, slots=True)
class AddSubnet:
    """--add-subnet (RFC 7871 ECS): a fixed address or the client's, and prefix lengths."""

    v4_addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    v4_len: int = 0
    v6_addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    v6_len: int = 0


def _subnet_part(raw: str, where: Where) -> tuple[IPAddress | None, int]:
    addr_text, slash, length = raw.strip().partition("/")
    if not slash:
        addr_text, length = "", addr_text
    if not all("0" <= c <= "9" for c in length):
        raise ConfigError(f'bad prefix length "{length}"', where)
    addr = parse_ip(addr_text, where) if slash else None
    return addr, int(length) if length else 0


def add_subnet(raw: str, where: Where) -> AddSubnet:
    """ "[[addr/]len4][,[addr/]len6]"; "" -> the man page default, /0 for both.

    dnsmasq stores any number as the length; lanctl clamps it to 32/128 when sending.
    """
    if raw.strip() == "":
        return AddSubnet()
    first, comma, second = raw.partition(",")
    a4, l4 = _subnet_part(first, where)
    a6, l6 = _subnet_part(second, where) if comma else (None, 0)
    return AddSubnet(a4, l4, a6, l6)


@dataclass(frozen=True, slots=True)
class Umbrella:
    """--umbrella: Cisco Umbrella EDNS identifiers."""

    deviceid: bytes | None = None
    orgid: int | None = None
    assetid: int | None = None


def umbrella(raw: str, where: Where) -> Umbrella:
    """ "[deviceid:<16 hex>][,orgid:<n>][,assetid:<n>]"; "" (the bare flag) -> no ids."""
    if raw.strip() == "":
        return Umbrella()
    device: bytes | None = None
    org: int | None = None
    asset: int | None = None
    for item in (i.strip() for i in raw.split(",")):
        key, _, val = item.partition(":")
        if key == "deviceid" and len(val) == 16 and all(c in "0123456789abcdefABCDEF" for c in val):
            device = bytes.fromhex(val)
        elif key in ("orgid", "assetid") and is_decimal(val) and int(val) <= 0xFFFFFFFF:
            if key == "orgid":
                org = int(val)
            else:
                asset = int(val)
        else:
            raise ConfigError(f'bad umbrella item "{item}"', where)
    return Umbrella(device, org, asset)


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """--trust-anchor: a DS record (RFC 4034 §5) acting as trust anchor."""

    klass: str
    domain: str
    key_tag: int
    algorithm: int
    digest_type: int
    digest: bytes


_CLASSES: Final = ("IN", "CH", "HS")


def trust_anchor(raw: str, where: Where) -> TrustAnchor:
    """ "domain,[class,]key-tag,algorithm,digest-type,digest".

    The man page writes the class first, but dnsmasq 2.90 reads it as the second field
    and refuses "IN,.,..."; lanctl follows dnsmasq. The digest is hex with optional
    ":" or whitespace.
    """
    items = [i.strip() for i in raw.split(",")]
    klass = "IN"
    if len(items) > 2 and items[1] in _CLASSES:
        klass = items.pop(1)
    if len(items) != 5:
        raise ConfigError("bad trust anchor", where)
    domain_text, tag, alg, dtype, digest_text = items
    if not (is_decimal(tag) and is_decimal(alg) and is_decimal(dtype)):
        raise ConfigError("bad trust anchor", where)
    if int(tag) > 0xFFFF or int(alg) > 0xFF or int(dtype) > 0xFF:
        raise ConfigError("bad trust anchor", where)
    domain = "." if domain_text == "." else canonical_name(domain_text, where, "bad trust anchor")
    digest = parse_hex_bytes(digest_text, where, "bad HEX in trust anchor")
    return TrustAnchor(klass, domain or ".", int(tag), int(alg), int(dtype), digest)


@dataclass(frozen=True, slots=True)
class AuthZone:
    """--auth-zone: subnets (default /24, /64) and interfaces ((name, 4|6|None)) in the zone."""

    domain: str
    subnets: tuple[IPNetwork, ...] = ()
    exclude: tuple[IPNetwork, ...] = ()
    interfaces: tuple[tuple[str, int | None], ...] = ()


def auth_zone(raw: str, where: Where) -> AuthZone:
    """ "domain[,subnet[/len]|interface[/4|/6]...][,exclude:subnet[/len]...]"."""
    items = [i.strip() for i in raw.split(",")]
    domain = canonical_name(items[0], where, "invalid auth-zone")
    subnets: list[IPNetwork] = []
    exclude: list[IPNetwork] = []
    interfaces: list[tuple[str, int | None]] = []
    for item in items[1:]:
        text, slash, length = item.partition("/")
        if slash and length and not is_decimal(length):
            raise ConfigError(f'bad prefix length "{length}"', where)
        is_exclude = text.startswith("exclude:")
        text = text.removeprefix("exclude:")
        addr = ip_or_none(text)
        if addr is None:  # dnsmasq ignores "exclude:" in front of an interface name
            name = item.removeprefix("exclude:")
            interfaces.append(_iface_family(name, where, "bad interface in auth-zone"))
            continue
        # no prefix, "" or 0 mean the default, as in dnsmasq
        bits = (
            int(length) if slash and length and int(length) else (24 if addr.version == 4 else 64)
        )
        if bits > addr.max_prefixlen:
            raise ConfigError(f'bad prefix length "{length}"', where)
        net = ipaddress.ip_network((addr, bits), strict=False)
        (exclude if is_exclude else subnets).append(net)
    return AuthZone(domain, tuple(subnets), tuple(exclude), tuple(interfaces))


SOA_REFRESH: Final = 1200
SOA_RETRY: Final = 180
SOA_EXPIRY: Final = 1209600


@dataclass(frozen=True, slots=True)
class AuthSoa:
    """--auth-soa: SOA fields; hostmaster None means "hostmaster.<auth-server domain>"."""

    serial: int
    hostmaster: str | None = None
    refresh: int = SOA_REFRESH
    retry: int = SOA_RETRY
    expiry: int = SOA_EXPIRY


def auth_soa(raw: str, where: Where) -> AuthSoa:
    """ "serial[,hostmaster[,refresh[,retry[,expiry]]]]"; "@" in hostmaster becomes "."."""
    items = [i.strip() for i in raw.split(",")]
    if len(items) > 5:
        raise ConfigError("bad auth-soa", where)
    serial = uint(items[0], where)
    hostmaster = items[1].replace("@", ".") if len(items) > 1 else None
    nums = [uint(i, where) for i in items[2:]]
    defaults = [SOA_REFRESH, SOA_RETRY, SOA_EXPIRY]
    refresh, retry, expiry = nums + defaults[len(nums) :]
    return AuthSoa(serial, hostmaster, refresh, retry, expiry)


@dataclass(frozen=True, slots=True)
class AuthServer:
    """--auth-server: the glue name and where authoritative queries are accepted."""

    domain: str
    addresses: tuple[IPAddress, ...] = ()
    interfaces: tuple[tuple[str, int | None], ...] = ()


def auth_server(raw: str, where: Where) -> AuthServer:
    """ "domain[,interface[/4|/6]|address...]"."""
    items = [i.strip() for i in raw.split(",")]
    addresses: list[IPAddress] = []
    interfaces: list[tuple[str, int | None]] = []
    for item in items[1:]:
        addr = ip_or_none(item)
        if addr is not None:
            addresses.append(addr)
        else:
            interfaces.append(_iface_family(item, where, "bad auth-server interface"))
    return AuthServer(items[0], tuple(addresses), tuple(interfaces))


@dataclass(frozen=True, slots=True)
class ConnmarkAllowlist:
    """--connmark-allowlist: names allowed for a connection mark; "*" allows all."""

    mark: int
    mask: int | None
    patterns: tuple[str, ...] = ()


def _valid_pattern(pattern: str) -> bool:
    """Man page rules: 2+ labels, <=2 "*" per label, last two literal, TLD not numeric/local."""
    labels = pattern.rstrip(".").split(".")
    if len(labels) < 2 or not all(labels) or any(lab.count("*") > 2 for lab in labels):
        return False
    if any("*" in lab for lab in labels[-2:]):
        return False
    tld = labels[-1].lower()
    return (
        not is_decimal(tld) and tld != "local" and bool(_HOSTNAME.match(pattern.replace("*", "x")))
    )


def _mark(raw: str, where: Where) -> int:
    value = raw.strip()
    if not is_decimal(value) or not 1 <= int(value) <= 0xFFFFFFFF:
        raise ConfigError(f'bad connmark "{value}"', where)
    return int(value)


def connmark_allowlist(raw: str, where: Where) -> ConnmarkAllowlist:
    """ "mark[/mask][,pattern[/pattern...]]"."""
    head, comma, tail = raw.strip().partition(",")
    mark_text, slash, mask_text = head.partition("/")
    mark = _mark(mark_text, where)
    mask = _mark(mask_text, where) if slash else None
    if mask is not None and mark & ~mask:
        raise ConfigError("connmark has bits outside the mask", where)
    patterns = tuple(p.strip() for p in tail.split("/")) if comma else ()
    for p in patterns:
        if p != "*" and not _valid_pattern(p):
            raise ConfigError(f'bad connmark pattern "{p}"', where)
    return ConnmarkAllowlist(mark, mask, patterns)


def connmark_mask(raw: str, where: Where) -> int | None:
    """--connmark-allowlist-enable[=mask]: "" -> None (all bits)."""
    return None if raw.strip() == "" else _mark(raw, where)
