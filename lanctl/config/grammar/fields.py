"""Lexical pieces shared by the DHCP value grammars: comma fields, quotes, hex, lease times.

dnsmasq splits an option value at commas (a space after a comma is ignored), protects
text inside double quotes (commas, dots and colons there are literal) and reads
colon-separated hex constants with `*` wildcard bytes.  Lease times are seconds with an
optional s/m/h/d/w suffix or "infinite".  Pure functions; errors are `ConfigError`.
"""

from __future__ import annotations

from typing import Final

from lanctl.config.grammar.basic import INFINITE
from lanctl.config.lexer import split_unquoted, unquote
from lanctl.errors import ConfigError, Where

__all__ = [
    "INFINITE",
    "Field",
    "dequote",
    "is_quoted",
    "lease_seconds",
    "parse_hex",
    "parse_uint",
    "split_fields",
]


Field = str
"""One comma-separated field as written (quotes, if any, still in place)."""

_SUFFIX: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_HEXDIGITS: Final = frozenset("0123456789abcdefABCDEF")


def split_fields(raw: str, where: Where | None, *, limit: int | None = None) -> list[Field]:
    """Split at commas outside double quotes (dnsmasq's quote rules); strip blanks.

    With `limit`, at most `limit` fields are produced and the last keeps its commas
    (dnsmasq's fixed-size field arrays behave this way).
    """
    try:
        return split_unquoted(raw, ",", limit)
    except ValueError:
        raise ConfigError('missing "', where) from None


def is_quoted(text: str) -> bool:
    """True when any part of the field was written inside double quotes."""
    return '"' in text


def dequote(text: str) -> str:
    """Remove double quotes and turn escapes inside them (\\n, \\t, \\", ...) into characters."""
    try:
        return unquote(text)
    except ValueError:
        return text


def parse_uint(text: str, where: Where, message: str, *, maximum: int = INFINITE) -> int:
    """A plain decimal number (ASCII digits only) in 0..maximum."""
    if not text or not text.isascii() or not text.isdigit():
        raise ConfigError(message, where)
    value = int(text)
    if value > maximum:
        raise ConfigError(message, where)
    return value


def lease_seconds(text: str) -> int | None:
    """dnsmasq lease time: digits with an optional s/m/h/d/w suffix (any case), or "infinite".

    Returns None when `text` is not a lease time.  The value saturates at INFINITE; the
    120 s minimum is the caller's rule (it differs between options).
    """
    if text == "infinite":
        return INFINITE
    factor = 1
    digits = text
    if text and text[-1].lower() in _SUFFIX:
        factor = _SUFFIX[text[-1].lower()]
        digits = text[:-1]
    if not digits.isascii() or not digits.isdigit():
        return None
    return min(int(digits) * factor, INFINITE)


def parse_hex(text: str, where: Where | None, *, wildcards: bool = False) -> tuple[bytes, bytes]:
    """Colon-separated hex bytes ("01:2:ff", one or two digits each) -> (octets, wildcard mask).

    With `wildcards`, a byte may be `*`: its octet is 0 and its mask byte 0xFF.  A run of
    hex digits without colons ("0102ff") is read two digits at a time.
    """
    if not text:
        raise ConfigError("bad hex constant", where)
    octets = bytearray()
    mask = bytearray()
    parts = text.split(":")
    if len(parts) == 1 and len(text) > 2:
        if len(text) % 2 or not set(text) <= _HEXDIGITS:
            raise ConfigError("bad hex constant", where)
        parts = [text[i : i + 2] for i in range(0, len(text), 2)]
    for part in parts:
        if part == "*" and wildcards:
            octets.append(0)
            mask.append(0xFF)
        elif 1 <= len(part) <= 2 and set(part) <= _HEXDIGITS:
            octets.append(int(part, 16))
            mask.append(0)
        else:
            raise ConfigError("bad hex constant", where)
    return bytes(octets), bytes(mask)
