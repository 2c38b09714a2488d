"""Option-spec pieces shared by --dhcp-option and --dhcp-match: option names, value checks.

`option_code` reads `<n>`, `option:<name>` or `option6:<name|n>` against the tables in
lanctl.config.dhcp_names.  `check_values` applies the checks dnsmasq makes at start-up
(address-list options need addresses: "bad IP address", "bad IPv4 address", "bad IPv6
address"); other kinds accept any text, as dnsmasq does.  `match_bytes` turns a
--dhcp-match value (hex with * wildcards, decimal, dotted quad or text) into octets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Final, Literal

from lanctl.config.dhcp_names import (
    DHCP4_KINDS,
    DHCP4_NAMES,
    DHCP6_KINDS,
    DHCP6_NAMES,
    OptionKind,
    kind_size,
)
from lanctl.config.grammar.fields import parse_hex
from lanctl.errors import ConfigError, Where

__all__ = ["ValueKind", "check_values", "match_bytes", "option_code", "option_kind"]

ValueKind = Literal["hex", "int", "addr", "string"]

_ADDR_CHARS: Final = frozenset("0123456789./")
_INT_FLAGS: Final = {"b": 1, "s": 2, "i": 4}


def option_code(item: str, where: Where, message: str) -> tuple[int, int, str | None] | None:
    """`(family, code, name)` for "<n>", "option:<x>" or "option6:<x>"; None if neither."""
    lower = item.lower()
    if lower.startswith("option6:") or lower.startswith("option:"):
        family = 6 if lower.startswith("option6:") else 4
        spec = item.split(":", 1)[1].strip()
        names = DHCP6_NAMES if family == 6 else DHCP4_NAMES
        if family == 6 and spec.isascii() and spec.isdigit():
            code = int(spec)
            if not 1 <= code <= 0xFFFF:
                raise ConfigError(message, where)
            return family, code, None
        if spec not in names:
            raise ConfigError(message, where)
        return family, names[spec], spec
    if item.isascii() and item.isdigit():
        code = int(item)
        if not 1 <= code <= 255:
            raise ConfigError(message, where)
        return 4, code, None
    return None


def option_kind(family: int, code: int) -> OptionKind:
    """The value kind of a plain (not encapsulated) option."""
    return (DHCP6_KINDS if family == 6 else DHCP4_KINDS).get(code, "any")


def _v4_addr(text: str) -> bool:
    addr, _, prefix = text.partition("/")
    try:
        ipaddress.IPv4Address(addr)
    except ValueError:
        return False
    return not prefix or (prefix.isdigit() and int(prefix) <= 32)


def _v6_addr(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    return True


def check_values(
    family: int, kind: OptionKind, values: Sequence[str], literal: bool, where: Where
) -> None:
    """Reject what dnsmasq rejects for an address-list option; accept anything else."""
    if kind != "addr" or not values:
        return
    if family == 6:
        if literal or not all(_v6_addr(v) for v in values):
            raise ConfigError("bad IPv6 address", where)
        return
    if literal or not all(set(v) <= _ADDR_CHARS for v in values):
        raise ConfigError("bad IP address", where)
    if not all(_v4_addr(v) for v in values):
        raise ConfigError("bad IPv4 address", where)


def _int_bytes(text: str, kind: OptionKind) -> bytes | None:
    size = kind_size(kind)
    digits = text
    if text and text[-1] in _INT_FLAGS:
        size = _INT_FLAGS[text[-1]]
        digits = text[:-1]
    if not digits.isascii() or not digits.isdigit():
        return None
    value = int(digits)
    if size is None:
        size = 1 if value <= 0xFF else 2 if value <= 0xFFFF else 4
    if value >= 1 << (8 * size):
        return None
    return value.to_bytes(size, "big")


def match_bytes(
    text: str, kind: OptionKind, literal: bool, where: Where
) -> tuple[bytes, bytes, ValueKind]:
    """A --dhcp-match value -> (octets, wildcard mask, how it was read).

    "01:ff:*:02" is hex with wildcard bytes (prefix match); a decimal number takes the
    option's integer width (or its b/s/i flag); a dotted quad is four octets; anything
    else, or quoted text, is a string (substring match).
    """
    if not literal:
        if ":" in text and not text.startswith("["):
            try:
                octets, mask = parse_hex(text, where, wildcards=True)
            except ConfigError:
                pass
            else:
                return octets, mask, "hex"
        number = _int_bytes(text, kind)
        if number is not None:
            return number, bytes(len(number)), "int"
        if set(text) <= _ADDR_CHARS and _v4_addr(text) and "/" not in text:
            packed = ipaddress.IPv4Address(text).packed
            return packed, bytes(4), "addr"
    octets = text.encode()
    return octets, bytes(len(octets)), "string"
