"""The name table DNS answers from: hosts files and --host-record, plus DHCP lease names.

`NameTable` is built once per (re)load and is compact: every name lives in one ASCII blob,
sorted (stable, so rows of one name keep read order), with `array` offsets; addresses in a
second blob; a reverse index sorted by address.  No Python object per name survives the
build, so a 1,000,000-line hosts file costs tens of MB, not hundreds (ARCHITECTURE §2.5).
Rules, as dnsmasq 2.90: exact duplicates (same name, same address) are kept once; an address
gets one PTR, from the first row allowed to give it (host-record before hosts files, files
in read order, the first name of a line).  `LeaseNames` adds the names of DHCP leases read
from a `LeaseBackend`, noticing changes through `backend.changed()` (SQLite data_version):
`name` and `name.<domain>` (the domain of the lease's address, as --domain), skipped when
the hosts/config data has the name with another address of that family (dnsmasq: "not
giving name ... to the DHCP lease"), PTR only when no hosts/config PTR exists.  With
--dhcp-fqdn (`fqdn_only`) only `name.<domain>` is published, never the bare name.
"""

from __future__ import annotations

import ipaddress
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv6Network
from itertools import accumulate, compress, islice
from operator import eq, ne
from typing import Final

from lanctl.store.backend import LeaseBackend
from lanctl.store.lease import Lease

INFINITE_TTL: Final = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Row:
    """One forward record as the table hands it out."""

    name: bytes  # lowercase dotted name, no trailing dot
    addr: bytes  # 4 or 16 packed bytes
    source: str
    ttl: int


class NameTableBuilder:
    """Collects rows (name, address, source, TTL, may-give-PTR) in precedence order."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.addrs: list[bytes] = []
        self.ptr = bytearray()
        self.meta = array("H")
        self.metas: list[tuple[str, int]] = []
        self._meta_ids: dict[tuple[str, int], int] = {}

    def _meta(self, source: str, ttl: int) -> int:
        key = (source, ttl)
        mid = self._meta_ids.get(key)
        if mid is None:
            mid = self._meta_ids[key] = len(self.metas)
            self.metas.append(key)
        return mid

    def add(self, name: str, addr: bytes, source: str, ttl: int, ptr: bool) -> None:
        self.add_columns([name], [addr], bytes([ptr]), source, ttl)

    def add_columns(
        self, names: Sequence[str], addrs: Sequence[bytes], ptr: bytes | bytearray, source: str,
        ttl: int,
    ) -> None:  # fmt: skip
        """Add rows in bulk: `ptr[i]` is 1 when row i may give its address's PTR."""
        self.names.extend(names)
        self.addrs.extend(addrs)
        self.ptr.extend(ptr)
        self.meta.extend(array("H", [self._meta(source, ttl)]) * len(names))

    def build(self) -> NameTable:
        return NameTable.from_builder(self)


