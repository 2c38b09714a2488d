"""Hardware-address patterns of --dhcp-host and --dhcp-mac.

A pattern is colon-separated hex of any length ("11:22:33:44:55:66", "1:2"), where a
byte may be the wildcard `*` ("11:22:33:*:*:*"), optionally preceded by an ARP
hardware type in hex and a dash ("06-00:20:e0:3b:13:af" matches token ring only).
"""

from __future__ import annotations

from dataclasses import dataclass

from lanctl.config.grammar.fields import parse_hex
from lanctl.errors import ConfigError, Where

__all__ = ["MacPattern", "parse_mac"]

_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class MacPattern:
    """A hardware address with wildcard bytes and an optional ARP hardware type.

    `wildcard_mask[i]` is 0xFF where byte i is a `*` (its octet is then 0) and 0 where the
    byte must match.  `hwtype` None matches any hardware type.
    """

    hwtype: int | None
    octets: bytes
    wildcard_mask: bytes

    def matches(self, hwtype: int, chaddr: bytes) -> bool:
        """True when a client with this hardware type and address fits the pattern."""
        if self.hwtype is not None and self.hwtype != hwtype:
            return False
        if len(chaddr) != len(self.octets):
            return False
        return all(
            wild or want == got
            for want, got, wild in zip(self.octets, chaddr, self.wildcard_mask, strict=True)
        )

    @property
    def has_wildcard(self) -> bool:
        return any(self.wildcard_mask)

    def __str__(self) -> str:
        text = ":".join(
            "*" if wild else f"{octet:02x}"
            for octet, wild in zip(self.octets, self.wildcard_mask, strict=True)
        )
        return text if self.hwtype is None else f"{self.hwtype:02x}-{text}"


def parse_mac(text: str, where: Where | None = None) -> MacPattern:
    """Parse "[<hwtype-hex>-]xx:xx:..." with `*` wildcard bytes; 'bad hex constant' otherwise."""
    hwtype: int | None = None
    body = text
    if "-" in text:
        prefix, body = text.split("-", 1)
        if not prefix or not set(prefix) <= _HEX or len(prefix) > 4:
            raise ConfigError("bad hex constant", where)
        hwtype = int(prefix, 16)
    octets, mask = parse_hex(body, where, wildcards=True)
    return MacPattern(hwtype, octets, mask)
