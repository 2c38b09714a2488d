"""Query-name helpers of the local data: reverse names (RFC 1035 §3.5 in-addr.arpa,
RFC 3596 §2.5 ip6.arpa) to addresses, wire names to the name table's dotted form and back,
and a name's parent domains.  Names are lowercase wire format unless said otherwise.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Final

IN_ADDR: Final = b"\x07in-addr\x04arpa\x00"
IP6: Final = b"\x03ip6\x04arpa\x00"


def addr_text(packed: bytes) -> str:
    return str(ipaddress.ip_address(packed))


def reverse_addr(qname: bytes) -> bytes | None:
    """Packed address named by a full in-addr.arpa / ip6.arpa name (lowercase wire), or None."""
    if qname.endswith(IN_ADDR):
        labels = _labels(qname[: -len(IN_ADDR)] + b"\x00")
        if len(labels) != 4:
            return None
        if not all((x.isdigit() and len(x) <= 3 and x[:1] != b"0") or x == b"0" for x in labels):
            return None
        octets = [int(x) for x in labels]
        if max(octets) > 255:
            return None
        return bytes(reversed(octets))
    if qname.endswith(IP6):
        labels = _labels(qname[: -len(IP6)] + b"\x00")
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


def dotted(qname: bytes) -> bytes | None:
    """Lowercase wire name to the table's dotted form; None when a label holds a dot."""
    labels = _labels(qname)
    if any(b"." in label for label in labels):
        return None
    return b".".join(labels)


def to_wire(name: bytes) -> bytes:
    """Dotted name (table form) to wire format."""
    if not name:
        return b"\x00"
    return b"".join(bytes((len(label),)) + label for label in name.split(b".")) + b"\x00"


def suffixes(qname: bytes) -> Iterator[bytes]:
    """The name itself, then each parent, ending with the root (b"\\x00")."""
    off = 0
    while True:
        yield qname[off:]
        if qname[off] == 0:
            return
        off += qname[off] + 1
