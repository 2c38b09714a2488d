"""Cross-option checks: the mistakes that take LANs down, with both positions named.

dnsmasq itself refuses only one of these (the same address in two `dhcp-host` lines);
the others it starts with.  lanctl keeps that split so that every configuration dnsmasq
accepts still loads: refusals are `ConfigError`s, the rest are warnings carrying both
file:line positions.  A `tftp-root` that does not exist stops dnsmasq at start-up (unless
`tftp-no-fail`), so it is an error here too, but only when TFTP is enabled.
"""

from __future__ import annotations

import os
from ipaddress import IPv4Address, IPv4Network

from lanctl.config import grammar as g
from lanctl.config.model import Config
from lanctl.config.values import Parsed, Values
from lanctl.errors import ConfigError


def _v4_range_network(rng: g.Dhcp4Range) -> IPv4Network:
    """The subnet a v4 range serves: its netmask if given, else the /24 around start/end."""
    if rng.netmask is not None:
        return IPv4Network(f"{rng.start}/{rng.netmask}", strict=False)
    net = IPv4Network(f"{rng.start}/24", strict=False)
    while rng.end is not None and rng.end not in net and net.prefixlen > 8:
        net = net.supernet()
    return net


def _dhcp_host_addresses(values: Values) -> list[str]:
    errors_seen: dict[IPv4Address, Parsed] = {}
    macs_seen: dict[tuple[int | None, bytes], Parsed] = {}
    warnings: list[str] = []
    for parsed in values.occurrences("dhcp-host"):
        host = parsed.value
        assert isinstance(host, g.DhcpHost)
        if host.ipv4 is not None:
            first = errors_seen.get(host.ipv4)
            if first is not None:
                raise ConfigError(
                    f"duplicate dhcp-host IP address {host.ipv4} (also at {first.where})",
                    parsed.where,
                )
            errors_seen[host.ipv4] = parsed
        for mac in host.macs:
            if any(mac.wildcard_mask):
                continue  # wildcards legitimately overlap other reservations
            key = (mac.hwtype, bytes(mac.octets))
            first = macs_seen.get(key)
            if first is not None and not host.match_tags:
                text = ":".join(f"{b:02x}" for b in mac.octets)
                warnings.append(
                    f"warning: MAC {text} is reserved twice: at {first.where} and at "
                    f"{parsed.where}; only the first reservation is used"
                )
            macs_seen.setdefault(key, parsed)
    return warnings


def _overlapping_ranges(values: Values) -> list[str]:
    warnings: list[str] = []
    spans: list[tuple[int, int, Parsed]] = []
    for parsed in values.occurrences("dhcp-range"):
        rng = parsed.value
        if not isinstance(rng, g.Dhcp4Range) or rng.mode != "dynamic" or rng.end is None:
            continue
        lo, hi = int(rng.start), int(rng.end)
        for other_lo, other_hi, other in spans:
            if lo <= other_hi and other_lo <= hi:
                warnings.append(
                    f"warning: dhcp-range at {parsed.where} overlaps dhcp-range at {other.where}"
                )
        spans.append((lo, hi, parsed))
    return warnings


def _hosts_outside_ranges(values: Values) -> list[str]:
    nets = [
        _v4_range_network(p.value)
        for p in values.occurrences("dhcp-range")
        if isinstance(p.value, g.Dhcp4Range)
    ]
    if not nets:
        return []
    warnings: list[str] = []
    for parsed in values.occurrences("dhcp-host"):
        host = parsed.value
        assert isinstance(host, g.DhcpHost)
        if host.ipv4 is not None and not any(host.ipv4 in net for net in nets):
            warnings.append(
                f"warning: dhcp-host address {host.ipv4} at {parsed.where} is outside every "
                "dhcp-range subnet; that reservation can never be used"
            )
    return warnings


def _tftp_roots(values: Values, cfg: Config) -> list[str]:
    if not cfg.tftp.enabled:
        return []
    warnings: list[str] = []
    for parsed in values.occurrences("tftp-root"):
        root = parsed.value
        assert isinstance(root, g.TftpRoot)
        if os.path.isdir(root.path):
            continue
        message = f"TFTP directory {root.path} inaccessible"
        if values.has("tftp-no-fail"):
            warnings.append(f"warning: {message} at {parsed.where} (tftp-no-fail)")
        else:
            raise ConfigError(message, parsed.where)
    return warnings


def _cname_loops(values: Values) -> None:
    """dnsmasq refuses a --cname whose targets lead back to one of its names."""
    targets: dict[str, str] = {}
    for parsed in values.occurrences("cname"):
        spec = parsed.value
        assert isinstance(spec, g.Cname)
        for alias in spec.aliases:
            targets[alias.lower()] = spec.target.lower()
        for alias in spec.aliases:
            cur, seen = alias.lower(), set()
            while cur in targets and cur not in seen:
                seen.add(cur)
                cur = targets[cur]
                if cur == alias.lower():
                    raise ConfigError(f"CNAME loop involving {alias}", parsed.where)


def _fqdn_needs_domain(values: Values) -> None:
    """dnsmasq refuses --dhcp-fqdn without a --domain that has no address range (exit 1)."""
    if not values.has("dhcp-fqdn"):
        return
    for parsed in values.occurrences("domain"):
        spec = parsed.value
        if (
            isinstance(spec, g.DomainSpec)
            and spec.network is None
            and spec.start is None
            and spec.interface is None
        ):
            return
    raise ConfigError("there must be a default domain when --dhcp-fqdn is set")


def run_checks(values: Values, cfg: Config) -> list[str]:
    """Raise for what dnsmasq refuses; return warnings for what it would start with."""
    _cname_loops(values)
    _fqdn_needs_domain(values)
    warnings = _dhcp_host_addresses(values)
    warnings += _overlapping_ranges(values)
    warnings += _hosts_outside_ranges(values)
    warnings += _tftp_roots(values, cfg)
    return warnings
