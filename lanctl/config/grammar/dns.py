"""Grammars for dnsmasq's DNS routing options: upstream servers, local domains, domain lists.

--server/--local, --rev-server (RFC 1035 §3.5 in-addr.arpa, RFC 3596 §2.5 ip6.arpa),
--address, --rebind-domain-ok, --ipset, --nftset, --alias and --domain. The record options
live in `dns_records`, the EDNS/DNSSEC/auth-zone/connmark ones in `dns_auth`; both are
re-exported here. Domain patterns are lower-cased; "*" wildcards are kept verbatim.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Final

from lanctl.config.grammar.basic import ip_or_none, is_decimal, parse_ip
from lanctl.config.grammar.dns_auth import (
    AddSubnet,
    AuthServer,
    AuthSoa,
    AuthZone,
    ConnmarkAllowlist,
    TrustAnchor,
    Umbrella,
    add_subnet,
    auth_server,
    auth_soa,
    auth_zone,
    connmark_allowlist,
    connmark_mask,
    trust_anchor,
    umbrella,
)
from lanctl.config.grammar.dns_records import (
    CaaRecord,
    Cname,
    DnsRR,
    DynamicHost,
    HostRecord,
    InterfaceName,
    MxHost,
    NaptrRecord,
    PtrRecord,
    SrvHost,
    SynthDomain,
    TxtRecord,
    caa_record,
    canonical_name,
    cname_spec,
    dns_rr,
    dynamic_host,
    host_record,
    interface_name,
    mx_host,
    mx_target,
    naptr_record,
    ptr_record,
    srv_host,
    synth_domain,
    txt_record,
)
from lanctl.errors import ConfigError, Where

__all__ = [  # listed in full so that type checkers see the re-exports
    "AddSubnet",
    "AddressSpec",
    "Alias",
    "AuthServer",
    "AuthSoa",
    "AuthZone",
    "CaaRecord",
    "Cname",
    "ConnmarkAllowlist",
    "DnsRR",
    "DomainSets",
    "DomainSpec",
    "DynamicHost",
    "HostRecord",
    "InterfaceName",
    "MxHost",
    "NaptrRecord",
    "PtrRecord",
    "ServerSpec",
    "SrvHost",
    "SynthDomain",
    "TrustAnchor",
    "TxtRecord",
    "Umbrella",
    "add_subnet",
    "address_spec",
    "alias_spec",
    "auth_server",
    "auth_soa",
    "auth_zone",
    "caa_record",
    "canonical_name",
    "cname_spec",
    "connmark_allowlist",
    "connmark_mask",
    "dns_rr",
    "domain_list",
    "domain_spec",
    "dynamic_host",
    "host_record",
    "interface_name",
    "ipset_spec",
    "mx_host",
    "mx_target",
    "naptr_record",
    "nftset_spec",
    "ptr_record",
    "rev_server",
    "server_spec",
    "srv_host",
    "synth_domain",
    "trust_anchor",
    "txt_record",
    "umbrella",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

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


@dataclass(frozen=True, slots=True)
class AddressSpec:
    """--address: `domains` () means every name (/#/ or no domain), "" unqualified names.

    address None and null False: NXDOMAIN (like --local); null True: 0.0.0.0 and ::.
    """

    domains: tuple[str, ...]
    address: IPAddress | None = None
    null: bool = False


def address_spec(raw: str, where: Where) -> AddressSpec:
    """ "/dom/[dom/]addr", "/dom/" (NXDOMAIN), "/dom/#" (null addresses), "/#/addr"."""
    domains, rest = _split_domains(raw, where)
    doms = () if domains is None or "#" in domains else domains
    if rest == "":
        return AddressSpec(doms)
    if rest == "#":
        return AddressSpec(doms, None, True)
    addr = ip_or_none(rest)
    if addr is None:
        raise ConfigError("Bad address in --address", where)
    return AddressSpec(doms, addr)


def domain_list(raw: str, where: Where) -> tuple[str, ...]:
    """--rebind-domain-ok: "/a/b/" or a bare "a"; empty items are skipped."""
    value = raw.strip().strip("/")
    return tuple(_domain_pattern(d, where) for d in value.split("/") if d.strip())


@dataclass(frozen=True, slots=True)
class DomainSets:
    """--ipset/--nftset: add addresses resolved for `domains` ("" = all) to `sets`.

    nftset entries are kept as written: "[4#|6#][family#]table#set".
    """

    domains: tuple[str, ...]
    sets: tuple[str, ...]


def _domain_sets(raw: str, where: Where) -> DomainSets:
    value = raw.strip()
    domains: tuple[str, ...] = ("",)
    if value.startswith("/"):
        *parts, value = value[1:].split("/")
        if not parts:
            raise ConfigError('missing "/" after domain', where)
        domains = tuple(
            "" if p.strip().lstrip(".") in ("", "#") else _domain_pattern(p.lstrip("."), where)
            for p in parts
        )
    # dnsmasq keeps empty names (they fail when used); lanctl drops them. nftset specs are
    # handed to nft verbatim, so only nft can tell whether "[4#|6#][family#]table#set" fits.
    sets = tuple(s.strip() for s in value.split(",") if s.strip())
    if not sets:
        raise ConfigError("missing set name", where)
    return DomainSets(domains, sets)


def ipset_spec(raw: str, where: Where) -> DomainSets:
    """ "/dom/[dom/]set[,set...]"."""
    return _domain_sets(raw, where)


def nftset_spec(raw: str, where: Where) -> DomainSets:
    """ "/dom/[dom/][4#|6#][family#]table#set[,...]"."""
    return _domain_sets(raw, where)


@dataclass(frozen=True, slots=True)
class Alias:
    """--alias: rewrite IPv4 answers in old_start..old_end (or matching under mask)."""

    old_start: ipaddress.IPv4Address
    old_end: ipaddress.IPv4Address | None
    new: ipaddress.IPv4Address
    mask: ipaddress.IPv4Address | None = None


def _ipv4(raw: str, where: Where, message: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(raw.strip())
    except ValueError:
        raise ConfigError(message, where) from None


def alias_spec(raw: str, where: Where) -> Alias:
    """ "old,new[,mask]" or "start-end,new[,mask]"."""
    items = [i.strip() for i in raw.split(",", 2)]
    if len(items) < 2:
        raise ConfigError("missing address in alias", where)
    old_text, dash, end_text = items[0].partition("-")
    old = _ipv4(old_text, where, "missing address in alias")
    new = _ipv4(items[1], where, "missing address in alias")
    mask = _ipv4(items[2], where, "missing address in alias") if len(items) > 2 else None
    end: ipaddress.IPv4Address | None = None
    if dash:
        end = _ipv4(end_text, where, "invalid alias range")
        m = int(mask) if mask is not None else 0xFFFFFFFF
        if int(old) & m != int(end) & m or old > end:
            raise ConfigError("invalid alias range", where)
    return Alias(old, end, new, mask)


@dataclass(frozen=True, slots=True)
class DomainSpec:
    """-s/--domain: the DHCP/DNS domain, for all clients or those in a range or interface.

    domain "#" means "the first search directive of resolv.conf". `local` adds --local
    for the domain and the reverse zones of `network`.
    """

    domain: str
    network: IPNetwork | None = None
    start: IPAddress | None = None
    end: IPAddress | None = None
    local: bool = False
    interface: str | None = None


def domain_spec(raw: str, where: Where) -> DomainSpec:
    """ "domain", "domain,addr[,addr]", "domain,net/len[,local]" or "domain,interface"."""
    value = raw.strip()
    if value == "#":
        return DomainSpec("#")
    items = [i.strip() for i in value.split(",")]
    domain = canonical_name(items[0], where, f'bad domain "{items[0]}"')
    if len(items) == 1:
        return DomainSpec(domain)
    if "/" in items[1]:
        addr_text, _, length = items[1].partition("/")
        addr = parse_ip(addr_text, where)
        if not is_decimal(length) or int(length) > addr.max_prefixlen:
            raise ConfigError("bad prefix length", where)
        if len(items) > 3 or (len(items) == 3 and items[2] != "local"):
            raise ConfigError(f'bad domain flag "{items[-1]}" (expected local)', where)
        network = ipaddress.ip_network((addr, int(length)), strict=False)
        return DomainSpec(domain, network, local=len(items) == 3)
    start = ip_or_none(items[1])
    if start is None:
        return DomainSpec(domain, interface=items[1])  # dnsmasq ignores anything after it
    end = parse_ip(items[2], where) if len(items) > 2 else start
    if end.version != start.version:
        raise ConfigError("bad domain range", where)
    return DomainSpec(domain, start=start, end=end)
