"""Grammars for DNS tuning options: RR type lists, --fast-dns-retry, --dnssec-limits.

RR type lists are read by --cache-rr and --filter-rr. Each parser is `(raw, where) ->
value`, pure, and raises only `ConfigError(msg, where)`. Acceptance follows dnsmasq 2.90
(`dnsmasq --test` was the oracle).
"""

from __future__ import annotations

from typing import Final

from lanctl.config.grammar.basic import UINT32_MAX, _digits, _split, is_decimal
from lanctl.errors import ConfigError, Where

__all__ = [
    "RR_TYPES",
    "dnssec_limits",
    "fast_dns_retry",
    "rr_types",
]

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
