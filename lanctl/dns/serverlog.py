"""dnsmasq's log lines about its upstream servers, at start and when they change.

Shapes and order as dnsmasq 2.90 prints them (checked side by side): every --server with
an address, in configuration order, one line per domain ("using nameserver 192.0.2.53#53
for domain lan " — with dnsmasq's trailing space — "for unqualified names " for `//`,
"(via eth0)" for @interface); then "warning: no upstream servers configured" when there
is none and no resolv file is read; then `#` rules ("using standard nameservers for
DOMAIN").  Local-only domains ("using only locally-known addresses for DOMAIN") come
next, from the local data (rules.py), so serve() loads the routes first.
resolv.conf servers follow "reading FILE" ("no servers found in FILE, will retry").
"""

from __future__ import annotations

from collections.abc import Sequence

from lanctl.dns.upstreams import Upstream, upstream_of


def _label(up: Upstream) -> str:
    via = f"(via {up.interface})" if up.interface else ""
    return f"using nameserver {up.label}{via}"


def _domain_text(domain: str) -> str:
    return "unqualified names" if domain == "" else f"domain {domain}"


def server_lines(specs: Sequence[object], no_resolv: bool) -> list[str]:
    """The lines for the --server/--rev-server specs that name upstreams."""
    named: list[str] = []
    standard: list[str] = []
    for spec in specs:
        raw = getattr(spec, "domains", ())
        domains = tuple(str(d) for d in raw) if isinstance(raw, tuple) else ()
        up = upstream_of(spec)
        if up is not None:
            if not domains:
                named.append(_label(up))
            named.extend(f"{_label(up)} for {_domain_text(d)} " for d in domains)
        elif getattr(spec, "use_standard", False):
            standard.extend(f"using standard nameservers for {d}" for d in domains)
    warn = [] if named or not no_resolv else ["warning: no upstream servers configured"]
    return named + warn + standard


def resolv_lines(path: str, servers: Sequence[Upstream]) -> list[str]:
    """The lines for one resolv file just read."""
    if not servers:
        return [f"no servers found in {path}, will retry"]
    return [f"reading {path}", *(_label(up) for up in servers)]


__all__ = ["resolv_lines", "server_lines"]
