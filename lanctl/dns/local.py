"""Local DNS data: hosts files, --host-record, DHCP lease names, --address and local-only rules.

Implements dnsmasq's precedence, checked against dnsmasq 2.90 with dig:
1. exact names from --host-record and hosts files (/etc/hosts, --addn-hosts), then names of
   DHCP leases (not when hosts/config data has the name in that family), answer A, AAAA, ANY
   and PTR; they beat --address for the same name (man page: "/etc/hosts and DHCP leases
   override this for individual names");
2. else the longest matching --address/--local domain ("/#/" matches everything): its
   addresses answer A/AAAA/ANY; a rule without addresses ("/dom/", --local, --server=/dom/)
   gives NXDOMAIN, or NODATA when the name exists locally, has children in local data, or
   the rule also carries addresses (the pre-2.86 "--address + --local" NoData form);
3. else nothing local: the caller forwards (or, with no upstream, answers REFUSED).
Several A (or AAAA) records of one hosts/--host-record/lease name are marked `rotate`
(dnsmasq round-robins those, not --address ones; answers.py Rotor); --localise-queries
keeps only the IPv4 ones on the query's arrival subnet (localise.py).
PTR: an address gets one PTR, from the first source that names it: --host-record first,
then hosts files in read order (the first name of the line, expanded by --expand-hosts),
then leases.  Names live in the compact `lanctl.store.names.NameTable`; lease names in
`LeaseNames`, re-read when the store changes (`refresh`, at most every REFRESH seconds).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns.hostsdir import HostsDirs
from lanctl.dns.localise import Net, localise
from lanctl.dns.qnames import IN_ADDR, IP6, addr_text, dotted, reverse_addr, suffixes, to_wire
from lanctl.dns.records import LocalRR, Records, build_records
from lanctl.dns.rules import (
    ROOT,
    UNQUALIFIED,
    WILD,
    DomainRule,
    attr,
    build_rules,
    expand_domain,
    is_upstream,
    reverse_zones,
    seq,
)
from lanctl.dns.synth import Synth, build_synth, interface_rows, synth_rrs
from lanctl.dns.wire import QType, name_text, qtype_text
from lanctl.store.hostsfile import HostsFile
from lanctl.store.names import LeaseNames, NameTable, NameTableBuilder

CONFIG_SOURCE: Final = "config"
DHCP_SOURCE: Final = "DHCP"
REFRESH: Final = 0.1  # seconds between two looks at the lease store


@dataclass(frozen=True, slots=True)
class LocalAnswer:
    """A local answer: records (NOERROR), or none with rcode NXDOMAIN/NOERROR (NODATA)."""

    rcode: int
    rrs: tuple[LocalRR, ...]
    what: str = ""  # for empty answers: "NXDOMAIN", "NODATA-IPv4", "NODATA-IPv6", "NODATA"
    rotate: bool = False  # several A/AAAA of hosts/--host-record/leases: round-robin them
    netdep: bool = False  # --localise-queries: the answer depends on the arrival subnet


def _rtype(addr: bytes) -> int:
    return QType.A if len(addr) == 4 else QType.AAAA


class LocalData:
    """Name tables built once per (re)load, plus the lease names refreshed from the store."""

    def __init__(self, local_ttl: int = 0, localise_queries: bool = False) -> None:
        self.local_ttl = local_ttl
        self.localise_queries = localise_queries  # localise.py
        self.table = NameTable()
        self.leases: LeaseNames | None = None
        self.clock = 0.0  # time of the last look at the leases (their TTLs count from it)
        self.dirs: HostsDirs | None = None  # --hostsdir overlay, polled (hostsdir.py)
        self.synth: tuple[Synth, ...] = ()  # --synth-domain (synth.py)
        self.records = Records()  # --cname, --txt-record, --srv-host, ... (records.py)
        self.rules: dict[bytes, DomainRule] = {}
        self.wild: list[tuple[bytes, DomainRule]] = []  # "*pattern" rules, longest first
        self._ents: frozenset[bytes] | None = None  # names with children (dotted), lazily
        self.messages: list[str] = []  # startup log lines ("read FILE - N names", warnings)

    # ---- leases ------------------------------------------------------------------

    def attach_leases(self, leases: LeaseNames, now: float) -> None:
        """Answer the names of `leases` too (loaded now, then refreshed by `refresh`)."""
        self.leases = leases
        self.clock = now
        leases.refresh(self.table, now, force=True)
        self._ents = None

    def refresh_dirs(self) -> bool:
        """Look at the --hostsdir directories (hostsdir.py); True when names changed."""
        if self.dirs is None or not self.dirs.scan():
            return False
        self._ents = None
        return True

    def _has_addr(self, name: bytes) -> bool:
        """True when hosts, --host-record, --hostsdir or a lease gives the name addresses."""
        return bool(
            self.table.find(name)
            or (self.dirs is not None and name in self.dirs.forward)
            or (self.leases is not None and name in self.leases.forward)
        )

    def refresh(self, now: float) -> bool:
        """Look at the lease store (cheap: SQLite data_version); True when names changed,
        so pre-rendered answers must be dropped.  `now` also dates lease TTLs."""
        self.clock = now
        if self.leases is None or not self.leases.refresh(self.table, now):
            return False
        self._ents = None
        return True

    # ---- queries ---------------------------------------------------------------

    def answer(self, qname: bytes, qtype: int, net: Net | None = None) -> LocalAnswer | None:
        """The local answer for a class-IN question, or None when local data has none;
        `net`: the subnet the query arrived on (--localise-queries)."""
        name = dotted(qname)
        recs = self.records
        if recs and name is not None and name in recs.cnames:
            return self._cname_answer(name, qtype, net)
        rrs: list[LocalRR] = []
        netdep = False
        if name is not None:
            rrs, netdep = self._name_rrs(name, qtype, net)
        if qtype in (QType.PTR, QType.ANY) and (qname.endswith(IN_ADDR) or qname.endswith(IP6)):
            addr = reverse_addr(qname)
            if addr is not None and not any(rr.rtype == QType.PTR for rr in rrs):
                rrs.extend(self._ptr_rrs(addr))  # --ptr-record beats hosts and leases
        if not rrs and self.synth:
            rrs = synth_rrs(self.synth, qname, name, qtype, self.local_ttl)
        if rrs:
            rotate = qtype in (QType.A, QType.AAAA) and len(rrs) > 1
            rotate = rotate and not any(r.owner for r in rrs)
            return LocalAnswer(0, tuple(rrs), rotate=rotate, netdep=netdep)
        if not self.rules:
            return None
        rule = self.match_rule(qname)
        return self._rule_answer(qname, qtype, rule) if rule is not None else None

    def _name_rrs(
        self, name: bytes, qtype: int, net: Net | None = None
    ) -> tuple[list[LocalRR], bool]:
        """A/AAAA of hosts, --host-record and leases, then the static records of `name`;
        and whether --localise-queries makes them depend on the arrival subnet."""
        rrs: list[LocalRR] = []
        netdep = False
        if qtype in (QType.A, QType.ANY):  # A records first, then AAAA, as dnsmasq
            v4 = self._forward_rrs(name, QType.A)
            netdep = self.localise_queries and len(v4) > 1
            rrs.extend(localise(v4, net) if netdep and net is not None else v4)
        if qtype in (QType.AAAA, QType.ANY):
            rrs.extend(self._forward_rrs(name, QType.AAAA))
        recs = self.records
        if recs:
            rrs.extend(recs.get(name, qtype))
            if qtype in (QType.MX, QType.ANY) and self._has_addr(name):
                mx = recs.auto_mx(name)
                if mx is not None:
                    rrs.append(mx)
        return rrs, netdep

    def _cname_answer(self, name: bytes, qtype: int, net: Net | None) -> LocalAnswer:
        """--cname: the whole chain of local CNAMEs (dnsmasq 2.90 sets no length limit; loops
        are refused when the config is read), then the target's records of the asked type
        when the target is local (else the client follows the last CNAME itself)."""
        cnames = self.records.cnames
        rrs: list[LocalRR] = []
        owner = b""
        cur = name
        for _ in range(len(cnames)):  # bound: no loop even if unchecked
            hop = cnames.get(cur)
            if hop is None:
                break
            key, target, ttl = hop
            wire = to_wire(target.encode())
            rrs.append(LocalRR(QType.CNAME, ttl, wire, CONFIG_SOURCE, "<CNAME>", owner))
            owner, cur = wire, key
            if qtype == QType.CNAME:
                return LocalAnswer(0, tuple(rrs))
        netdep = False
        if cur not in cnames:
            found, netdep = self._name_rrs(cur, qtype, net)
            rrs.extend(LocalRR(r.rtype, r.ttl, r.rdata, r.source, r.text, owner) for r in found)
        return LocalAnswer(0, tuple(rrs), netdep=netdep)

    def match_rule(self, qname: bytes) -> DomainRule | None:
        """dnsmasq's domain matching: whole labels, longest first; then "//" (unqualified
        names); then "*pattern" wildcards (longest first); then the catch-all "/#/"."""
        rules = self.rules
        for suffix in suffixes(qname):
            if suffix == ROOT:
                break
            rule = rules.get(suffix)
            if rule is not None:
                return rule
        if qname[0] and qname[qname[0] + 1] == 0:
            rule = rules.get(UNQUALIFIED)
            if rule is not None:
                return rule
        if self.wild:
            text = name_text(qname).lower().encode()
            for pattern, rule in self.wild:
                if text.endswith(pattern):
                    return rule
        return rules.get(ROOT)

    def _forward_rrs(self, name: bytes, qtype: int) -> list[LocalRR]:
        size = 4 if qtype == QType.A else 16
        out = [
            LocalRR(qtype, row.ttl, row.addr, row.source, addr_text(row.addr))
            for row in self.table.lookup(name)
            if len(row.addr) == size
        ]
        dirs = self.dirs
        if dirs is not None and name in dirs.forward:
            ttl = self.local_ttl
            for addr, path in dirs.forward[name]:
                if len(addr) == size:
                    out.append(LocalRR(qtype, ttl, addr, path, addr_text(addr)))
        leases = self.leases
        if not out and leases is not None and name in leases.forward:
            for addr, expires in leases.forward[name]:
                if len(addr) == size:
                    ttl = leases.ttl_left(expires, self.clock)
                    out.append(LocalRR(qtype, ttl, addr, DHCP_SOURCE, addr_text(addr)))
        return out

    def _ptr_rrs(self, addr: bytes) -> list[LocalRR]:
        row = self.table.ptr(addr)
        if row is not None:
            return [LocalRR(QType.PTR, row.ttl, to_wire(row.name), row.source, addr_text(addr))]
        if self.dirs is not None and addr in self.dirs.reverse:
            name, path = self.dirs.reverse[addr]
            return [LocalRR(QType.PTR, self.local_ttl, to_wire(name), path, addr_text(addr))]
        leases = self.leases
        if leases is not None and addr in leases.reverse:
            name, expires = leases.reverse[addr]
            ttl = leases.ttl_left(expires, self.clock)
            return [LocalRR(QType.PTR, ttl, to_wire(name), DHCP_SOURCE, addr_text(addr))]
        return []

    def _exists(self, qname: bytes) -> bool:
        """True when the name has records or children in local data (NODATA, not NXDOMAIN)."""
        name = dotted(qname)
        if name is None:
            return False
        if self._has_addr(name):
            return True
        if name in self.records.by_name or name in self.records.cnames:
            return True
        if self._ents is None:
            names: list[bytes] = list(self.table.names())
            names.extend(self.records.names())
            if self.leases is not None:
                names.extend(self.leases.forward)
            if self.dirs is not None:
                names.extend(self.dirs.forward)
            self._ents = frozenset(_ancestors(names))
        return name in self._ents

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
        if rule.v4 or rule.v6 or self._exists(qname):
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
        for row in self.table.rows():
            kind = "A" if len(row.addr) == 4 else "AAAA"
            yield row.name.decode(), kind, addr_text(row.addr), row.source
        leases = self.leases
        if leases is not None:
            for name, entries in leases.forward.items():
                for addr, _ in entries:
                    kind = "A" if len(addr) == 4 else "AAAA"
                    yield name.decode(), kind, addr_text(addr), DHCP_SOURCE
        for row in self.table.ptr_rows():
            yield addr_text(row.addr), "PTR", row.name.decode(), row.source
        if self.dirs is not None:
            for name, pairs in self.dirs.forward.items():
                for addr, path in pairs:
                    yield name.decode(), "A" if len(addr) == 4 else "AAAA", addr_text(addr), path
            for addr, (name, path) in self.dirs.reverse.items():
                yield addr_text(addr), "PTR", name.decode(), path
        for alias, (_, target, _) in self.records.cnames.items():
            yield alias.decode(), "CNAME", target, CONFIG_SOURCE
        for rname, rrs in self.records.by_name.items():
            for rr in rrs:
                yield rname.decode(), qtype_text(rr.rtype), rr.text, rr.source
        if leases is not None:
            for addr, (name, _) in leases.reverse.items():
                yield addr_text(addr), "PTR", name.decode(), DHCP_SOURCE

    def __len__(self) -> int:
        dirs = len(self.dirs) if self.dirs is not None else 0
        return len(self.table) + dirs + (len(self.leases.forward) if self.leases is not None else 0)


# ---- building ------------------------------------------------------------------


def _packed(addr: object) -> bytes | None:
    if addr is None:
        return None
    return ipaddress.ip_address(str(addr)).packed


def build_local(cfg: DnsCfg, hosts_files: Sequence[HostsFile]) -> LocalData:
    """Build the tables from the config and the already-parsed hosts files (in read order)."""
    data = LocalData(cfg.local_ttl, cfg.localise_queries)
    b = NameTableBuilder()
    iface_rows = interface_rows(cfg)  # --interface-name (synth.py)
    for iname, iaddr in iface_rows:
        b.add(iname, iaddr, CONFIG_SOURCE, cfg.local_ttl, True)
    for hr in cfg.host_record:  # man page: host-record is read before hosts files
        hr_names = [str(n).lower().strip(".") for n in seq(attr(hr, "names"))]
        ttl_v = attr(hr, "ttl")
        ttl = int(str(ttl_v)) if ttl_v is not None else cfg.local_ttl
        addrs = [_packed(a) for a in (*seq(attr(hr, "ipv4")), *seq(attr(hr, "ipv6")))]
        names = [n for n in hr_names if n]
        for packed in addrs:
            if packed is not None:
                for i, name in enumerate(names):
                    b.add(name, packed, CONFIG_SOURCE, ttl, i == 0)
    for hf in hosts_files:
        if not cfg.expand_hosts:
            b.add_columns(hf.names, hf.addrs, hf.first, hf.source, cfg.local_ttl)
            continue
        for name, packed, first in zip(hf.names, hf.addrs, hf.first, strict=True):
            domain = expand_domain(packed, cfg.domain) if "." not in name else None
            if domain is None:
                b.add(name, packed, hf.source, cfg.local_ttl, bool(first))
            else:  # dnsmasq: the expanded name owns the PTR
                b.add(name, packed, hf.source, cfg.local_ttl, False)
                b.add(f"{name}.{domain}", packed, hf.source, cfg.local_ttl, bool(first))
    data.table = b.build()
    del b
    for hf in hosts_files:
        data.messages.extend(hf.warnings)
        data.messages.append(f"read {hf.source} - {data.table.counts.get(hf.source, 0)} names")
    data.records = build_records(cfg)
    data.records.no_auto_mx = frozenset(n.encode() for n, _ in iface_rows)
    data.synth = build_synth(cfg)
    data.rules = build_rules(cfg, data.messages)
    wild = [(k[1:], r) for k, r in data.rules.items() if k.startswith(WILD)]
    data.wild = sorted(wild, key=lambda item: -len(item[0]))
    return data


def _ancestors(names: Sequence[bytes]) -> set[bytes]:
    """Every proper parent (dotted) of the given dotted names."""
    out: set[bytes] = set()
    for name in names:
        dot = name.find(b".")
        while dot >= 0:
            parent = name[dot + 1 :]
            if parent in out:
                break
            out.add(parent)
            dot = name.find(b".", dot + 1)
    return out


__all__ = [
    "DomainRule", "LocalAnswer", "LocalData", "LocalRR", "build_local", "is_upstream",
    "reverse_addr", "reverse_zones",
]  # fmt: skip
