"""Local DNS data: hosts files, --host-record, --address and local-only --server/--local rules.

Implements dnsmasq's precedence, checked against dnsmasq 2.90 with dig:
1. exact names from --host-record and hosts files (/etc/hosts, --addn-hosts) answer A, AAAA,
   ANY and PTR; they beat --address for the same name (man page: "/etc/hosts and DHCP leases
   override this for individual names");
2. else the longest matching --address/--local domain ("/#/" matches everything): its
   addresses answer A/AAAA/ANY; a rule without addresses ("/dom/", --local, --server=/dom/)
   gives NXDOMAIN, or NODATA when the name exists locally, has children in local data, or
   the rule also carries addresses (the pre-2.86 "--address + --local" NoData form);
3. else nothing local: the caller forwards (or, with no upstream, answers REFUSED).
PTR: an address gets one PTR, from the first source that names it: --host-record first,
then hosts files in read order (the first name of the line, expanded by --expand-hosts).
Pure: files are read by the adapter.  Storage is compact for million-line hosts files:
wire-format keys and packed record bytes.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns.hosts import HostsFile
from lanctl.dns.wire import QType, encode_name, name_text

# Packed forward record: family (4|6), source index, TTL, then 4 or 16 address bytes.
_FWD: Final = struct.Struct("!BHI")
# Packed PTR record: source index, TTL, length of the target name, then the wire name.
_PTR: Final = struct.Struct("!HIB")
_IN_ADDR: Final = b"\x07in-addr\x04arpa\x00"
_IP6: Final = b"\x03ip6\x04arpa\x00"
_ROOT: Final = b"\x00"  # rule key: every name ("/#/", no domain)
_UNQUALIFIED: Final = b""  # rule key: names without a dot ("//")
_WILD: Final = b"*"  # rule key prefix: "*pattern" suffix match on the text name
CONFIG_SOURCE: Final = "config"


@dataclass(frozen=True, slots=True)
class LocalRR:
    """One answer record: type, TTL, RDATA, and the source/value for dnsmasq's log line."""

    rtype: int
    ttl: int
    rdata: bytes
    source: str
    text: str


@dataclass(frozen=True, slots=True)
class LocalAnswer:
    """A local answer: records (NOERROR), or none with rcode NXDOMAIN/NOERROR (NODATA)."""

    rcode: int
    rrs: tuple[LocalRR, ...]
    what: str = ""  # for empty answers: "NXDOMAIN", "NODATA-IPv4", "NODATA-IPv6", "NODATA"


@dataclass(frozen=True, slots=True)
class DomainRule:
    """--address/--local rule for one domain and its subdomains."""

    v4: tuple[bytes, ...] = ()
    v6: tuple[bytes, ...] = ()
    local: bool = False  # no address given: NXDOMAIN / NODATA for what has no address


def addr_text(packed: bytes) -> str:
    return str(ipaddress.ip_address(packed))


def reverse_addr(qname: bytes) -> bytes | None:
    """Packed address named by a full in-addr.arpa / ip6.arpa name (lowercase wire), or None."""
    if qname.endswith(_IN_ADDR):
        labels = _labels(qname[: -len(_IN_ADDR)] + b"\x00")
        if len(labels) != 4:
            return None
        if not all((x.isdigit() and len(x) <= 3 and x[:1] != b"0") or x == b"0" for x in labels):
            return None
        octets = [int(x) for x in labels]
        if max(octets) > 255:
            return None
        return bytes(reversed(octets))
    if qname.endswith(_IP6):
        labels = _labels(qname[: -len(_IP6)] + b"\x00")
        if len(labels) != 32 or any(len(x) != 1 or x not in b"0123456789abcdef" for x in labels):
            return None
        return bytes.fromhex(b"".join(reversed(labels)).decode())
    return None


def _labels(wire: bytes) -> list[bytes]:
    out: list[bytes] = []
    off = 0
    while wire[off]:
        out.append(wire[off + 1 : off + 1 + wire[off]])
        off += wire[off] + 1
    return out


def _suffixes(qname: bytes) -> Iterator[bytes]:
    """The name itself, then each parent, ending with the root (b"\\x00")."""
    off = 0
    while True:
        yield qname[off:]
        if qname[off] == 0:
            return
        off += qname[off] + 1


