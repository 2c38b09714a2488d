"""Which upstream servers a name goes to: dnsmasq's --server/--local/--rev-server table.

Matching (man page, --server): whole labels, the longest domain first ("/google.com/" and
"/www.google.com/"); then "//" for unqualified names; then "*pattern" wildcards, which match
the text of the name anywhere before the pattern ("/*google.com/" matches supergoogle.com),
the longest pattern first; then the default servers (--server lines without a domain, then
the --resolv-file servers unless --no-resolv).  A domain with no address (--local=/dom/,
--server=/dom/) is local-only: never forwarded.  "#" means "the default servers".
Several --server lines for one domain accumulate, in configuration order.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar

from lanctl.dns.wire import encode_name, name_text


@dataclass(frozen=True, slots=True)
class Upstream:
    """One upstream server: where to send and from where (source address/port, interface)."""

    address: str
    port: int = 53
    source: str | None = None
    source_port: int | None = None
    interface: str | None = None
    # Hashed once: an Upstream keys several dicts per forwarded query (counters, sockets).
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fields = (self.address, self.port, self.source, self.source_port, self.interface)
        object.__setattr__(self, "_hash", hash(fields))

    def __hash__(self) -> int:
        return self._hash

    @property
    def label(self) -> str:
        """dnsmasq's spelling in logs and servers.bind: "addr#port"."""
        return f"{self.address}#{self.port}"

    @property
    def family_v6(self) -> bool:
        return ":" in self.address


LOCAL: Final = "local"  # route(): never forward this name
_DEFAULT: Final = "#"  # a rule that points back at the default servers


def _attr(obj: object, name: str, default: object = None) -> object:
    return getattr(obj, name, default)


def upstream_of(spec: object) -> Upstream | None:
    """The Upstream named by a ServerSpec, or None (local-only, "#", unresolved host name)."""
    addr = _attr(spec, "address")
    if addr is None or isinstance(addr, str):
        return None
    ip = ipaddress.ip_address(str(addr).partition("%")[0])
    source = _attr(spec, "source")
    sport = _attr(spec, "source_port")
    iface = _attr(spec, "interface")
    return Upstream(
        str(ip),
        int(str(_attr(spec, "port", 53))),
        str(source) if source is not None else None,
        int(str(sport)) if sport is not None else None,
        str(iface) if iface is not None else None,
    )


K = TypeVar("K", bytes, str)


def _add(table: dict[K, list[Upstream] | str], key: K, target: Upstream | str | None) -> None:
    old = table.get(key)
    if isinstance(target, Upstream):
        if isinstance(old, list):
            old.append(target)
        else:
            table[key] = [target]
    elif target is not None and not isinstance(old, list):
        table[key] = target


def labels_of(name: bytes) -> int:
    """Number of labels of a wire name."""
    count = off = 0
    while name[off]:
        count += 1
        off += name[off] + 1
    return count


class Routes:
    """The routing table, built once per (re)load from the specs and the resolv.conf servers."""

    def __init__(
        self,
        specs: Sequence[object],
        resolv: Sequence[Upstream] = (),
        disabled: frozenset[Upstream] = frozenset(),
    ) -> None:
        self.specs = tuple(specs)
        self.resolv = tuple(resolv)
        self.disabled = disabled  # --dns-loop-detect: servers found looping, never routed to
        defaults: list[Upstream] = []
        rules: dict[bytes, list[Upstream] | str] = {}
        wild: dict[str, list[Upstream] | str] = {}
        for spec in specs:
            raw = _attr(spec, "domains", ())
            domains = tuple(str(d) for d in raw) if isinstance(raw, tuple) else ()
            up = upstream_of(spec)
            standard = bool(_attr(spec, "use_standard", False))
            target: Upstream | str | None
            if up is not None:
                target = up
            elif standard:
                target = _DEFAULT
            elif _attr(spec, "address") is None:
                target = LOCAL
            else:
                target = None  # a host name we could not resolve: ignored
            if not domains or domains == (".",):
                if isinstance(target, Upstream):
                    defaults.append(target)
                continue
            for dom in domains:
                if dom.startswith("*"):
                    _add(wild, dom[1:].rstrip("."), target)
                else:
                    _add(rules, b"" if dom == "" else encode_name(dom), target)
        defaults.extend(resolv)
        self.defaults: tuple[Upstream, ...] = tuple(dict.fromkeys(defaults))
        self.has_domains = bool(rules)
        self._rules = {k: self._resolve(v) for k, v in rules.items()}
        self._wild = sorted(
            ((k.encode(), self._resolve(v)) for k, v in wild.items()),
            key=lambda kv: -len(kv[0]),
        )
        self._all = self._every_server()
        if disabled:
            self.defaults = tuple(u for u in self.defaults if u not in disabled)
            self._rules = {k: self._usable(v) for k, v in self._rules.items()}
            self._wild = [(k, self._usable(v)) for k, v in self._wild]

    def _usable(self, target: tuple[Upstream, ...] | str) -> tuple[Upstream, ...] | str:
        if isinstance(target, str):
            return target
        return tuple(u for u in target if u not in self.disabled)

    def extended(
        self, extra: Sequence[object], disabled: frozenset[Upstream] = frozenset()
    ) -> Routes:
        """This table with more specs after its own (--servers-file), same resolv servers,
        and `disabled` servers (--dns-loop-detect) taken out of every route."""
        return Routes((*self.specs, *extra), self.resolv, disabled)

    def _resolve(self, target: list[Upstream] | str) -> tuple[Upstream, ...] | str:
        if target == _DEFAULT:
            return self.defaults
        if isinstance(target, list):
            return tuple(dict.fromkeys(target))
        return target

    def server_depth(self, qname: bytes) -> int:
        """Labels in the longest --server=/domain/ (whole labels) naming upstreams that
        matches, or -1 (none, or the longest match is local-only)."""
        rules = self._rules
        off = 0
        while qname[off]:
            hit = rules.get(qname[off:])
            if hit is not None:
                return -1 if isinstance(hit, str) else labels_of(qname[off:])
            off += qname[off] + 1
        return -1

    def route(self, qname: bytes) -> tuple[Upstream, ...] | str:
        """Servers for a lowercased wire name, in order, or LOCAL; () when there are none."""
        rules = self._rules
        if rules:
            off = 0
            while qname[off]:
                hit = rules.get(qname[off:])
                if hit is not None:
                    return hit
                off += qname[off] + 1
            if qname[0] and qname[qname[0] + 1] == 0:
                hit = rules.get(b"")
                if hit is not None:
                    return hit
        if self._wild:
            text = name_text(qname).lower().encode()
            for pattern, target in self._wild:
                if text.endswith(pattern):
                    return target
        return self.defaults

    def all_servers(self) -> tuple[Upstream, ...]:
        """Every upstream the table names, in first-seen order (servers.bind), including
        the disabled ones."""
        return self._all

    def usable_servers(self) -> tuple[Upstream, ...]:
        """The servers queries may go to (all but the disabled ones)."""
        return tuple(u for u in self._all if u not in self.disabled)

    def _every_server(self) -> tuple[Upstream, ...]:
        seen: dict[Upstream, None] = dict.fromkeys(self.defaults)
        groups: Iterable[tuple[Upstream, ...] | str] = (
            *self._rules.values(),
            *(t for _, t in self._wild),
        )
        for group in groups:
            if not isinstance(group, str):
                seen.update(dict.fromkeys(group))
        return tuple(seen)
