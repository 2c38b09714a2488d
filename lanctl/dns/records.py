"""Static local records: --cname, --txt-record, --ptr-record, --srv-host, --mx-host,
--mx-target, --localmx, --selfmx, --naptr-record, --caa-record and --dns-rr.

RDATA as RFC 1035 §3.3 (CNAME, MX, PTR, TXT: character-strings of at most 255 octets, so a
longer text is cut into 255-octet pieces, as dnsmasq), RFC 2782 (SRV), RFC 3403 §4.1 (NAPTR),
RFC 8659 §4.1 (CAA) and RFC 3597 (any other type, --dns-rr).  Checked against dnsmasq 2.90
with dig: a record answers its own type and ANY (other types of the name are not local);
TTLs are --local-ttl, a --cname's own TTL when given; --ptr-record beats hosts-file PTRs;
an SRV or PTR without target has the root as target (SRV "0 0 1 ."); an MX without target
points at --mx-target, else this host's name; --localmx/--selfmx give every name with
addresses in local data an MX of preference 1 unless an --mx-host names it.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass, field
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns.rules import attr, seq
from lanctl.dns.wire import QType, encode_name


@dataclass(frozen=True, slots=True)
class LocalRR:
    """One answer record: type, TTL, RDATA, and the source/value for dnsmasq's log line.
    `owner` is the wire owner name, b"" for the question's name (a compression pointer)."""

    rtype: int
    ttl: int
    rdata: bytes
    source: str
    text: str
    owner: bytes = b""


@dataclass(slots=True)
class Records:
    """The records of one (re)load, keyed by lowercase dotted name (bytes)."""

    by_name: dict[bytes, list[LocalRR]] = field(default_factory=dict)
    cnames: dict[bytes, tuple[bytes, str, int]] = field(default_factory=dict)  # target, ttl
    local_mx: bytes | None = None  # --localmx target (wire), when set
    self_mx: bool = False
    ttl: int = 0
    no_auto_mx: frozenset[bytes] = frozenset()  # --interface-name names: not "machines"

    def get(self, name: bytes, qtype: int) -> list[LocalRR]:
        """Records of `name` answering `qtype` (ANY: all of them, in config order)."""
        rows = self.by_name.get(name)
        if not rows:
            return []
        if qtype == QType.ANY:
            return list(rows)
        return [rr for rr in rows if rr.rtype == qtype]

    def has_mx(self, name: bytes) -> bool:
        return any(rr.rtype == QType.MX for rr in self.by_name.get(name, ()))

    def auto_mx(self, name: bytes) -> LocalRR | None:
        """The --localmx/--selfmx MX for a name that has addresses, or None."""
        if self.self_mx:
            target = to_wire_text(name.decode())
        elif self.local_mx is not None:
            target = self.local_mx
        else:
            return None
        if name in self.no_auto_mx or self.has_mx(name):
            return None
        return LocalRR(QType.MX, self.ttl, b"\x00\x01" + target, CONFIG, "<MX>")

    def names(self) -> list[bytes]:
        return [*self.by_name, *self.cnames]

    def __bool__(self) -> bool:
        return bool(self.by_name or self.cnames or self.local_mx is not None or self.self_mx)


CONFIG: Final = "config"


def to_wire_text(name: str) -> bytes:
    """Dotted text (maybe "") to wire format; the root for ""."""
    return encode_name(name) if name else b"\x00"


def char_strings(text: str) -> bytes:
    """RFC 1035 §3.3 character-strings: pieces of at most 255 octets ("" is one empty one)."""
    raw = text.encode()
    if not raw:
        return b"\x00"
    return b"".join(
        bytes((len(p),)) + p for p in (raw[i : i + 255] for i in range(0, len(raw), 255))
    )


def _one_string(text: str) -> bytes:
    raw = text.encode()[:255]
    return bytes((len(raw),)) + raw


def _key(name: object) -> bytes:
    return str(name).lower().strip(".").encode()


def build_records(cfg: DnsCfg) -> Records:
    """The records of the config, in config order per name."""
    ttl = cfg.local_ttl
    recs = Records(ttl=ttl)

    def add(name: object, rtype: int, rdata: bytes, text: str) -> None:
        recs.by_name.setdefault(_key(name), []).append(LocalRR(rtype, ttl, rdata, CONFIG, text))

    default_mx = cfg.mx_target or socket.gethostname()
    for mx in cfg.mx_host:
        target = attr(mx, "target")
        target_text = str(target) if target is not None else default_mx
        pref = int(str(attr(mx, "preference", 1)))
        add(attr(mx, "name"), QType.MX, struct.pack("!H", pref) + to_wire_text(target_text), "<MX>")
    for srv in cfg.srv_host:
        target = attr(srv, "target")
        rdata = struct.pack(
            "!HHH",
            int(str(attr(srv, "priority", 0))),
            int(str(attr(srv, "weight", 0))),
            int(str(attr(srv, "port", 1))),
        ) + to_wire_text(str(target) if target is not None else "")
        add(attr(srv, "service_name"), QType.SRV, rdata, "<SRV>")
    for txt in cfg.txt_record:
        texts = attr(txt, "texts", ("",))
        parts = texts if isinstance(texts, tuple) else ("",)
        add(attr(txt, "name"), QType.TXT, b"".join(char_strings(str(t)) for t in parts), "<TXT>")
    for ptr in cfg.ptr_record:
        target = attr(ptr, "target")
        target_text = str(target) if target is not None else ""
        add(attr(ptr, "name"), QType.PTR, to_wire_text(target_text), target_text or "<PTR>")
    for n in cfg.naptr_record:
        repl = attr(n, "replacement")
        rdata = (
            struct.pack("!HH", int(str(attr(n, "order"))), int(str(attr(n, "preference"))))
            + _one_string(str(attr(n, "flags")))
            + _one_string(str(attr(n, "service")))
            + _one_string(str(attr(n, "regexp")))
            + to_wire_text(str(repl) if repl is not None else "")
        )
        add(attr(n, "name"), 35, rdata, "<NAPTR>")
    for caa in cfg.caa_record:
        tag = str(attr(caa, "tag")).encode()[:255]
        rdata = (
            bytes((int(str(attr(caa, "flags"))), len(tag))) + tag + str(attr(caa, "value")).encode()
        )
        add(attr(caa, "name"), 257, rdata, "<CAA>")
    for rr in cfg.dns_rr:
        data = attr(rr, "data", b"")
        rtype = int(str(attr(rr, "rrtype")))
        add(attr(rr, "name"), rtype, data if isinstance(data, bytes) else b"", "<RR>")
    for cn in cfg.cname:
        target = str(attr(cn, "target"))
        cttl = attr(cn, "ttl")
        for alias in seq(attr(cn, "aliases")):
            recs.cnames[_key(alias)] = (
                _key(target),
                target,
                ttl if cttl is None else int(str(cttl)),
            )
    recs.self_mx = cfg.selfmx
    if cfg.localmx:
        recs.local_mx = to_wire_text(default_mx)
    return recs


__all__ = ["LocalRR", "Records", "build_records", "char_strings"]
