"""Basic value grammars for dnsmasq options: flags, numbers, durations, paths, lists.

Each parser is `(raw, where) -> value`, pure, and raises only `ConfigError(msg, where)`.
Acceptance follows dnsmasq 2.90 (`dnsmasq --test` was the oracle): e.g. an empty number
is 0 as in dnsmasq's `atoi_check`, lease times take s/m/h/d/w suffixes, "infinite" but not
"infinity". Used by --port, --cache-size, the *-ttl options, --interface,
--listen-address, --bogus-nxdomain, --dumpmask and the choice-valued flags. The file and
log options are in `files`, RR type lists and DNS retry/limit values in `dns_tuning`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Final

from lanctl.config.lexer import quoted_chars
from lanctl.errors import ConfigError, Where

__all__ = [
    "INFINITE",
    "choice",
    "comma_list",
    "duration",
    "flag",
    "hex_int",
    "interface_list",
    "ip_list",
    "ip_or_none",
    "ip_prefix",
    "is_decimal",
    "optional_ip_list",
    "optional_uint",
    "parse_ip",
    "path",
    "port",
    "split_quoted",
    "text",
    "ttl",
    "uint",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

INFINITE: Final = 0xFFFFFFFF  # RFC 2131 §3.3: an all-ones lease time means "infinite"
UINT32_MAX: Final = 0xFFFFFFFF
TTL_MAX: Final = 2**31 - 1  # RFC 2181 §8: TTLs are 31-bit
IFNAMSIZ: Final = 16  # Linux: 15 characters plus the NUL

_DURATION_FACTORS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def is_decimal(text: str) -> bool:
    """True for a non-empty run of ASCII digits (str.isdigit() also takes "²" and "٣")."""
    return text != "" and all("0" <= c <= "9" for c in text)


def _digits(raw: str, where: Where, message: str, maximum: int) -> int:
    """dnsmasq's atoi_check: only ASCII digits; the empty string is 0."""
    value = raw.strip()
    if not all("0" <= c <= "9" for c in value):
        raise ConfigError(message, where)
    number = int(value) if value else 0
    if number > maximum:
        raise ConfigError(f"{message}: {value} is larger than {maximum}", where)
    return number


def flag(raw: str, where: Where) -> bool:
    """An option without argument: "" -> True."""
    if raw != "":
        raise ConfigError("option takes no argument", where)
    return True


def text(raw: str, where: Where) -> str:
    """Any string, possibly empty."""
    return raw


def path(raw: str, where: Where) -> str | None:
    """A file or directory name; empty means "switched off" (e.g. --pid-file=) -> None."""
    value = raw.strip()
    return value or None


def uint(raw: str, where: Where) -> int:
    """A decimal number 0..2**32-1 ("" is 0, as dnsmasq's atoi_check)."""
    return _digits(raw, where, f'bad number "{raw}"', UINT32_MAX)


def optional_uint(raw: str, where: Where) -> int | None:
    """Like `uint`, but "" -> None (the option's default applies)."""
    return None if raw.strip() == "" else uint(raw, where)


def port(raw: str, where: Where) -> int:
    """A port number 0..65535 ("" is 0, as dnsmasq's atoi_check16)."""
    return _digits(raw, where, "bad port", 0xFFFF)


def ttl(raw: str, where: Where) -> int:
    """A time-to-live in seconds, 0..2**31-1.

    dnsmasq stores atoi() of any digit string (larger values overflow silently); lanctl
    refuses values beyond the 31 bits RFC 2181 §8 allows instead of wrapping them.
    """
    return _digits(raw, where, f'bad TTL "{raw}"', TTL_MAX)


def duration(raw: str, where: Where) -> int:
    """A lease time: "3600", "45m", "12h", "1d", "2w", "infinite" or "deprecated" (-> 0).

    The suffix is case-insensitive, the words are not (dnsmasq uses strcmp: "Infinite"
    and "infinity" are refused). As in dnsmasq a bare suffix ("h") means 0. Values at or
    beyond 2**32-1 seconds are the infinite lease.
    """
    value = raw.strip()
    if value == "infinite":
        return INFINITE
    if value == "deprecated":
        return 0
    if not value:
        raise ConfigError("missing lease time", where)
    factor = _DURATION_FACTORS.get(value[-1].lower())
    if factor is not None:
        value = value[:-1]
    else:
        factor = 1
    if not all("0" <= c <= "9" for c in value):
        raise ConfigError(f'bad lease time "{raw.strip()}"', where)
    seconds = (int(value) if value else 0) * factor
    return min(seconds, INFINITE)


def split_quoted(raw: str, where: Where, sep: str = ",") -> tuple[str, ...]:
    """Split on `sep` outside double quotes; remove the quotes and resolve escapes.

    This is dnsmasq's config-file quoting: inside "..." the separator is literal and
    the escapes \\\\ \\" \\t \\n \\r \\b \\e are resolved; an unterminated quote is an error
    ('missing "'). Spaces next to a separator outside quotes are dropped, as dnsmasq's
    split() does; spaces inside quotes are kept.
    """
    try:
        chars = quoted_chars(raw)
    except ValueError:
        raise ConfigError('missing "', where) from None
    items: list[str] = []
    current: list[tuple[str, bool]] = []  # (character, came from inside quotes)
    for char, quoted in chars:
        if char == sep and not quoted:
            items.append(_join_stripped(current))
            current = []
        else:
            current.append((char, quoted))
    items.append(_join_stripped(current))
    return tuple(items)


