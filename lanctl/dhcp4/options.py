"""DHCPv4 option values: encoders per value kind and the choice of configured options.

`encode_value` turns the text of a --dhcp-option / --dhcp-option-force line into octets
by the option's kind (lanctl.config.dhcp_names): address lists (0.0.0.0 means "this
server", as in dnsmasq), integers of fixed width, names and strings, RFC 1035 domain
lists (option 119, RFC 3397, written uncompressed), durations; options of unknown kind
are read as dnsmasq does: colon hex, a decimal in the fewest octets, dotted quads, else
text.  `select_options` picks, per option code, the row whose `tag:` conditions match with
the most positive tags (dnsmasq: a tagged option overrides an untagged one).  Not yet:
encap:, vi-encap:, vendor: (option 43/125 sub-options) rows are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from lanctl.config.dhcp_names import DHCP4_KINDS, OptionKind, kind_size
from lanctl.config.grammar.dhcp_option import DhcpOption
from lanctl.config.grammar.fields import lease_seconds, parse_hex
from lanctl.errors import ConfigError
from lanctl.tags import matches, specificity

__all__ = ["Chosen", "encode_domains", "encode_value", "select_options"]

_ADDR_CHARS: Final = frozenset("0123456789.")


@dataclass(frozen=True, slots=True)
class Chosen:
    """A configured option ready to send: its octets and whether it is forced."""

    code: int
    value: bytes
    force: bool


def _addr(text: str, server: IPv4Address) -> bytes:
    addr = IPv4Address(text.split("/", 1)[0])
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


def _any(values: Sequence[str], server: IPv4Address) -> bytes:
    """dnsmasq's guess for an option of unknown kind: hex, decimal, addresses, or text."""
    joined = ",".join(values)
    if len(values) == 1 and ":" in joined:
        try:
            return parse_hex(joined, None)[0]
        except ConfigError:
            pass
    if len(values) == 1 and joined.isascii() and joined.isdigit():
        return _int(joined, None)
    if values and all(_is_addr(v) for v in values):
        return b"".join(_addr(v, server) for v in values)
    return joined.encode()


def encode_value(
    kind: OptionKind, values: Sequence[str], *, literal: bool, server: IPv4Address
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
    best: dict[int, tuple[int, DhcpOption]] = {}
    for row in rows:
        if row.family != 4 or row.encapsulated or not matches(row.match_tags, tags):
            continue
        rank = specificity(row.match_tags)
        held = best.get(row.code)
        if held is None or rank >= held[0]:  # later lines win among equals
            best[row.code] = (rank, row)
    out: dict[int, Chosen] = {}
    for code, (_, row) in best.items():
        kind = DHCP4_KINDS.get(code, "any")
        try:
            value = encode_value(kind, row.values, literal=row.literal, server=server)
        except (ValueError, OverflowError):
            continue  # a value dnsmasq would also have refused at start-up
        out[code] = Chosen(code, value, row.force)
    return out