class LocalData:
    """Name tables built once per (re)load; read by the engine, never mutated after build."""

    def __init__(self, local_ttl: int = 0) -> None:
        self.local_ttl = local_ttl
        self.sources: list[str] = [CONFIG_SOURCE]
        self.forward: dict[bytes, bytes] = {}
        self.reverse: dict[bytes, bytes] = {}
        self.rules: dict[bytes, DomainRule] = {}
        self.wild: list[tuple[bytes, DomainRule]] = []  # "*pattern" rules, longest first
        self.ents: frozenset[bytes] = frozenset()
        self.messages: list[str] = []  # startup log lines ("read FILE - N names", warnings)

    # ---- queries ---------------------------------------------------------------

    def answer(self, qname: bytes, qtype: int) -> LocalAnswer | None:
        """The local answer for a class-IN question, or None when local data has none."""
        rrs: list[LocalRR] = []
        if qtype in (QType.A, QType.AAAA, QType.ANY):
            packed = self.forward.get(qname)
            if packed is not None:
                if qtype == QType.ANY:  # A records first, then AAAA, as dnsmasq
                    rrs.extend(self._forward_rrs(packed, QType.A))
                    rrs.extend(self._forward_rrs(packed, QType.AAAA))
                else:
                    rrs.extend(self._forward_rrs(packed, qtype))
        if qtype in (QType.PTR, QType.ANY) and (qname.endswith(_IN_ADDR) or qname.endswith(_IP6)):
            addr = reverse_addr(qname)
            ptrs = self.reverse.get(addr) if addr is not None else None
            if addr is not None and ptrs is not None:
                rrs.extend(self._ptr_rrs(addr, ptrs))
        if rrs:
            return LocalAnswer(0, tuple(rrs))
        if not self.rules:
            return None
        rule = self.match_rule(qname)
        return self._rule_answer(qname, qtype, rule) if rule is not None else None

    def match_rule(self, qname: bytes) -> DomainRule | None:
        """dnsmasq's domain matching: whole labels, longest first; then "//" (unqualified
        names); then "*pattern" wildcards (longest first); then the catch-all "/#/"."""
        rules = self.rules
        for suffix in _suffixes(qname):
            if suffix == _ROOT:
                break
            rule = rules.get(suffix)
            if rule is not None:
                return rule
        if qname[0] and qname[qname[0] + 1] == 0:
            rule = rules.get(_UNQUALIFIED)
            if rule is not None:
                return rule
        if self.wild:
            text = name_text(qname).lower().encode()
            for pattern, rule in self.wild:
                if text.endswith(pattern):
                    return rule
        return rules.get(_ROOT)

    def _forward_rrs(self, packed: bytes, qtype: int) -> Iterator[LocalRR]:
        off = 0
        while off < len(packed):
            family, src, ttl = _FWD.unpack_from(packed, off)
            size = 4 if family == 4 else 16
            addr = packed[off + 7 : off + 7 + size]
            off += 7 + size
            rtype = QType.A if family == 4 else QType.AAAA
            if qtype == rtype or qtype == QType.ANY:
                yield LocalRR(rtype, ttl, addr, self.sources[src], addr_text(addr))

    def _ptr_rrs(self, addr: bytes, packed: bytes) -> Iterator[LocalRR]:
        off = 0
        while off < len(packed):
            src, ttl, length = _PTR.unpack_from(packed, off)
            target = packed[off + 7 : off + 7 + length]
            off += 7 + length
            yield LocalRR(QType.PTR, ttl, target, self.sources[src], addr_text(addr))

    def _rule_answer(self, qname: bytes, qtype: int, rule: DomainRule) -> LocalAnswer | None:
        ttl = self.local_ttl
        rrs: list[LocalRR] = []
        if qtype in (QType.A, QType.ANY):
            rrs += [LocalRR(QType.A, ttl, a, CONFIG_SOURCE, addr_text(a)) for a in rule.v4]
        if qtype in (QType.AAAA, QType.ANY):
            rrs += [LocalRR(QType.AAAA, ttl, a, CONFIG_SOURCE, addr_text(a)) for a in rule.v6]
        if rrs:
            return LocalAnswer(0, tuple(rrs))
        if not rule.local:
            return None  # dnsmasq >= 2.86: other types go upstream
        if rule.v4 or rule.v6 or qname in self.forward or qname in self.ents:
            what: dict[int, str] = {
                QType.A: "NODATA-IPv4",
                QType.AAAA: "NODATA-IPv6",
                QType.ANY: "NODATA-IPv4",
            }
            return LocalAnswer(0, (), what.get(qtype, "NODATA"))
        return LocalAnswer(3, (), "NXDOMAIN")

    # ---- inspection ---------------------------------------------------------------

    def dump(self) -> Iterator[tuple[str, str, str, str]]:
        """(name, type, value, source) for every forward and PTR record (cache dump)."""
        for key, packed in self.forward.items():
            for rr in self._forward_rrs(packed, QType.ANY):
                yield name_text(key), "A" if rr.rtype == QType.A else "AAAA", rr.text, rr.source
        for addr, packed in self.reverse.items():
            for rr in self._ptr_rrs(addr, packed):
                yield rr.text, "PTR", name_text(rr.rdata), rr.source

    def __len__(self) -> int:
        return len(self.forward)


