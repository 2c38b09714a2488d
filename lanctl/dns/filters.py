"""Query and reply filters applied around forwarding (dnsmasq's privacy and safety options).

Before forwarding: --domain-needed (A/AAAA/ANY for names without a dot: NXDOMAIN),
--bogus-priv (reverse lookups in the RFC 6303 private zones: NXDOMAIN, not forwarded),
--filterwin2k (SOA and SRV queries, and ANY for names with an underscore, are not forwarded),
--filter-A/--filter-AAAA/--filter-rr=<types>: those records are removed from the answer
section of forwarded replies, the rest passes (dnsmasq 2.90, checked on the wire: an ANY
answer keeps its other records, the additional section is left alone, flags are upstream's);
--filter-rr=ANY: replies to ANY questions keep only A, AAAA, MX and CNAME (RFC 8482 §4.3),
and for those replies this rule alone applies (so does dnsmasq).
After forwarding: --stop-dns-rebind drops answers carrying private, loopback (unless
--rebind-localhost-ok), link-local, ULA or documentation addresses (RELIABILITY.md §3b list,
dnsmasq's private_net/private_net6), except under --rebind-domain-ok domains; dnsmasq
answers such a query NOERROR with an empty answer section, and so do we.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from lanctl.dns.reply import Body, parse_body
from lanctl.dns.wire import HEADER, QType, Rcode, encode_name, name_text
from lanctl.errors import DecodeError

_V4: Final = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.2.0/24", "192.168.0.0/16", "198.51.100.0/24", "203.0.113.0/24",
    "255.255.255.255/32",
))  # fmt: skip
_V4_LOOP: Final = ipaddress.ip_network("127.0.0.0/8")
_V6: Final = tuple(ipaddress.ip_network(n) for n in (
    "::/128", "fe80::/10", "fec0::/10", "fd00::/8", "fc00::/7", "2001:db8::/32",
))  # fmt: skip
# RFC 6303 §4.1-§4.2 IPv4 and §4.3-§4.5 IPv6 zones (whole labels, wire form, lowercase).
_PRIVATE_ZONES: Final = frozenset(
    encode_name(z)
    for z in (
        "10.in-addr.arpa", "168.192.in-addr.arpa", "254.169.in-addr.arpa",
        "0.in-addr.arpa", "127.in-addr.arpa", "2.0.192.in-addr.arpa",
        "100.51.198.in-addr.arpa", "113.0.203.in-addr.arpa", "255.255.255.255.in-addr.arpa",
        *(f"{n}.172.in-addr.arpa" for n in range(16, 32)),
        *(f"{n}.100.in-addr.arpa" for n in range(64, 128)),
        "d.f.ip6.arpa", "8.e.f.ip6.arpa", "9.e.f.ip6.arpa", "a.e.f.ip6.arpa", "b.e.f.ip6.arpa",
        "8.b.d.0.1.0.0.2.ip6.arpa",
        "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
        "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FilterPolicy:
    """The filter options (all off by default)."""

    domain_needed: bool = False
    bogus_priv: bool = False
    filterwin2k: bool = False
    filter_a: bool = False
    filter_aaaa: bool = False
    stop_rebind: bool = False
    rebind_localhost_ok: bool = False
    rebind_domain_ok: tuple[str, ...] = ()
    filter_rr: frozenset[int] = frozenset()  # --filter-rr types; ANY (255): the ANY rule


ANY_KEEPS: Final = frozenset((QType.A, QType.AAAA, QType.MX, QType.CNAME))  # --filter-rr=ANY


@dataclass(frozen=True, slots=True)
class Verdict:
    """A query answered without forwarding: the rcode and the dnsmasq log word."""

    rcode: int
    what: str
    aa: bool = False  # dnsmasq marks all but --domain-needed answers authoritative


def _suffixes(qname: bytes) -> list[bytes]:
    out: list[bytes] = []
    off = 0
    while qname[off]:
        out.append(qname[off:])
        off += qname[off] + 1
    return out


class Filters:
    """Query-side and reply-side checks for one configuration."""

    def __init__(self, policy: FilterPolicy) -> None:
        self.policy = policy
        self._ok_domains = frozenset(encode_name(d) for d in policy.rebind_domain_ok
                                     if d and not d.startswith("*"))  # fmt: skip
        self._ok_wild = tuple(d[1:] for d in policy.rebind_domain_ok if d.startswith("*"))
        self.active = any(
            (policy.domain_needed, policy.bogus_priv, policy.filterwin2k)
        )  # fmt: skip
        drop = set(policy.filter_rr - {QType.ANY})
        if policy.filter_a:
            drop.add(QType.A)
        if policy.filter_aaaa:
            drop.add(QType.AAAA)
        self._drop = frozenset(drop)
        self._any_rule = QType.ANY in policy.filter_rr
        self.strips = bool(drop) or self._any_rule

    def check_query(self, qname: bytes, qtype: int) -> Verdict | None:
        """An answer for a query that must not be forwarded, or None to forward it."""
        p = self.policy
        plain = qname[0] == 0 or qname[qname[0] + 1] == 0
        if p.domain_needed and plain and qtype in (QType.A, QType.AAAA, QType.ANY):
            return Verdict(Rcode.NXDOMAIN, "NXDOMAIN")
        reverse = qtype in (QType.PTR, QType.ANY, QType.SOA, QType.NS)
        if p.bogus_priv and reverse and any(s in _PRIVATE_ZONES for s in _suffixes(qname)):
            return Verdict(Rcode.NXDOMAIN, "NXDOMAIN", aa=True)
        if p.filterwin2k:
            if qtype in (QType.SOA, QType.SRV):
                return Verdict(Rcode.NOERROR, "NODATA", aa=True)
            if qtype == QType.ANY and b"_" in qname:
                return Verdict(Rcode.NOERROR, "NODATA", aa=True)
        return None

    def removes(self, qtype: int, rtype: int) -> bool:
        """Whether an answer record of `rtype` goes from the reply to a `qtype` question.
        dnsmasq (on the wire): for an ANY question the --filter-rr=ANY rule replaces the
        type filters, so --filter-AAAA then leaves the AAAA records of an ANY answer."""
        if self._any_rule and qtype == QType.ANY:
            return rtype not in ANY_KEEPS
        return rtype in self._drop

    def filtered(self, question: bytes, body: Body) -> tuple[Body, str | None] | None:
        """The reply without the answer records the filters remove, and the dnsmasq log
        word when the answer ends up empty ("NODATA-IPv4" for an A question under
        --filter-A, else "NODATA"); None when nothing is removed (the reply passes)."""
        qtype = int.from_bytes(question[-4:-2], "big")
        if not any(r.section == 0 and self.removes(qtype, r.rtype) for r in body.records):
            return None
        try:
            out = _without(question, body, lambda t: self.removes(qtype, t))
        except DecodeError:  # not parseable by dnspython: drop the whole answer
            out = Body(body.flags, b"", (0, 0, 0), (), (), False)
        if out.counts[0]:
            return out, None
        return out, "NODATA-IPv4" if qtype == QType.A and self.policy.filter_a else "NODATA"

    def rebind_exempt(self, qname: bytes) -> bool:
        if any(s in self._ok_domains for s in _suffixes(qname)):
            return True
        if self._ok_wild:
            text = name_text(qname).lower()
            return any(text.endswith(w) for w in self._ok_wild)
        return False

    def rebinding(self, qname: bytes, body: Body) -> bool:
        """True when --stop-dns-rebind must drop this reply's answers."""
        if not self.policy.stop_rebind or self.rebind_exempt(qname):
            return False
        return any(
            rec.section == 0 and self.private_address(rec.rtype, rec.rdata) for rec in body.records
        )

    def private_address(self, rtype: int, rdata: bytes) -> bool:
        """Whether an A/AAAA RDATA is in the rebinding ranges."""
        if rtype == QType.A and len(rdata) == 4:
            a4 = ipaddress.IPv4Address(rdata)
            if a4 in _V4_LOOP:
                return not self.policy.rebind_localhost_ok
            return any(a4 in n for n in _V4)
        if rtype == QType.AAAA and len(rdata) == 16:
            a6 = ipaddress.IPv6Address(rdata)
            if a6 == ipaddress.IPv6Address("::1"):
                return not self.policy.rebind_localhost_ok
            mapped = a6.ipv4_mapped
            if mapped is not None:
                return self.private_address(QType.A, mapped.packed)
            return any(a6 in n for n in _V6)
        return False