def _join_stripped(chars: list[tuple[str, bool]]) -> str:
    """Join characters, dropping unquoted whitespace at both ends."""
    start, end = 0, len(chars)
    while start < end and not chars[start][1] and chars[start][0].isspace():
        start += 1
    while end > start and not chars[end - 1][1] and chars[end - 1][0].isspace():
        end -= 1
    return "".join(c for c, _ in chars[start:end])


def _split(raw: str) -> list[str]:
    """Comma split with the whitespace around each item removed (dnsmasq's split())."""
    return [item.strip() for item in raw.split(",")]


def comma_list(raw: str, where: Where) -> tuple[str, ...]:
    """Comma-separated words; empty items are dropped ("" -> ())."""
    return tuple(item for item in _split(raw) if item)


def interface_list(raw: str, where: Where) -> tuple[str, ...]:
    """Comma-separated interface names, e.g. "eth0,wlan*".

    A name has at most 15 characters (IFNAMSIZ) and no "/" or whitespace. A "*" is a
    wildcard: dnsmasq matches the part before it as a prefix. An empty item is kept as ""
    because dnsmasq gives "--interface=" a meaning (listen on loopback only).
    dnsmasq itself silently accepts (and never matches) longer names or names with "/".
    """
    names = _split(raw)
    for name in names:
        if len(name) >= IFNAMSIZ:
            raise ConfigError(f'interface name too long "{name}"', where)
        if "/" in name or any(c.isspace() for c in name):
            raise ConfigError(f'bad interface name "{name}"', where)
    return tuple(names)


def ip_or_none(raw: str) -> IPAddress | None:
    """The address inet_pton would read from `raw` (no %scope, no brackets), else None."""
    value = raw.strip()
    if "%" in value:
        return None
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def parse_ip(raw: str, where: Where, what: str = "address") -> IPAddress:
    """One IPv4 or IPv6 address as inet_pton accepts it (no %scope, no brackets)."""
    addr = ip_or_none(raw)
    if addr is None:
        raise ConfigError(f'bad {what} "{raw.strip()}"', where)
    return addr


def ip_list(raw: str, where: Where) -> tuple[IPAddress, ...]:
    """Comma-separated IPv4/IPv6 addresses (--listen-address, --auth-peer).

    dnsmasq parses these with inet_pton, so an IPv6 "%scope" suffix is refused, as is an
    empty item.
    """
    return tuple(parse_ip(item, where) for item in _split(raw))


def optional_ip_list(raw: str, where: Where) -> tuple[IPAddress, ...]:
    """Like `ip_list`, but "" -> ()."""
    return () if raw.strip() == "" else ip_list(raw, where)


def ip_prefix(raw: str, where: Where) -> IPNetwork:
    """ "addr" or "addr/prefix" (--bogus-nxdomain, --ignore-address); host bits may be set.

    Without a prefix the whole address is meant (/32, /128). As in dnsmasq an empty
    prefix ("192.0.2.1/") counts as /0.
    """
    value = raw.strip()
    addr_text, slash, length_text = value.partition("/")
    addr = parse_ip(addr_text, where)
    if slash:
        length = _digits(length_text, where, f'bad prefix length "{length_text}"', 128)
    else:
        length = addr.max_prefixlen
    if length > addr.max_prefixlen:
        raise ConfigError(f'bad prefix length "{length_text}"', where)
    return ipaddress.ip_network((addr, length), strict=False)


_STRTOL: Final = re.compile(r"\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)\Z")


def hex_int(raw: str, where: Where) -> int:
    """A C integer literal as strtol(base 0) reads it: "0x1f", "31", "037" (--dumpmask).

    Note "1f" is not hex here: dnsmasq would read it as 1. lanctl refuses trailing junk
    instead of ignoring it. A negative value is taken as its 32-bit two's complement.
    """
    if raw.strip() == "":
        return 0  # strtol("") is 0 and dnsmasq accepts "--dumpmask="
    match = _STRTOL.match(raw)
    if match is None:
        raise ConfigError(f'bad number "{raw.strip()}"', where)
    sign, digits = match.groups()
    if digits[:2].lower() == "0x":
        value = int(digits[2:], 16)
    elif digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    if sign == "-":
        value = -value
    if not -(2**31) <= value <= UINT32_MAX:
        raise ConfigError(f'number out of range "{raw.strip()}"', where)
    return value & UINT32_MAX


def choice(*words: str, ignore_case: bool = False) -> Callable[[str, Where], str]:
    """A grammar accepting exactly one of `words` ("" only if it is one of them).

    `ignore_case=True` mirrors options dnsmasq compares with strcasecmp
    (--tftp-unique-root); the result is then the word as listed.
    """
    table = {(w.lower() if ignore_case else w): w for w in words}
    label = "|".join(words)

    def parse(raw: str, where: Where) -> str:
        key = raw.strip().lower() if ignore_case else raw.strip()
        if key not in table:
            raise ConfigError(f'bad value "{raw.strip()}" (expected {label})', where)
        return table[key]

    parse.__name__ = parse.__qualname__ = f"choice({label})"
    return parse
