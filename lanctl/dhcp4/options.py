"""DHCPv4 option values: encoders per value kind and the choice of configured options.

`encode_value` turns the text of a --dhcp-option / --dhcp-option-force line into octets
by the option's kind (lanctl.config.dhcp_names): address lists (0.0.0.0 means "this
server", as in dnsmasq), integers of fixed width, names and strings, RFC 1035 domain
lists (option 119, RFC 3397, written uncompressed), durations; options of unknown kind
are read as dnsmasq does: colon hex, a decimal in the fewest octets, dotted quads, else
text.  `select_options` picks, per option code, the row whose `tag:` conditions match with
the most positive tags (dnsmasq: a tagged option overrides an untagged one); the chosen
rows come out in reverse configuration order, as dnsmasq (which prepends each line) sends
them.  `select_encapsulated` builds the container options: `encap:<opt>` sub-options
(option <opt>, closed by an END octet), `vendor:<class>` ones (option 43 when <class> is
a substring of the vendor class: the option 60 we send, else the client's, then echoed in
option 60; `vendor:` alone always matches) and RFC 3925 `vi-encap:<enterprise>` (option
125: per enterprise, its number, a length and the sub-options).  Sub-options keep 0.0.0.0.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final, TypeVar

from lanctl.config.dhcp_names import DHCP4_KINDS, OptionKind, kind_size
from lanctl.config.grammar.dhcp_option import DhcpOption
from lanctl.config.grammar.fields import lease_seconds, parse_hex
from lanctl.errors import ConfigError
from lanctl.tags import matches, specificity

__all__ = [
    "Chosen",
    "encode_domains",
    "encode_value",
    "select_encapsulated",
    "select_options",
    "vendor_class_for",
]

_ADDR_CHARS: Final = frozenset("0123456789.")
_SIZE_FLAGS: Final = {"b": 1, "s": 2, "i": 4}  # dnsmasq: "5b" one octet, "5s" two, "5i" four
VENDOR_SPECIFIC: Final = 43
VENDOR_CLASS: Final = 60
K = TypeVar("K")
VI_VENDOR: Final = 125  # RFC 3925 vendor-identifying vendor-specific information


@dataclass(frozen=True, slots=True)
class Chosen:
    """A configured option ready to send: its octets and whether it is forced."""

    code: int
    value: bytes
    force: bool


def _addr(text: str, server: IPv4Address | None) -> bytes:
    addr = IPv4Address(text.split("/", 1)[0])
    if server is None:
        return addr.packed
    return (server if int(addr) == 0 else addr).packed  # dnsmasq: 0.0.0.0 = this machine


def _is_addr(text: str) -> bool:
    if not text or not set(text) <= _ADDR_CHARS or text.count(".") != 3:
        return False
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True


def encode_domains(names: Iterable[str]) -> bytes:
    """RFC 1035 §3.1 names, each ending in the root label (RFC 3397 without compression)."""
    out = bytearray()
    for name in names:
        for label in name.strip(".").split("."):
            if label:
                raw = label.encode("idna") if not label.isascii() else label.encode()
                out += bytes((len(raw),)) + raw[:63]
        out.append(0)
    return bytes(out)


def _int(text: str, size: int | None) -> bytes:
    value = int(text)
    if size is None:
        size = 1 if value <= 0xFF else 2 if value <= 0xFFFF else 4
    return value.to_bytes(size, "big")


def _any(values: Sequence[str], server: IPv4Address | None) -> bytes:
    """dnsmasq's guess for an option of unknown kind: hex, decimal, addresses, or text."""
    joined = ",".join(values)
    if len(values) == 1 and ":" in joined:
        try:
            return parse_hex(joined, None)[0]
        except ConfigError:
            pass
    if len(values) == 1 and joined.isascii() and joined.isdigit():
        return _int(joined, None)
    size = _SIZE_FLAGS.get(joined[-1:])
    if len(values) == 1 and size is not None and joined[:-1].isascii() and joined[:-1].isdigit():
        return _int(joined[:-1], size)
    if values and all(_is_addr(v) for v in values):
        return b"".join(_addr(v, server) for v in values)
    return joined.encode()


def encode_value(
    kind: OptionKind, values: Sequence[str], *, literal: bool, server: IPv4Address | None
) -> bytes:
    """The octets of one option's value (an option with no values is empty)."""
    if not values:
        return b""
    if literal:
        return ",".join(values).encode()
    if kind == "addr":
        return b"".join(_addr(v, server) for v in values)
    if kind in ("int1", "int2", "int4"):
        return _int(values[0], kind_size(kind))
    if kind == "time":
        seconds = lease_seconds(values[0])
        return (0xFFFFFFFF if seconds is None else min(seconds, 0xFFFFFFFF)).to_bytes(4, "big")
    if kind == "domains":
        return encode_domains(values)
    if kind in ("name", "cstring"):
        return ",".join(values).encode()
    return _any(values, server)