DNSSEC_TYPES: Final = frozenset((46, 47, 50))  # RRSIG, NSEC, NSEC3 (RFC 4034, RFC 5155)


def without_dnssec(question: bytes, body: Body) -> Body | None:
    """A DO reply made fit for plain queries: RRSIG/NSEC/NSEC3 removed from every section
    (dnsmasq, not validating, caches a DO reply's data for plain queries only); None when
    it cannot be rebuilt."""
    if not any(r.rtype in DNSSEC_TYPES for r in body.records):
        return body
    try:
        return _without(question, body, DNSSEC_TYPES.__contains__, everywhere=True)
    except DecodeError:
        return None


def _without(
    question: bytes, body: Body, drop: Callable[[int], bool], everywhere: bool = False
) -> Body:
    """`body` with the answer RRsets (every section's: `everywhere`) whose type `drop`
    accepts removed.  Rare path (only replies a filter hits): dnspython rebuilds the
    message, so compression pointers into removed records cannot dangle.  DecodeError
    when dnspython cannot parse it."""
    import dns.exception
    import dns.message

    an, ns, ar = body.counts
    wire = HEADER.pack(0, 0x8000 | body.flags, 1, an, ns, ar) + question + body.data
    try:
        msg = dns.message.from_wire(wire, ignore_trailing=True)
        msg.answer = [rrset for rrset in msg.answer if not drop(rrset.rdtype)]
        if everywhere:
            msg.authority = [rrset for rrset in msg.authority if not drop(rrset.rdtype)]
            msg.additional = [rrset for rrset in msg.additional if not drop(rrset.rdtype)]
        out = msg.to_wire()
    except dns.exception.DNSException as exc:
        raise DecodeError(f"cannot filter the reply: {exc}") from None
    return parse_body(out, 12 + len(question))


def rebind_domains(values: Sequence[object]) -> tuple[str, ...]:
    """Flatten --rebind-domain-ok values (tuples of domains) into one tuple."""
    out: list[str] = []
    for v in values:
        out.extend(str(d) for d in (v if isinstance(v, tuple) else (v,)))
    return tuple(out)
