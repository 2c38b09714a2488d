"""DHCP option names and value types known to dnsmasq 2.90 (`dnsmasq --help dhcp`/`dhcp6`).

Generated from the reference lists dhcp-option-names.txt and dhcp6-option-names.txt (the
names `option:<name>` and `option6:<name>` accept); the value kinds follow dnsmasq's option
table: "addr" address lists, "name" text, "domains" RFC 1035 name lists (RFC 3397/8415),
"time" lease-style durations, "intN" N-byte integers, "cstring" NUL-free text, "any"
(hex, decimal, address or text, chosen from the value).  Used by the option grammar and
by the DHCP encoders; the package never reads the reference files at run time.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "DHCP4_CODES",
    "DHCP4_KINDS",
    "DHCP4_NAMES",
    "DHCP6_CODES",
    "DHCP6_KINDS",
    "DHCP6_NAMES",
    "OptionKind",
    "kind_size",
]

OptionKind = Literal["addr", "name", "domains", "time", "int1", "int2", "int4", "cstring", "any"]

DHCP4_NAMES: Final[dict[str, int]] = {
    "netmask": 1,
    "time-offset": 2,
    "router": 3,
    "dns-server": 6,
    "log-server": 7,
    "lpr-server": 9,
    "boot-file-size": 13,
    "domain-name": 15,
    "swap-server": 16,
    "root-path": 17,
    "extension-path": 18,
    "ip-forward-enable": 19,
    "non-local-source-routing": 20,
    "policy-filter": 21,
    "max-datagram-reassembly": 22,
    "default-ttl": 23,
    "mtu": 26,
    "all-subnets-local": 27,
    "router-discovery": 31,
    "router-solicitation": 32,
    "static-route": 33,
    "trailer-encapsulation": 34,
    "arp-timeout": 35,
    "ethernet-encap": 36,
    "tcp-ttl": 37,
    "tcp-keepalive": 38,
    "nis-domain": 40,
    "nis-server": 41,
    "ntp-server": 42,
    "netbios-ns": 44,
    "netbios-dd": 45,
    "netbios-nodetype": 46,
    "netbios-scope": 47,
    "x-windows-fs": 48,
    "x-windows-dm": 49,
    "T1": 58,
    "T2": 59,
    "vendor-class": 60,
    "nis+-domain": 64,
    "nis+-server": 65,
    "tftp-server": 66,
    "bootfile-name": 67,
    "mobile-ip-home": 68,
    "smtp-server": 69,
    "pop3-server": 70,
    "nntp-server": 71,
    "irc-server": 74,
    "user-class": 77,
    "rapid-commit": 80,
    "client-arch": 93,
    "client-interface-id": 94,
    "client-machine-id": 97,
    "posix-timezone": 100,
    "tzdb-timezone": 101,
    "ipv6-only": 108,
    "domain-search": 119,
    "sip-server": 120,
    "classless-static-route": 121,
    "vendor-id-encap": 125,
    "tftp-server-address": 150,
    "server-ip-address": 255,
}
"""`option:<name>` -> option code."""

DHCP4_CODES: Final[dict[int, str]] = {code: name for name, code in DHCP4_NAMES.items()}
"""Option code -> dnsmasq name (for logs and `--help dhcp`)."""

DHCP4_KINDS: Final[dict[int, OptionKind]] = {
    1: "addr",
    2: "int4",
    3: "addr",
    6: "addr",
    7: "addr",
    9: "addr",
    13: "int2",
    15: "name",
    16: "addr",
    17: "name",
    18: "name",
    19: "int1",
    20: "int1",
    21: "addr",
    22: "int2",
    23: "int1",
    26: "int2",
    27: "int1",
    31: "int1",
    32: "addr",
    33: "addr",
    34: "int1",
    35: "int4",
    36: "int1",
    37: "int1",
    38: "int4",
    40: "name",
    41: "addr",
    42: "addr",
    44: "addr",
    45: "addr",
    46: "int1",
    47: "any",
    48: "addr",
    49: "addr",
    58: "time",
    59: "time",
    60: "any",
    64: "name",
    65: "addr",
    66: "name",
    67: "name",
    68: "addr",
    69: "addr",
    70: "addr",
    71: "addr",
    74: "addr",
    77: "any",
    80: "any",
    93: "int2",
    94: "any",
    97: "any",
    100: "name",
    101: "name",
    108: "int4",
    119: "domains",
    120: "any",
    121: "any",
    125: "any",
    150: "addr",
    255: "addr",
}
"""Option code -> value kind; codes not listed take "any"."""

DHCP6_NAMES: Final[dict[str, int]] = {
    "sip-server-domain": 21,
    "sip-server": 22,
    "dns-server": 23,
    "domain-search": 24,
    "nis-server": 27,
    "nis+-server": 28,
    "nis-domain": 29,
    "nis+-domain": 30,
    "sntp-server": 31,
    "information-refresh-time": 32,
    "posix-timezone": 41,
    "tzdb-timezone": 42,
    "ntp-server": 56,
    "bootfile-url": 59,
    "bootfile-param": 60,
}
"""`option6:<name>` -> option code."""

DHCP6_CODES: Final[dict[int, str]] = {code: name for name, code in DHCP6_NAMES.items()}
"""Option code -> dnsmasq name (for logs and `--help dhcp`)."""

DHCP6_KINDS: Final[dict[int, OptionKind]] = {
    21: "domains",
    22: "addr",
    23: "addr",
    24: "domains",
    27: "addr",
    28: "addr",
    29: "domains",
    30: "domains",
    31: "addr",
    32: "time",
    41: "name",
    42: "name",
    56: "any",
    59: "name",
    60: "cstring",
}
"""Option code -> value kind; codes not listed take "any"."""


def kind_size(kind: OptionKind) -> int | None:
    """Byte width of an integer kind, None for the others."""
    return {"int1": 1, "int2": 2, "int4": 4, "time": 4}.get(kind)