def select_options(
    rows: Iterable[DhcpOption], tags: frozenset[str], server: IPv4Address
) -> dict[int, Chosen]:
    """Per option code, the best matching plain DHCPv4 row, encoded (config order kept)."""
    best = _best(((row.code, row) for row in rows if not row.encapsulated), tags)
    out: dict[int, Chosen] = {}
    for (code, _), row in best:
        kind = DHCP4_KINDS.get(code, "any")
        try:
            value = encode_value(kind, row.values, literal=row.literal, server=server)
        except (ValueError, OverflowError):
            continue  # a value dnsmasq would also have refused at start-up
        out[code] = Chosen(code, value, row.force)
    return out


def _best(
    keyed: Iterable[tuple[K, DhcpOption]], tags: frozenset[str]
) -> list[tuple[tuple[K, int], DhcpOption]]:
    """Per key, the matching row with the most positive tags; newest configuration first."""
    best: dict[K, tuple[int, int, DhcpOption]] = {}
    for index, (key, row) in enumerate(keyed):
        if row.family != 4 or not matches(row.match_tags, tags):
            continue
        rank = specificity(row.match_tags)
        held = best.get(key)
        if held is None or rank >= held[0]:  # later lines win among equals
            best[key] = (rank, index, row)
    order = sorted(best.items(), key=lambda item: -item[1][1])
    return [((key, index), row) for key, (_, index, row) in order]


def _sub(row: DhcpOption) -> bytes | None:
    """One sub-option TLV (values guessed as for unknown options, 0.0.0.0 kept)."""
    try:
        value = encode_value("any", row.values, literal=row.literal, server=None)
    except (ValueError, OverflowError):
        return None
    return bytes((row.code, len(value[:255]))) + value[:255]


def vendor_class_for(
    request: Mapping[int, bytes], configured: Mapping[int, Chosen]
) -> bytes | None:
    """The class `vendor:` rows match: option 60 when we send one (dnsmasq), else the client's."""
    own = configured.get(VENDOR_CLASS)
    asked = request.get(55)
    if own is not None and (own.force or asked is None or VENDOR_CLASS in asked):
        return own.value
    return request.get(VENDOR_CLASS) or None


def select_encapsulated(
    rows: Iterable[DhcpOption], tags: frozenset[str], vendor_class: bytes | None
) -> dict[int, Chosen]:
    """Options 125, encap:<opt> containers and 43 (+ 60) for this client, in dnsmasq's order."""
    if not rows:  # the usual case: no encapsulated option configured
        return {}
    rows = tuple(r for r in rows if r.family == 4 and r.encapsulated)
    if not rows:
        return {}
    vi: dict[int, list[DhcpOption]] = {}
    encap: dict[int, list[DhcpOption]] = {}
    vendor: list[DhcpOption] = []
    keyed: list[tuple[object, DhcpOption]] = []
    for row in rows:
        if row.vendor is not None:
            if row.vendor and (vendor_class is None or row.vendor.encode() not in vendor_class):
                continue
            keyed.append((("v", row.code), row))
        elif row.vi_encap is not None:
            keyed.append((("vi", row.vi_encap, row.code), row))
        elif row.encap is not None:
            keyed.append((("e", row.encap, row.code), row))
    for _, row in _best(keyed, tags):
        if row.vendor is not None:
            vendor.append(row)
        elif row.vi_encap is not None:
            vi.setdefault(row.vi_encap, []).append(row)
        elif row.encap is not None:
            encap.setdefault(row.encap, []).append(row)
    out: dict[int, Chosen] = {}
    if vi:
        data = bytearray()
        for enterprise, subs in vi.items():
            body = b"".join(t for t in map(_sub, subs) if t is not None)
            data += enterprise.to_bytes(4, "big") + bytes((len(body[:255]),)) + body[:255]
        out[VI_VENDOR] = Chosen(
            VI_VENDOR, bytes(data), any(r.force for s in vi.values() for r in s)
        )
    for code, subs in encap.items():
        body = b"".join(t for t in map(_sub, subs) if t is not None) + b"\xff"
        out[code] = Chosen(code, body, any(r.force for r in subs))
    if vendor:
        body = b"".join(t for t in map(_sub, vendor) if t is not None) + b"\xff"
        force = any(r.force for r in vendor)
        out[VENDOR_SPECIFIC] = Chosen(VENDOR_SPECIFIC, body, force)
    return out
