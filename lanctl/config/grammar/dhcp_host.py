"""--dhcp-host values (also the lines of --dhcp-hostsfile): per-client DHCP settings.

`[<hwaddr>...][,id:<client-id>|id:*][,set:<t>...][,tag:<t>...][,<ipv4>][,[<ipv6>[/n]]...]
[,<hostname>][,<lease>|infinite][,ignore]`, fields in any order.  A field with a colon is
a hardware address (several allowed, wildcards, `06-` ARP type prefix); `id:` takes hex
("01:02:03") or text; IPv6 addresses are bracketed and may be host parts ("[::56]") or
prefixes ("[1234::50/126]").  Host names follow dnsmasq's legal_hostname rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Interface
from typing import Final

from lanctl.config.grammar.fields import INFINITE, dequote, parse_hex, split_fields
from lanctl.config.grammar.hwaddr import MacPattern, parse_mac
from lanctl.config.grammar.tags import TagRef, split_tags
from lanctl.errors import ConfigError, Where

__all__ = ["DhcpHost", "dhcp_host", "valid_hostname"]

MIN_LEASE: Final = 120
_SUFFIX: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_MAX_NAME: Final = 255
_MAX_LABEL: Final = 63


@dataclass(frozen=True, slots=True)
class DhcpHost:
    """One --dhcp-host line.  `lease` None means "the range's lease time"."""

    macs: tuple[MacPattern, ...] = ()
    client_id: bytes | None = None
    client_id_any: bool = False
    hostname: str | None = None
    ipv4: IPv4Address | None = None
    ipv6: tuple[IPv6Interface, ...] = ()
    lease: int | None = None
    ignore: bool = False
    set_tags: tuple[str, ...] = ()
    match_tags: tuple[TagRef, ...] = ()


def valid_hostname(name: str) -> bool:
    """dnsmasq's rule: the first label is letters/digits, then also '-' and '_' allowed."""
    if not name or len(name) > _MAX_NAME or not name.isprintable() or not name.isascii():
        return False
    labels = name.split(".")
    if any(len(label) > _MAX_LABEL for label in labels):
        return False
    first = labels[0]
    if not first:
        return True
    if not first[0].isalnum():
        return False
    return all(ch.isalnum() or ch in "-_" for ch in first)


def _lease(text: str) -> int | None:
    """Digits with an optional unit; None when the field is not a number (a host name)."""
    digits = text
    factor = 1
    if len(text) > 1 and text[-1].lower() in _SUFFIX:
        factor = _SUFFIX[text[-1].lower()]
        digits = text[:-1]
    if not digits.isascii() or not digits.isdigit():
        return None
    return min(max(int(digits) * factor, MIN_LEASE), INFINITE)


def _ipv6(text: str, where: Where) -> IPv6Interface:
    inner = text[1:-1]
    addr, slash, prefix = inner.partition("/")
    if slash and prefix and not (prefix.isascii() and prefix.isdigit() and int(prefix) <= 128):
        raise ConfigError("bad IPv6 prefix", where)
    try:
        return IPv6Interface(f"{addr}/{prefix or 128}")
    except ValueError:
        raise ConfigError("bad IPv6 address", where) from None


def _client_id(text: str, where: Where) -> bytes:
    if ":" in text:
        return parse_hex(text, where)[0]
    return dequote(text).encode()


def dhcp_host(raw: str, where: Where) -> DhcpHost:
    """Parse one --dhcp-host (or dhcp-hostsfile line)."""
    sets, matches, rest = split_tags(split_fields(raw, where), net_sets=True)
    macs: list[MacPattern] = []
    ipv6: list[IPv6Interface] = []
    client_id: bytes | None = None
    client_id_any = False
    hostname: str | None = None
    ipv4: IPv4Address | None = None
    lease: int | None = None
    ignore = False
    for item in rest:
        if not item:
            continue
        if item.lower().startswith("id:"):
            if item[3:] == "*":
                client_id_any = True
            else:
                client_id = _client_id(item[3:], where)
        elif item.startswith("[") and item.endswith("]") and ":" in item:
            ipv6.append(_ipv6(item, where))
        elif ":" in item:
            macs.append(parse_mac(item, where))
        elif item == "infinite":
            lease = INFINITE
        elif item == "ignore":
            ignore = True
        elif (seconds := _lease(item)) is not None:
            lease = seconds
        else:
            try:
                ipv4 = IPv4Address(item)
                continue
            except ValueError:
                pass
            name = dequote(item).removesuffix(".")
            if not valid_hostname(name):
                raise ConfigError("bad DHCP host name", where)
            hostname = name
    return DhcpHost(
        macs=tuple(macs),
        client_id=client_id,
        client_id_any=client_id_any,
        hostname=hostname,
        ipv4=ipv4,
        ipv6=tuple(ipv6),
        lease=lease,
        ignore=ignore,
        set_tags=sets,
        match_tags=matches,
    )