# ---- building ------------------------------------------------------------------


def _attr(obj: object, name: str, default: object = None) -> object:
    return getattr(obj, name, default)


def _domain_keys(domains: object) -> list[bytes]:
    """Rule keys for a spec's domains: () is every name, "" unqualified names, "*x" a
    wildcard, anything else a domain and its subdomains (whole labels)."""
    doms = tuple(domains) if isinstance(domains, (tuple, list)) else ()
    if not doms:
        return [_ROOT]
    keys: list[bytes] = []
    for dom in doms:
        text = str(dom).strip().lower()
        if text == "":
            keys.append(_UNQUALIFIED)
        elif text.startswith("*"):
            keys.append(_WILD + text[1:].encode())
        elif text in (".", "#"):
            keys.append(_ROOT)
        else:
            keys.append(encode_name(text.strip(".")))
    return keys


def _packed(addr: object) -> bytes | None:
    if addr is None:
        return None
    return ipaddress.ip_address(str(addr)).packed


def _expand_domain(packed: bytes, domains: Sequence[object]) -> str | None:
    """dnsmasq's domain for an address: the first --domain whose range holds it, else the
    first --domain without a range."""
    default: str | None = None
    addr = ipaddress.ip_address(packed)
    for spec in domains:
        name = str(_attr(spec, "domain", spec)).strip(".")
        if not name or name == "#":
            continue
        net = _attr(spec, "network")
        start, end = _attr(spec, "start"), _attr(spec, "end")
        if net is None and start is None and _attr(spec, "interface") is None:
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


class _Builder:
    """Accumulates packed records; values stay immutable bytes (concatenated on the rare
    second address of a name) so nothing needs converting afterwards."""

    def __init__(self) -> None:
        self.fwd: dict[bytes, bytes] = {}
        self.rev: dict[bytes, bytes] = {}

    def add_forward(self, key: bytes, packed: bytes, src: int, ttl: int) -> bool:
        family = 4 if len(packed) == 4 else 6
        rec = _FWD.pack(family, src, ttl) + packed
        cur = self.fwd.get(key)
        if cur is None:
            self.fwd[key] = rec
            return True
        off = 0
        while off < len(cur):  # drop exact duplicates (same address), as dnsmasq does
            size = 4 if cur[off] == 4 else 16
            if cur[off] == family and cur[off + 7 : off + 7 + size] == packed:
                return False
            off += 7 + size
        self.fwd[key] = cur + rec
        return True

    def add_ptr(self, packed: bytes, target: bytes, src: int, ttl: int) -> None:
        rec = _PTR.pack(src, ttl, len(target)) + target
        self.rev[packed] = self.rev.get(packed, b"") + rec