class NameTable:
    """Sorted, packed forward and reverse views; see the module docstring."""

    def __init__(self) -> None:
        self.blob = b""
        self.offsets = array("I", [0])
        self.addr_blob = b""
        self.addr_offsets = array("I", [0])
        self.meta = array("H")
        self.metas: list[tuple[str, int]] = []
        self.reverse = array("I")  # row positions, sorted by address, one per address
        self.distinct = 0
        self.counts: dict[str, int] = {}  # rows kept per source
        self.generation = 0

    @classmethod
    def from_builder(cls, b: NameTableBuilder) -> NameTable:
        t = cls()
        names, addrs, n = b.names, b.addrs, len(b.names)
        order = sorted(range(n), key=names.__getitem__)
        snames = list(map(names.__getitem__, order))
        dup_names = any(map(eq, snames, islice(snames, 1, None)))
        if dup_names:  # drop exact duplicates, keeping the first row (read order)
            keep = _first_of_pairs(snames, list(map(addrs.__getitem__, order)))
            order = list(compress(order, keep))
            snames = list(compress(snames, keep))
        text = "".join(snames)
        t.blob = text.encode("ascii", "replace")
        t.offsets = array("I", accumulate(map(len, snames), initial=0))
        saddrs = list(map(addrs.__getitem__, order))
        t.addr_blob = b"".join(saddrs)
        t.addr_offsets = array("I", accumulate(map(len, saddrs), initial=0))
        t.meta = array("H", map(b.meta.__getitem__, order))
        t.metas = list(b.metas)
        t.distinct = len(snames) - sum(map(eq, snames, islice(snames, 1, None)))
        for mid, count in Counter(t.meta).items():
            src = t.metas[mid][0]
            t.counts[src] = t.counts.get(src, 0) + count
        # Reverse: rows allowed a PTR, in precedence (read) order, then stably by address.
        by_read = sorted(range(len(order)), key=order.__getitem__)
        cands = list(compress(by_read, map(b.ptr.__getitem__, map(order.__getitem__, by_read))))
        cands.sort(key=saddrs.__getitem__)
        caddrs = list(map(saddrs.__getitem__, cands))
        if any(map(eq, caddrs, islice(caddrs, 1, None))):
            cands = list(compress(cands, _first_of_runs(caddrs)))
        t.reverse = array("I", cands)
        return t

    # ---- lookups -----------------------------------------------------------------

    def name_at(self, pos: int) -> bytes:
        return self.blob[self.offsets[pos] : self.offsets[pos + 1]]

    def addr_at(self, pos: int) -> bytes:
        return self.addr_blob[self.addr_offsets[pos] : self.addr_offsets[pos + 1]]

    def row(self, pos: int) -> Row:
        source, ttl = self.metas[self.meta[pos]]
        return Row(self.name_at(pos), self.addr_at(pos), source, ttl)

    def find(self, name: bytes) -> range:
        """Positions of the rows of `name` (lowercase dotted bytes), in read order."""
        blob, off = self.blob, self.offsets
        lo, hi = 0, len(off) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[off[mid] : off[mid + 1]] < name:
                lo = mid + 1
            else:
                hi = mid
        end = lo
        last = len(off) - 1
        while end < last and blob[off[end] : off[end + 1]] == name:
            end += 1
        return range(lo, end)

    def lookup(self, name: bytes) -> list[Row]:
        return [self.row(pos) for pos in self.find(name)]

    def ptr(self, addr: bytes) -> Row | None:
        """The row whose name is the PTR of `addr` (4 or 16 packed bytes), or None."""
        rev, aoff, ablob = self.reverse, self.addr_offsets, self.addr_blob
        lo, hi = 0, len(rev)
        while lo < hi:
            mid = (lo + hi) // 2
            pos = rev[mid]
            if ablob[aoff[pos] : aoff[pos + 1]] < addr:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(rev) and self.addr_at(rev[lo]) == addr:
            return self.row(rev[lo])
        return None

    def rows(self) -> Iterator[Row]:
        return (self.row(pos) for pos in range(len(self.meta)))

    def ptr_rows(self) -> Iterator[Row]:
        return (self.row(pos) for pos in self.reverse)

    def names(self) -> Iterator[bytes]:
        """Each distinct name once, sorted."""
        prev = None
        for pos in range(len(self.meta)):
            name = self.name_at(pos)
            if name != prev:
                yield name
                prev = name

    def __len__(self) -> int:
        return self.distinct


def _first_of_pairs(names: list[str], addrs: list[bytes]) -> list[bool]:
    """Keep flags dropping rows whose (name, address) appeared earlier in the same run."""
    keep: list[bool] = []
    seen: set[bytes] = set()
    prev: str | None = None
    for name, addr in zip(names, addrs, strict=True):
        if name != prev:
            seen = set()
            prev = name
        keep.append(addr not in seen)
        seen.add(addr)
    return keep


def _first_of_runs(values: list[bytes]) -> list[bool]:
    return [True, *map(ne, values, islice(values, 1, None))]


# ---- DHCP lease names --------------------------------------------------------------


