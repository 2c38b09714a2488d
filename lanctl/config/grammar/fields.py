"""Lexical pieces shared by the DHCP value grammars: comma fields, quotes, hex, lease times.

dnsmasq splits an option value at commas (a space after a comma is ignored), protects
text inside double quotes (commas, dots and colons there are literal) and reads
colon-separated hex constants with `*` wildcard bytes.  Lease times are seconds with an
optional s/m/h/d/w suffix or "infinite".  Pure functions; errors are `ConfigError`.
"""

from __future__ import annotations

from typing import Final

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

INFINITE: Final = 0xFFFFFFFF
"""dnsmasq's "infinite" lease time."""

Field = str
"""One comma-separated field as written (quotes, if any, still in place)."""

_ESCAPES: Final = {"t": "\t", "n": "\n", "e": "\x1b", "b": "\b", "r": "\r", '"': '"', "\\": "\\"}
_SUFFIX: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_HEXDIGITS: Final = frozenset("0123456789abcdefABCDEF")


def split_fields(raw: str, where: Where | None, *, limit: int | None = None) -> list[Field]:
    """Split at commas outside double quotes; strip blanks around each field.

    With `limit`, at most `limit` fields are produced and the last keeps its commas
    (dnsmasq's fixed-size field arrays behave this way).
    """
    fields: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and quoted and i + 1 < len(raw):
            current.append(raw[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted and (limit is None or len(fields) < limit - 1):
            fields.append("".join(current).strip())
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    if quoted:
        raise ConfigError('missing "', where)
    fields.append("".join(current).strip())
    return fields


def is_quoted(text: str) -> bool:
    """True when any part of the field was written inside double quotes."""
    return '"' in text


def dequote(text: str) -> str:
    """Remove double quotes and turn escapes inside them (\\n, \\t, \\", ...) into characters."""
    out: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif ch == "\\" and quoted and i + 1 < len(text) and text[i + 1] in _ESCAPES:
            out.append(_ESCAPES[text[i + 1]])
            i += 1
        else:
            out.append(ch)
        i += 1
    return "".join(out)


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