def build_local(cfg: DnsCfg, hosts_files: Sequence[HostsFile]) -> LocalData:
    """Build the tables from the config and the already-parsed hosts files (in read order)."""
    data = LocalData(cfg.local_ttl)
    b = _Builder()
    for hr in cfg.host_record:  # man page: host-record is read before hosts files
        hr_names = [str(n).lower().strip(".") for n in _seq(_attr(hr, "names"))]
        ttl_v = _attr(hr, "ttl")
        ttl = int(str(ttl_v)) if ttl_v is not None else cfg.local_ttl
        addrs = [_packed(a) for a in (*_seq(_attr(hr, "ipv4")), *_seq(_attr(hr, "ipv6")))]
        keys = [encode_name(n) for n in hr_names if n]
        for packed in addrs:
            if packed is None:
                continue
            for key in keys:
                b.add_forward(key, packed, 0, ttl)
            if keys and packed not in b.rev:
                b.add_ptr(packed, keys[0], 0, ttl)
    owned = set(b.rev)  # one PTR per address: the first seen, across all sources
    for hf in hosts_files:
        data.sources.append(hf.source)
        src = len(data.sources) - 1
        data.messages.extend(hf.warnings)
        count = 0
        for packed, names in hf.entries:
            domain = _expand_domain(packed, cfg.domain) if cfg.expand_hosts else None
            ptr_target: bytes | None = None
            for name in names:
                full: list[str] = [name]
                if domain is not None and "." not in name:
                    full.append(f"{name}.{domain}")  # dnsmasq: the expanded name owns the PTR
                for n in full:
                    try:
                        key = encode_name(n)
                    except ValueError:
                        continue
                    count += b.add_forward(key, packed, src, cfg.local_ttl)
                    if name is names[0]:
                        ptr_target = key  # the last form of the first name: expanded if any
            if ptr_target is not None and packed not in owned:
                owned.add(packed)
                b.add_ptr(packed, ptr_target, src, cfg.local_ttl)
        data.messages.append(f"read {hf.source} - {count} names")
    data.forward = b.fwd
    data.reverse = b.rev
    data.rules = _build_rules(cfg, data.messages)
    wild = [(k[1:], r) for k, r in data.rules.items() if k.startswith(_WILD)]
    data.wild = sorted(wild, key=lambda item: -len(item[0]))
    if any(r.local for r in data.rules.values()):
        data.ents = frozenset(_ancestors(data.forward))
    return data


def _seq(value: object) -> tuple[object, ...]:
    if value is None:
        return ()
    if isinstance(value, (tuple, list)):
        return tuple(value)
    return (value,)


def _build_rules(cfg: DnsCfg, messages: list[str]) -> dict[bytes, DomainRule]:
    v4: dict[bytes, list[bytes]] = {}
    v6: dict[bytes, list[bytes]] = {}
    local: set[bytes] = set()
    order: list[bytes] = []
    for spec in cfg.address:
        addr = _attr(spec, "address")
        null = bool(_attr(spec, "null", False)) or str(addr) == "#"
        for key in _domain_keys(_attr(spec, "domains", ())):
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
        if is_upstream(spec) or not _seq(_attr(spec, "domains")):
            continue
        for key in _domain_keys(_attr(spec, "domains", ())):
            order.append(key)
            local.add(key)
    for spec in cfg.domain:  # --domain=dom,net/len,local adds --local for dom and its zones
        net = _attr(spec, "network")
        if _attr(spec, "local") and net is not None:
            zones = (str(_attr(spec, "domain")), *reverse_zones(str(net)))
            for key in _domain_keys(zones):
                order.append(key)
                local.add(key)
    rules: dict[bytes, DomainRule] = {}
    for key in order:
        if key not in rules:
            rule = DomainRule(tuple(v4.get(key, ())), tuple(v6.get(key, ())), key in local)
            rules[key] = rule
            if rule.local and key not in (_ROOT, _UNQUALIFIED) and not key.startswith(_WILD):
                messages.append(f"using only locally-known addresses for {name_text(key)}")
    return rules


def is_upstream(spec: object) -> bool:
    """A --server/--local/--rev-server line that names an upstream (address or "#")."""
    addr = _attr(spec, "address")
    if addr is not None and str(addr) != "":
        return True
    return bool(_attr(spec, "use_standard", False) or _attr(spec, "default_servers", False))


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


def _ancestors(forward: dict[bytes, bytes]) -> set[bytes]:
    out: set[bytes] = set()
    for key in forward:
        off = key[0] + 1
        while key[off] != 0:
            parent = key[off:]
            if parent in out:
                break
            out.add(parent)
            off += key[off] + 1
    return out
