"""Basic value grammars for dnsmasq options: flags, numbers, durations, paths, lists.

Each parser is `(raw, where) -> value`, pure, and raises only `ConfigError(msg, where)`.
Acceptance follows dnsmasq 2.90 (`dnsmasq --test` was the oracle): e.g. an empty number
is 0 as in dnsmasq's `atoi_check`, lease times take s/m/h/d/w suffixes, "infinite" but not
"infinity". Used by --port, --cache-size, the *-ttl options, --log-facility, --conf-dir,
--conf-script, --interface, --listen-address, --bogus-nxdomain, --cache-rr, --filter-rr,
--dumpmask, --fast-dns-retry, --dnssec-limits and the choice-valued flags.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from lanctl.config.lexer import quoted_chars
from lanctl.errors import ConfigError, Where

__all__ = [
    "INFINITE",
    "RR_TYPES",
    "ConfDir",
    "ConfScript",
    "choice",
    "comma_list",
    "conf_dir",
    "conf_script",
    "dnssec_limits",
    "duration",
    "fast_dns_retry",
    "flag",
    "hex_int",
    "interface_list",
    "ip_list",
    "ip_or_none",
    "ip_prefix",
    "is_decimal",
    "log_facility",
    "optional_ip_list",
    "optional_uint",
    "parse_ip",
    "path",
    "port",
    "rr_types",
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

# glibc's facilitynames[] (what dnsmasq searches, case-insensitively).
_FACILITIES: Final = frozenset(
    [
        "kern",
        "user",
        "mail",
        "daemon",
        "auth",
        "syslog",
        "lpr",
        "news",
        "uucp",
        "cron",
        "authpriv",
        "ftp",
        "mark",
        "security",
    ]
    + [f"local{i}" for i in range(8)]
)

_DURATION_FACTORS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

# RR type mnemonics dnsmasq 2.90 knows (its typestr table; IANA numbers). "NSAP_PTR" is
# spelled with an underscore there.
_RR_TEXT: Final = """
A=1 NS=2 MD=3 MF=4 CNAME=5 SOA=6 MB=7 MG=8 MR=9 NULL=10 WKS=11 PTR=12 HINFO=13 MINFO=14
MX=15 TXT=16 RP=17 AFSDB=18 X25=19 ISDN=20 RT=21 NSAP=22 NSAP_PTR=23 SIG=24 KEY=25 PX=26
GPOS=27 AAAA=28 LOC=29 NXT=30 EID=31 NIMLOC=32 SRV=33 ATMA=34 NAPTR=35 KX=36 CERT=37 A6=38
DNAME=39 SINK=40 OPT=41 APL=42 DS=43 SSHFP=44 IPSECKEY=45 RRSIG=46 NSEC=47 DNSKEY=48
DHCID=49 NSEC3=50 NSEC3PARAM=51 TLSA=52 SMIMEA=53 HIP=55 NINFO=56 RKEY=57 TALINK=58 CDS=59
CDNSKEY=60 OPENPGPKEY=61 CSYNC=62 ZONEMD=63 SVCB=64 HTTPS=65 SPF=99 UINFO=100 UID=101
GID=102 UNSPEC=103 NID=104 L32=105 L64=106 LP=107 EUI48=108 EUI64=109 TKEY=249 TSIG=250
IXFR=251 AXFR=252 MAILB=253 MAILA=254 ANY=255 URI=256 CAA=257 AVC=258 DOA=259
AMTRELAY=260 RESINFO=261 TA=32768 DLV=32769
"""
RR_TYPES: Final = {
    name: int(number) for name, _, number in (pair.partition("=") for pair in _RR_TEXT.split())
}
RR_TYPES_BY_NUMBER: Final = {num: name for name, num in RR_TYPES.items()}

# Characters dnsmasq's config reader un-escapes inside double quotes.


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


def rr_types(raw: str, where: Where) -> tuple[str, ...]:
    """Comma-separated RR types by mnemonic (any case) or decimal number (--cache-rr).

    Names are normalised to upper case; numbers become the mnemonic when one is known,
    otherwise "TYPE<n>". dnsmasq refuses the RFC 3597 "TYPE123" spelling, so lanctl does
    too. Empty items are ignored, as in dnsmasq.
    """
    out: list[str] = []
    for item in _split(raw):
        if not item:
            continue
        if is_decimal(item):
            number = int(item)
            if number > 0xFFFF:
                raise ConfigError(f'bad RR type "{item}"', where)
            out.append(RR_TYPES_BY_NUMBER.get(number, f"TYPE{number}"))
        elif item.upper() in RR_TYPES:
            out.append(item.upper())
        else:
            raise ConfigError(f'bad RR type "{item}"', where)
    return tuple(out)


def log_facility(raw: str, where: Where) -> str:
    """ "-" (stderr), a file name (anything containing "/"), or a syslog facility name.

    Facility names are matched case-insensitively and returned in lower case.
    """
    value = raw.strip()
    if value == "-" or "/" in value:
        return value
    if value.lower() in _FACILITIES:
        return value.lower()
    raise ConfigError("bad log facility", where)


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


@dataclass(frozen=True, slots=True)
class ConfDir:
    """--conf-dir: read every file of `path`, filtered by suffix.

    `include` are the suffixes a file must end with (given as "*.conf"; stored without
    the "*"); `exclude` are the suffixes that skip a file. `path` "" means the option
    does nothing (dnsmasq accepts "--conf-dir=").
    """

    path: str
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def conf_dir(raw: str, where: Where) -> ConfDir:
    """ "dir[,.bak][,*.conf]...": suffixes to skip, or with "*" the only ones to read."""
    directory, *rest = _split(raw)
    include: list[str] = []
    exclude: list[str] = []
    for item in rest:
        if not item or item == "*":  # dnsmasq: a bare "*" is a no-op
            continue
        if item.startswith("*"):
            include.append(item[1:])
        else:
            exclude.append(item)
    return ConfDir(directory, tuple(include), tuple(exclude))


@dataclass(frozen=True, slots=True)
class ConfScript:
    """--conf-script: a program whose standard output is read as a configuration file."""

    path: str
    args: tuple[str, ...] = ()


def conf_script(raw: str, where: Where) -> ConfScript:
    """ "file arg1 arg2": split on whitespace (dnsmasq hands the whole text to popen)."""
    parts = raw.split()
    if not parts:
        raise ConfigError("missing script name", where)
    return ConfScript(parts[0], tuple(parts[1:]))


FAST_RETRY_DELAY: Final = 1000  # ms, dnsmasq's default initial retry delay
FAST_RETRY_TIME: Final = 10000  # ms, how long retries continue by default
FAST_RETRY_MIN: Final = 50  # ms, dnsmasq refuses smaller delays


def fast_dns_retry(raw: str, where: Where) -> tuple[int, int]:
    """ "[delay-ms[,total-ms]]" -> (delay, total); "" -> (1000, 10000)."""
    if raw.strip() == "":
        return (FAST_RETRY_DELAY, FAST_RETRY_TIME)
    items = _split(raw)
    if len(items) > 2:
        raise ConfigError("bad fast-dns-retry", where)
    delay = _digits(items[0], where, "bad fast-dns-retry delay", UINT32_MAX)
    if delay < FAST_RETRY_MIN:
        raise ConfigError(f"fast-dns-retry delay must be at least {FAST_RETRY_MIN} ms", where)
    total = FAST_RETRY_TIME
    if len(items) == 2:
        total = _digits(items[1], where, "bad fast-dns-retry time", UINT32_MAX)
    return (delay, total)


DNSSEC_LIMITS: Final = 4  # fails per RRset, crypto work, sub-queries, NSEC3 iterations


def dnssec_limits(raw: str, where: Where) -> tuple[int, ...]:
    """Up to four limits; returns exactly four, -1 meaning "keep the default".

    As in dnsmasq, 0 or an empty item keeps the default and items after the fourth are
    ignored without being checked.
    """
    items = _split(raw)[:DNSSEC_LIMITS]
    limits = [_digits(item, where, f'bad dnssec limit "{item}"', 2**31 - 1) for item in items]
    limits = [v if v != 0 else -1 for v in limits]
    return tuple(limits + [-1] * (DNSSEC_LIMITS - len(limits)))