class LeaseNames:
    """Names of the leases in `backend`, reloaded when `backend.changed()` says so."""

    def __init__(
        self,
        backend: LeaseBackend,
        domain_for: Callable[[bytes], str | None],
        ttl: int,
        *,
        fqdn_only: bool = False,
    ) -> None:
        self.backend = backend
        self.domain_for = domain_for
        self.fqdn_only = fqdn_only  # --dhcp-fqdn: no bare names in DNS
        self.ttl = ttl  # --dhcp-ttl, else --local-ttl; capped by the lease's time left
        self.forward: dict[bytes, list[tuple[bytes, int]]] = {}  # name -> (address, expires)
        self.reverse: dict[bytes, tuple[bytes, int]] = {}  # address -> (name, expires)
        self.generation = 0
        self.messages: list[str] = []
        self.next_expiry = 0.0

    def refresh(self, static: NameTable, now: float, *, force: bool = False) -> bool:
        """Reload when the store changed or a loaded lease ran out; True when reloaded."""
        changed = self.backend.changed()
        if not (changed or force or (self.next_expiry and now >= self.next_expiry)):
            return False
        self._load(static, int(now))
        self.generation += 1
        return True

    def _load(self, static: NameTable, now: int) -> None:
        fwd: dict[bytes, list[tuple[bytes, int]]] = {}
        rev: dict[bytes, tuple[bytes, int]] = {}
        self.messages = []
        soonest = 0
        leases: list[Lease] = [*self.backend.all4(), *self.backend.all6()]
        for lease in leases:
            if lease.hostname is None or lease.expired(now):
                continue
            if isinstance(lease.address, IPv6Network):
                continue  # a delegated prefix has no name
            addr = lease.address.packed
            host = lease.hostname.lower().rstrip(".")
            domain = self.domain_for(addr) if "." not in host else None
            host = _name_from_hosts(static, addr, domain) or host
            if domain:
                names = [f"{host}.{domain}"] if self.fqdn_only else [f"{host}.{domain}", host]
            elif self.fqdn_only and "." not in host:
                names = []  # dnsmasq: no domain, no FQDN, and the bare name is not added
            else:
                names = [host]
            for text in names:
                name = text.encode("ascii", "replace")
                if not self._may_add(static, name, addr, text):
                    continue
                entries = fwd.setdefault(name, [])
                if all(a != addr for a, _ in entries):
                    entries.append((addr, lease.expires))
                if static.ptr(addr) is None and addr not in rev:  # first name added owns it
                    rev[addr] = (name, lease.expires)
            if lease.expires and (not soonest or lease.expires < soonest):
                soonest = lease.expires
        self.forward, self.reverse = fwd, rev
        self.next_expiry = float(soonest)

    def _may_add(self, static: NameTable, name: bytes, addr: bytes, text: str) -> bool:
        """dnsmasq's cache_add_dhcp_entry: a hosts/config name of this family wins; a
        different address there is logged."""
        rows = [row for row in static.lookup(name) if len(row.addr) == len(addr)]
        if any(row.addr == addr for row in rows):
            return False  # already answered by hosts/config
        if rows:
            self.messages.append(
                f"not giving name {text} to the DHCP lease of {_addr_text(addr)} because "
                f"the name exists in {rows[0].source} with address {_addr_text(rows[0].addr)}"
            )
            return False
        return True

    def ttl_left(self, expires: int, now: float) -> int:
        """dnsmasq's TTL of a DHCP name: the configured TTL, capped by the lease's time left."""
        if expires == 0:
            return self.ttl
        return max(0, min(self.ttl, int(expires - now)))


def _name_from_hosts(static: NameTable, addr: bytes, domain: str | None) -> str | None:
    """dnsmasq gives an IPv4 lease the hosts-file name of its address (host_from_dns): the
    name if unqualified, its first label if the rest is the lease's domain."""
    row = static.ptr(addr) if len(addr) == 4 else None
    if row is None:
        return None
    name = row.name.decode("ascii", "replace")
    first, dot, rest = name.partition(".")
    if not dot:
        return name
    return first if domain is not None and rest == domain else None


def _addr_text(addr: bytes) -> str:
    return str(ipaddress.ip_address(addr))


def trim_heap() -> None:
    """Give the memory freed after a big build back to the system (glibc keeps it otherwise:
    a 1M-name build leaves ~70 MB of free heap resident).  A no-op off glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:
        trim = None
    if trim is not None:
        trim(0)
