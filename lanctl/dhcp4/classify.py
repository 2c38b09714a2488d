"""The client-class tag sources of a DHCPv4 request and dnsmasq's name rules (pure).

Implements --dhcp-mac (hardware address with wildcards), --dhcp-circuitid, --dhcp-remoteid
and --dhcp-subscrid (RFC 3046 / RFC 3993 relay-agent sub-options 1, 2 and 6, exact match,
relayed requests only), --dhcp-vendorclass (substring of option 60), --dhcp-userclass
(substring of option 77), --dhcp-match (option present, value prefix with wildcards,
array element, substring, or a RFC 3925 vendor-identifying class of one enterprise),
--dhcp-name-match (case-insensitive, optional trailing `*`), --dhcp-ignore,
--dhcp-ignore-names and --dhcp-generate-names (the MAC in hex with dashes).
The `enterprise:` number of --dhcp-vendorclass only means something in DHCPv6: dnsmasq 2.90
matches such a line against option 60 all the same (checked on the wire), and so do we.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lanctl.config.grammar.tags import DhcpMac, DhcpMatch, NameMatch, TagMatch, TagRef
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4.wire import ZERO, Packet
from lanctl.tags import matches

__all__ = [
    "any_matches",
    "generated_name",
    "match_value",
    "name_tags",
    "option_tags",
    "relay_tags",
    "sub_options",
]

VENDOR_CLASS = 60
USER_CLASS = 77
AGENT_INFO = 82
VI_VENDOR_CLASS = 124
CIRCUIT_ID, REMOTE_ID, SUBSCRIBER_ID = 1, 2, 6


def sub_options(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(code, value) of a code/length/value list; a truncated tail is dropped."""
    i = 0
    while i + 2 <= len(data):
        code, size = data[i], data[i + 1]
        if i + 2 + size > len(data):
            return
        yield code, data[i + 2 : i + 2 + size]
        i += 2 + size


def _rows(rows: Iterable[object], kind: type[object]) -> list[object]:
    return [r for r in rows if isinstance(r, kind)]


def relay_tags(cfg: Dhcp4Cfg, req: Packet) -> set[str]:
    """--dhcp-mac, and the relay-agent matchers when the request came through a relay."""
    tags: set[str] = set()
    for row in _rows(cfg.dhcp_mac, DhcpMac):
        assert isinstance(row, DhcpMac)
        if row.mac.matches(req.htype, req.mac):
            tags.add(row.set_tag)
    agent = req.options.get(AGENT_INFO)
    if req.giaddr == ZERO or not agent:
        return tags
    subs = dict(sub_options(agent))
    for code, rows in (
        (CIRCUIT_ID, cfg.dhcp_circuitid),
        (REMOTE_ID, cfg.dhcp_remoteid),
        (SUBSCRIBER_ID, cfg.dhcp_subscrid),
    ):
        got = subs.get(code)
        if got is None:
            continue
        for row in _rows(rows, TagMatch):
            assert isinstance(row, TagMatch)
            if row.as_bytes() == got:
                tags.add(row.set_tag)
    return tags


def match_value(row: DhcpMatch, data: bytes) -> bool:
    """dnsmasq `match_bytes`: presence, hex prefix with wildcards, array element, substring."""
    want = row.value
    if want is None or not want:
        return True
    if len(want) > len(data):
        return False
    if row.value_kind == "hex":
        mask = row.wildcard_mask or bytes(len(want))
        return all(m or w == d for w, d, m in zip(want, data, mask, strict=False))
    step = 1 if row.value_kind == "string" else len(want)
    return any(data[i : i + len(want)] == want for i in range(0, len(data) - len(want) + 1, step))


def _vi_classes(data: bytes) -> Iterator[tuple[int, bytes]]:
    """RFC 3925 option 124: (enterprise number, class data) entries."""
    i = 0
    while i + 5 <= len(data):
        enterprise = int.from_bytes(data[i : i + 4], "big")
        size = data[i + 4]
        if i + 5 + size > len(data):
            return
        yield enterprise, data[i + 5 : i + 5 + size]
        i += 5 + size


def _dhcp_match(row: DhcpMatch, req: Packet) -> bool:
    if row.vi_encap is not None:
        return any(
            number == row.vi_encap and match_value(row, data)
            for number, data in _vi_classes(req.options.get(VI_VENDOR_CLASS, b""))
        )
    if row.family != 4 or row.option is None:
        return False
    data = req.options.get(row.option)
    return data is not None and match_value(row, data)


def _substring(rows: Iterable[object], data: bytes | None) -> set[str]:
    if not data:
        return set()
    tags: set[str] = set()
    for row in _rows(rows, TagMatch):
        assert isinstance(row, TagMatch)
        if row.as_bytes() in data:
            tags.add(row.set_tag)
    return tags


def option_tags(cfg: Dhcp4Cfg, req: Packet) -> set[str]:
    """--dhcp-vendorclass, --dhcp-userclass and --dhcp-match tags of a request."""
    tags = _substring(cfg.dhcp_vendorclass, req.options.get(VENDOR_CLASS))
    tags |= _substring(cfg.dhcp_userclass, req.options.get(USER_CLASS))
    for row in _rows(cfg.dhcp_match, DhcpMatch):
        assert isinstance(row, DhcpMatch)
        if _dhcp_match(row, req):
            tags.add(row.set_tag)
    return tags


def name_tags(cfg: Dhcp4Cfg, name: str | None) -> set[str]:
    """--dhcp-name-match tags for the name the client sent (case-insensitive)."""
    if not name:
        return set()
    low = name.lower()
    tags: set[str] = set()
    for row in _rows(cfg.dhcp_name_match, NameMatch):
        assert isinstance(row, NameMatch)
        want = row.name.lower()
        if low.startswith(want) if row.wildcard else low == want:
            tags.add(row.set_tag)
    return tags


def any_matches(lines: Iterable[tuple[object, ...]], tags: frozenset[str] | set[str]) -> bool:
    """Whether one line of TagRef conditions (--dhcp-ignore and friends) holds."""
    return any(matches([r for r in line if isinstance(r, TagRef)], tags) for line in lines)


def generated_name(req: Packet) -> str:
    """--dhcp-generate-names: the hardware address in lower-case hex joined by dashes."""
    return "-".join(f"{b:02x}" for b in req.mac)
