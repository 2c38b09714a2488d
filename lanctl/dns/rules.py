"""--address, --local, --server=/dom/ and --domain rules for local answers, as dnsmasq 2.90.

Rule keys are lowercase wire names: a domain matches itself and its subdomains (whole labels),
"" (`//`) names without a dot, "*pattern" a suffix of the text name, the root ("/#/") every
name.  A rule holds the --address addresses (A and AAAA) and whether it is local-only (no
address: NXDOMAIN/NODATA).  Also dnsmasq's choice of --domain for an address (--expand-hosts
and DHCP lease names) and the reverse zones of --domain=...,local and --rev-server.
`server_wins`: a more specific --server=/dom/ takes a name from an --address/--local rule.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns.upstreams import Routes, labels_of
from lanctl.dns.wire import encode_name, name_text

ROOT: Final = b"\x00"  # rule key: every name ("/#/", no domain)
UNQUALIFIED: Final = b""  # rule key: names without a dot ("//")
WILD: Final = b"*"  # rule key prefix: "*pattern" suffix match on the text name


@dataclass(frozen=True, slots=True)
class DomainRule:
    """--address/--local rule for one domain and its subdomains."""

    v4: tuple[bytes, ...] = ()
    v6: tuple[bytes, ...] = ()
    local: bool = False  # no address given: NXDOMAIN / NODATA for what has no address


def attr(obj: object, name: str, default: object = None) -> object:
    return getattr(obj, name, default)


def _domain_keys(domains: object) -> list[bytes]:
    """Rule keys for a spec's domains: () is every name, "" unqualified names, "*x" a
    wildcard, anything else a domain and its subdomains (whole labels)."""
    doms = tuple(domains) if isinstance(domains, (tuple, list)) else ()
    if not doms:
        return [ROOT]
    keys: list[bytes] = []
    for dom in doms:
        text = str(dom).strip().lower()
        if text == "":
            keys.append(UNQUALIFIED)
        elif text.startswith("*"):
            keys.append(WILD + text[1:].encode())
        elif text in (".", "#"):
            keys.append(ROOT)
        else:
            keys.append(encode_name(text.strip(".")))
    return keys


def expand_domain(packed: bytes, domains: Sequence[object]) -> str | None:
    """dnsmasq's domain for an address: the first --domain whose range holds it, else the
    first --domain without a range."""
    default: str | None = None
    addr = ipaddress.ip_address(packed)
    for spec in domains:
        name = str(attr(spec, "domain", spec)).strip(".")
        if not name or name == "#":
            continue
        net = attr(spec, "network")
        start, end = attr(spec, "start"), attr(spec, "end")
        if net is None and start is None and attr(spec, "interface") is None:
            default = default or name
            continue
        try:
            if net is not None and addr in ipaddress.ip_network(str(net), strict=False):
                return name
            if start is not None and end is not None:
                lo, hi = ipaddress.ip_address(str(start)), ipaddress.ip_address(str(end))
                if lo.version == addr.version and lo <= addr <= hi:  # type: ignore[operator]
                    return name
        except ValueError:
            continue
    return default


def seq(value: object) -> tuple[object, ...]:
    if value is None:
        return ()
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


def build_rules(cfg: DnsCfg, messages: list[str]) -> dict[bytes, DomainRule]:
    v4: dict[bytes, list[bytes]] = {}
    v6: dict[bytes, list[bytes]] = {}
    local: set[bytes] = set()
    order: list[bytes] = []
    for spec in cfg.address:
        addr = attr(spec, "address")
        null = bool(attr(spec, "null", False)) or str(addr) == "#"
        for key in _domain_keys(attr(spec, "domains", ())):
            order.append(key)
            if null:
                v4.setdefault(key, []).append(bytes(4))
                v6.setdefault(key, []).append(bytes(16))
            elif addr is None:
                local.add(key)
            else:
                packed = ipaddress.ip_address(str(addr)).packed
                (v4 if len(packed) == 4 else v6).setdefault(key, []).append(packed)
    for spec in cfg.server:
        if is_upstream(spec) or not seq(attr(spec, "domains")):
            continue
        for key in _domain_keys(attr(spec, "domains", ())):
            order.append(key)
            local.add(key)
    for spec in cfg.domain:  # --domain=dom,net/len,local adds --local for dom and its zones
        net = attr(spec, "network")
        if attr(spec, "local") and net is not None:
            zones = (str(attr(spec, "domain")), *reverse_zones(str(net)))
            for key in _domain_keys(zones):
                order.append(key)
                local.add(key)
    rules: dict[bytes, DomainRule] = {}
    for key in order:
        if key not in rules:
            rule = DomainRule(tuple(v4.get(key, ())), tuple(v6.get(key, ())), key in local)
            rules[key] = rule
            if rule.local and key not in (ROOT, UNQUALIFIED) and not key.startswith(WILD):
                messages.append(f"using only locally-known addresses for {name_text(key)}")
    return rules


def is_upstream(spec: object) -> bool:
    """A --server/--local/--rev-server line that names an upstream (address or "#")."""
    addr = attr(spec, "address")
    if addr is not None and str(addr) != "":
        return True
    return bool(attr(spec, "use_standard", False) or attr(spec, "default_servers", False))


def reverse_zones(network: str) -> list[str]:
    """The in-addr.arpa / ip6.arpa zones covering a network (several when the prefix is not
    on a label boundary), as dnsmasq's --domain=...,local and --rev-server do."""
    net = ipaddress.ip_network(network, strict=False)
    step = 8 if net.version == 4 else 4
    whole = -(-net.prefixlen // step) * step
    out: list[str] = []
    for sub in net.subnets(new_prefix=whole) if whole > net.prefixlen else [net]:
        labels = sub.network_address.reverse_pointer.split(".")
        out.append(".".join(labels[(net.max_prefixlen - whole) // step :]))
    return out


def server_wins(
    rule: DomainRule,
    rules: Mapping[bytes, DomainRule],
    routes: Routes,
    qname: bytes,
    rdatas: Iterable[bytes],
) -> bool:
    """dnsmasq matches --address/--local and --server domains in one table, the longest
    domain winning: a more specific --server=/dom/addr takes a name away from the
    --address/--local `rule` matching `qname`, never from hosts, --host-record or DHCP names
    (whose records, `rdatas`, hold other addresses than the rule's)."""
    if any(rdata not in rule.v4 and rdata not in rule.v6 for rdata in rdatas):
        return False  # records of a name, not of the rule
    depth = routes.server_depth(qname)
    if depth < 0:
        return False
    off = 0
    while qname[off]:
        if qname[off:] in rules:
            return depth > labels_of(qname[off:])
        off += qname[off] + 1
    return True
