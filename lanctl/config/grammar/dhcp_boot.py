"""Network-boot values: --dhcp-boot, --pxe-service, --pxe-prompt, --dhcp-pxe-vendor and
--dhcp-reply-delay.

PXE client system architectures (CSA) follow RFC 4578 / the IANA "Processor
Architecture Types" registry under the names dnsmasq accepts (case-insensitive).
Forms dnsmasq accepts but silently truncates or ignores (numbers that do not fit,
trailing fields) are refused here with a message instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from lanctl.config.grammar.fields import dequote, parse_uint, split_fields
from lanctl.config.grammar.tags import TagRef, split_tags
from lanctl.errors import ConfigError, Where

__all__ = [
    "CSA_TYPES",
    "DhcpBoot",
    "PxePrompt",
    "PxeService",
    "ReplyDelay",
    "dhcp_boot",
    "dhcp_pxe_vendor",
    "pxe_prompt",
    "pxe_service",
    "reply_delay",
]

CSA_TYPES: Final[dict[str, int]] = {
    "x86pc": 0,
    "pc98": 1,
    "ia64_efi": 2,
    "alpha": 3,
    "arc_x86": 4,
    "intel_lean_client": 5,
    "ia32_efi": 6,
    "bc_efi": 7,
    "xscale_efi": 8,
    "x86-64_efi": 9,
    "arm32_efi": 10,
    "arm64_efi": 11,
}
"""Lower-cased CSA name -> RFC 4578 architecture number."""


@dataclass(frozen=True, slots=True)
class DhcpBoot:
    """--dhcp-boot: BOOTP file/sname/siaddr.  The server is an address or a TFTP host name."""

    tags: tuple[TagRef, ...]
    filename: str
    servername: str | None = None
    server_address: IPv4Address | None = None
    tftp_servername: str | None = None


@dataclass(frozen=True, slots=True)
class PxeService:
    """--pxe-service menu entry: boot `basename` by TFTP, or search for `boot_type` servers.

    Neither basename nor boot type (or boot type 0) means "boot from local disk".
    `server` is an address or a host name looked up in /etc/hosts.
    """

    tags: tuple[TagRef, ...]
    csa: str
    csa_code: int
    menu_text: str
    basename: str | None = None
    boot_type: int | None = None
    server: str | None = None


@dataclass(frozen=True, slots=True)
class PxePrompt:
    """--pxe-prompt: text shown by the PXE ROM, and the seconds before the first entry runs."""

    tags: tuple[TagRef, ...]
    prompt: str
    timeout: int | None = None


@dataclass(frozen=True, slots=True)
class ReplyDelay:
    """--dhcp-reply-delay: wait at least `seconds` before DHCPOFFER/PROXYDHCP replies."""

    tags: tuple[TagRef, ...]
    seconds: int


def _tagged(raw: str, where: Where) -> tuple[tuple[TagRef, ...], list[str]]:
    _, matches, rest = split_tags(split_fields(raw, where))
    return matches, rest


def dhcp_boot(raw: str, where: Where) -> DhcpBoot:
    """`[tag:<t>,]<filename>[,<servername>[,<server address>|<tftp servername>]]`."""
    tags, rest = _tagged(raw, where)
    if not rest or not rest[0] or len(rest) > 3:
        raise ConfigError("bad dhcp-boot", where)
    filename = dequote(rest[0])
    servername = dequote(rest[1]) if len(rest) > 1 and rest[1] else None
    address: IPv4Address | None = None
    tftp_name: str | None = None
    if len(rest) > 2 and rest[2]:
        try:
            address = IPv4Address(rest[2])
        except ValueError:
            tftp_name = dequote(rest[2])
    return DhcpBoot(tags, filename, servername, address, tftp_name)


def _csa(text: str, where: Where) -> int:
    if text.lower() in CSA_TYPES:
        return CSA_TYPES[text.lower()]
    return parse_uint(text, where, "bad pxe-service", maximum=0xFFFF)


def pxe_service(raw: str, where: Where) -> PxeService:
    """`[tag:<t>,]<CSA>,<menu text>[,<basename>|<boot service type>][,<server>]`."""
    tags, rest = _tagged(raw, where)
    if len(rest) < 2 or len(rest) > 4:
        raise ConfigError("bad pxe-service", where)
    csa = dequote(rest[0])
    code = _csa(csa, where)
    menu = dequote(rest[1])
    basename: str | None = None
    boot_type: int | None = None
    if len(rest) > 2 and rest[2]:
        third = dequote(rest[2])
        if third.isascii() and third.isdigit():
            boot_type = parse_uint(third, where, "bad pxe-service", maximum=0xFFFF)
        else:
            basename = third
    server = dequote(rest[3]) if len(rest) > 3 and rest[3] else None
    return PxeService(tags, csa, code, menu, basename, boot_type, server)


def pxe_prompt(raw: str, where: Where) -> PxePrompt:
    """`[tag:<t>,]<prompt>[,<timeout 0-255>]`."""
    tags, rest = _tagged(raw, where)
    if not rest or len(rest) > 2:
        raise ConfigError("bad pxe-prompt", where)
    timeout = None
    if len(rest) == 2:
        timeout = parse_uint(rest[1], where, "bad pxe-prompt timeout", maximum=255)
    return PxePrompt(tags, dequote(rest[0]), timeout)


def reply_delay(raw: str, where: Where) -> ReplyDelay:
    """`[tag:<t>,...]<seconds>`."""
    tags, rest = _tagged(raw, where)
    if len(rest) != 1:
        raise ConfigError("bad dhcp-reply-delay", where)
    return ReplyDelay(tags, parse_uint(rest[0], where, "bad dhcp-reply-delay"))


def dhcp_pxe_vendor(raw: str, where: Where) -> tuple[str, ...]:
    """`<vendor>[,<vendor>...]`: vendor-class values treated like "PXEClient"; blanks skipped."""
    return tuple(dequote(v) for v in split_fields(raw, where) if v)
