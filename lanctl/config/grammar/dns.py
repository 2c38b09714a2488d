"""Grammars for dnsmasq's DNS routing options: upstream servers, local domains, domain lists.

--address, --rebind-domain-ok, --ipset, --nftset, --alias and --domain. The upstream
server options (--server/--local/--rev-server) live in `dns_server`, the record options in
`dns_records` and `dns_synth`, the EDNS/DNSSEC/auth-zone/connmark ones in `dns_auth`; all
are re-exported here. Domain patterns are lower-cased; "*" wildcards are kept verbatim.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

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
    HostRecord,
    MxHost,
    NaptrRecord,
    PtrRecord,
    SrvHost,
    TxtRecord,
    caa_record,
    canonical_name,
    cname_spec,
    dns_rr,
    host_record,
    mx_host,
    mx_target,
    naptr_record,
    ptr_record,
    srv_host,
    txt_record,
)
from lanctl.config.grammar.dns_server import (
    ServerSpec,
    _domain_pattern,
    _split_domains,
    rev_server,
    server_spec,
)
from lanctl.config.grammar.dns_synth import (
    DynamicHost,
    InterfaceName,
    SynthDomain,
    dynamic_host,
    interface_name,
    synth_domain,
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
