"""Grammars for dnsmasq's upstream server options: --server, --local and --rev-server.

Reverse zones follow RFC 1035 §3.5 (in-addr.arpa) and RFC 3596 §2.5 (ip6.arpa). Also the
/domain/ pattern helpers that --address, --ipset and --nftset share (in `dns`). Domain
patterns are lower-cased; "*" wildcards are kept verbatim. Re-exported by `dns`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

from lanctl.config.grammar.basic import is_decimal, parse_ip
from lanctl.config.grammar.dns_records import canonical_name
from lanctl.errors import ConfigError, Where

__all__ = ["ServerSpec", "rev_server", "server_spec"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DNS_PORT: Final = 53
_HOSTNAME: Final = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?\Z")


def _domain_pattern(raw: str, where: Where) -> str:
    """One /domain/ of --server or --address: "", "*pattern", "." or a name (lower-cased)."""
    value = raw.strip()
    if value in ("", "."):
        return value
    if value.startswith("*"):
        canonical_name(value.lstrip("*"), where, f'bad domain "{value}"')
        return value.lower()
    if value.startswith(".") and len(value) > 1:  # man page: /.example.com/ == /example.com/
        value = value[1:]
    return canonical_name(value, where, f'bad domain "{value}"').lower()


def _split_domains(raw: str, where: Where) -> tuple[tuple[str, ...] | None, str]:
    """ "/d1/d2/rest" -> ((d1, d2), rest); no leading "/" -> (None, raw)."""
    value = raw.strip()
    if not value.startswith("/"):
        return None, value
    *domains, rest = value[1:].split("/")
    if not domains:
        # dnsmasq would resolve "dom" as a host name here; a missing "/" is the likelier mistake.
        raise ConfigError('missing "/" after domain', where)
    return tuple(_domain_pattern(d, where) for d in domains), rest.strip()


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """--server/--local/--rev-server.

    `domains` () means "all names" (a default upstream); "" inside it means unqualified
    names (the // form). `address` None with use_standard False means local-only: never
    forward, answer from local data or NXDOMAIN. A host name is kept as str (resolved at
    start, like dnsmasq). An IPv6 address may carry its %scope.
    """

    domains: tuple[str, ...] = ()
    address: IPAddress | str | None = None
    port: int = DNS_PORT
    interface: str | None = None
    source: IPAddress | None = None
    source_port: int | None = None
    use_standard: bool = False


def _u16(raw: str, where: Where, message: str) -> int:
    value = raw.strip()
    if not all("0" <= c <= "9" for c in value) or (value and int(value) > 0xFFFF):
        raise ConfigError(message, where)
    return int(value) if value else 0


def _server_address(text: str, where: Where, domains: tuple[str, ...]) -> ServerSpec:
    """dnsmasq's parse_server: "addr[%scope][#port][@iface][@source[#port]]", or "#"."""
    if text == "#":
        return ServerSpec(domains, use_standard=True)
    addr_text, at, source_text = text.partition("@")
    source_port: int | None = None
    if at:
        source_text, hash_, sport = source_text.partition("#")
        if hash_:
            source_port = _u16(sport, where, "bad port")
    addr_text, hash_, port_text = addr_text.partition("#")
    port = _u16(port_text, where, "bad port") if hash_ else DNS_PORT
    interface: str | None = None
    if at:
        first, at2, second = source_text.partition("@")
        if at2:
            interface, source_text = first or None, second
    address: IPAddress | str
    try:
        address = ipaddress.ip_address(addr_text)
    except ValueError:
        base, pct, _ = addr_text.partition("%")
        try:
            address = ipaddress.ip_address(base)  # dnsmasq ignores a %scope on IPv4
        except ValueError:
            if pct or not _HOSTNAME.match(addr_text):
                raise ConfigError(f'bad address "{addr_text}"', where) from None
            address = addr_text.lower()
        else:
            if address.version == 6:
                raise ConfigError("bad interface name", where)
    source: IPAddress | None = None
    if at and source_text:
        try:
            source = ipaddress.ip_address(source_text)
        except ValueError:
            if interface is not None:
                raise ConfigError("interface can only be specified once", where) from None
            interface = source_text
    if source is not None and not isinstance(address, str) and source.version != address.version:
        ours, theirs = f"IPv{address.version}", f"IPv{source.version}"
        raise ConfigError(f"cannot use {ours} server address with {theirs} source address", where)
    return ServerSpec(domains, address, port, interface, source, source_port)


def server_spec(raw: str, where: Where) -> ServerSpec:
    """--server/--local: "[/dom/[dom/]][addr[#port]][@iface][@source[#port]]" or "/dom/#"."""
    domains, rest = _split_domains(raw, where)
    doms = domains if domains is not None else ()
    if rest == "":
        return ServerSpec(doms)
    return _server_address(rest, where, doms)


def _reverse_zones(net_addr: IPAddress, length: int) -> tuple[str, ...]:
    """Reverse zones covering addr/length: several when length is not on a label boundary."""
    step = 8 if net_addr.version == 4 else 4
    bits = net_addr.max_prefixlen
    network = ipaddress.ip_network((net_addr, length), strict=False)
    whole = -(-length // step)  # labels needed, rounding up
    labels_value = int(network.network_address) >> (bits - whole * step)
    count = 1 << (whole * step - length)
    zones = []
    for i in range(count):
        value = labels_value + i
        digits = [(value >> (step * k)) & ((1 << step) - 1) for k in range(whole)]
        if net_addr.version == 4:
            zones.append(".".join(str(d) for d in digits) + ".in-addr.arpa")
        else:
            zones.append(".".join(f"{d:x}" for d in digits) + ".ip6.arpa")
    return tuple(zones)


def rev_server(raw: str, where: Where) -> ServerSpec:
    """ "addr[/len][,server spec]": --server for the matching in-addr.arpa/ip6.arpa zones.

    A prefix not on an 8-bit (IPv4) or 4-bit (IPv6) boundary gives several zones, as in
    dnsmasq (1.2.3.0/23 -> 2.2.1 and 3.2.1.in-addr.arpa). As in dnsmasq a non-numeric
    prefix is ignored (the whole address is used). Without a server the zones are local.
    """
    net_text, comma, server = raw.strip().partition(",")
    addr_text, slash, length_text = net_text.strip().partition("/")
    addr = parse_ip(addr_text, where)
    length: int = addr.max_prefixlen
    # dnsmasq: atoi_check() fails on junk (then the whole address is used) but reads "" as 0
    if slash and (is_decimal(length_text.strip()) or length_text.strip() == ""):
        length = int(length_text) if length_text.strip() else 0
    if not 1 <= length <= addr.max_prefixlen:
        raise ConfigError(f"bad IPv{addr.version} prefix length", where)
    zones = _reverse_zones(addr, length)
    if not comma:
        return ServerSpec(zones)
    if server.strip() == "":
        raise ConfigError("bad address", where)
    return _server_address(server.strip(), where, zones)
