"""BOOTP/DHCPv4 codec with `struct`: the fixed header, option TLVs, overload, RFC 3396.

Decoding (RFC 2131 §2, RFC 2132 §2-§3, §9.3): the 236-byte BOOTP header, the magic cookie,
then options; PAD (0) is skipped, END (255) stops, a missing END is tolerated, an option
running past the data is a `DecodeError`.  Option overload (52) continues the walk in
`file` then `sname`.  An option code seen more than once is concatenated (RFC 3396).
Option 82 (RFC 3046) is kept as raw bytes so replies echo it verbatim.  dnsmasq's checks:
hlen <= 16, and htype 0 only with hlen 0; a BOOTP request without the cookie (RFC 951
vendor area) has no options.  Encoding writes options in the given order,
splits values over 255 octets (RFC 3396), pads to the BOOTP minimum of 300 octets and
drops trailing options (never 53/54/82) to respect the client's maximum size (option 57),
unless they can overload empty file/sname fields (option 52).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from ipaddress import IPv4Address
from typing import Final, TypeVar

from lanctl.errors import DecodeError

_T = TypeVar("_T")

__all__ = [
    "BOOTREPLY",
    "BOOTREQUEST",
    "MAGIC",
    "MessageType",
    "Opt",
    "Packet",
    "address_packed",
    "address_text",
    "decode_packet",
    "encode_packet",
]

BOOTREQUEST: Final = 1
BOOTREPLY: Final = 2
MAGIC: Final = b"\x63\x82\x53\x63"
HEADER: Final = struct.Struct("!BBBBIHH4s4s4s4s16s64s128s")  # 236 octets, RFC 2131 Fig. 1
MIN_PACKET: Final = 300  # RFC 1542 §2.1: BOOTP minimum message size
MIN_MAX_SIZE: Final = 576  # RFC 2132 §9.10: option 57 may not be below 576
BROADCAST_FLAG: Final = 0x8000
ZERO: Final = IPv4Address(0)


class MessageType(IntEnum):
    """RFC 2132 §9.6: DHCP message type (option 53) values."""

    DHCPDISCOVER = 1
    DHCPOFFER = 2
    DHCPREQUEST = 3
    DHCPDECLINE = 4
    DHCPACK = 5
    DHCPNAK = 6
    DHCPRELEASE = 7
    DHCPINFORM = 8


class Opt:
    """Option codes the engine reads or writes itself (RFC 2132, RFC 3046).

    Plain int constants, not an IntEnum: looking up an enum member costs a descriptor
    call (~0.2 us), and the hot path reads dozens per message.
    """

    PAD: Final = 0
    NETMASK: Final = 1
    ROUTER: Final = 3
    DNS_SERVER: Final = 6
    HOSTNAME: Final = 12
    DOMAIN_NAME: Final = 15
    BROADCAST: Final = 28
    REQUESTED_ADDRESS: Final = 50
    LEASE_TIME: Final = 51
    OVERLOAD: Final = 52
    MESSAGE_TYPE: Final = 53
    SERVER_ID: Final = 54
    PARAMETER_LIST: Final = 55
    MESSAGE: Final = 56
    MAX_MESSAGE_SIZE: Final = 57
    T1: Final = 58
    T2: Final = 59
    VENDOR_CLASS: Final = 60
    CLIENT_ID: Final = 61
    USER_CLASS: Final = 77
    CLIENT_FQDN: Final = 81
    AGENT_INFO: Final = 82
    END: Final = 255


_MESSAGE_TYPES: Final = {bytes((m,)): m for m in MessageType}


@dataclass(slots=True)
class Packet:
    """One BOOTP/DHCP message.  `chaddr` is the whole 16-octet field; `mac` the first hlen.

    Treated as immutable; not frozen because a frozen dataclass pays one
    object.__setattr__ per field on construction (two packets per message, hot path).
    """

    op: int
    xid: int
    chaddr: bytes
    htype: int = 1
    hlen: int = 6
    hops: int = 0
    secs: int = 0
    flags: int = 0
    ciaddr: IPv4Address = ZERO
    yiaddr: IPv4Address = ZERO
    siaddr: IPv4Address = ZERO
    giaddr: IPv4Address = ZERO
    sname: bytes = b""
    file: bytes = b""
    options: Mapping[int, bytes] = field(default_factory=dict)

    @property
    def mac(self) -> bytes:
        return self.chaddr[: self.hlen]

    @property
    def broadcast(self) -> bool:
        return bool(self.flags & BROADCAST_FLAG)

    @property
    def message_type(self) -> MessageType | None:
        """Option 53, or None for plain BOOTP (or an unknown type)."""
        raw = self.options.get(53)  # Opt.MESSAGE_TYPE
        return None if raw is None else _MESSAGE_TYPES.get(bytes(raw))

    def address_option(self, code: int) -> IPv4Address | None:
        """An option holding exactly one IPv4 address (50, 54), else None."""
        raw = self.options.get(code)
        return IPv4Address(raw) if raw is not None and len(raw) == 4 else None


def _walk(data: bytes, start: int, end: int, out: dict[int, bytes]) -> None:
    """Read TLVs from data[start:end] into `out`, concatenating repeats (RFC 3396)."""
    pos = start
    while pos < end:
        code = data[pos]
        if code == 0:  # PAD
            pos += 1
            continue
        if code == 255:  # END
            return
        if pos + 1 >= end:
            raise DecodeError(f"option {code} has no length octet")
        stop = pos + 2 + data[pos + 1]
        if stop > end:
            raise DecodeError(f"option {code} of length {data[pos + 1]} runs past the data")
        value = data[pos + 2 : stop]
        old = out.get(code)
        out[code] = value if old is None else old + value
        pos = stop


_ZERO4: Final = bytes(4)
_RELAYS: dict[bytes, IPv4Address] = {_ZERO4: ZERO}  # giaddr values seen: a few relays


def _relay(raw: bytes) -> IPv4Address:
    """giaddr: the few relay addresses recur, so each becomes an IPv4Address once."""
    addr = _RELAYS.get(raw)
    if addr is None:
        addr = IPv4Address(raw)
        if len(_RELAYS) < 256:
            _RELAYS[raw] = addr
    return addr


def _remembered(convert: Callable[[IPv4Address], _T]) -> Callable[[IPv4Address], _T]:
    """`convert`, remembered per address object (up to 256): for recurring objects (our own
    addresses, relays), whose pure-Python __str__ and .packed are slow."""
    cache: dict[int, tuple[IPv4Address, _T]] = {}  # id(address) -> it, its converted value

    def lookup(addr: IPv4Address) -> _T:
        hit = cache.get(id(addr))
        if hit is None or hit[0] is not addr:  # the entry holds the object: its id stays its own
            if len(cache) > 256:
                cache.clear()
            hit = cache[id(addr)] = (addr, convert(addr))
        return hit[1]

    return lookup


address_text: Final = _remembered(str)  # str(addr)


def decode_packet(data: bytes) -> Packet:
    """Bytes -> Packet; DecodeError for anything malformed (and nothing else)."""
    if len(data) < HEADER.size:
        raise DecodeError(f"DHCP packet of {len(data)} octets is too short")
    (op, htype, hlen, hops, xid, secs, flags, ci, yi, si, gi, chaddr, sname, file) = (
        HEADER.unpack_from(data)
    )
    if op not in (BOOTREQUEST, BOOTREPLY):
        raise DecodeError(f"BOOTP op {op}")
    if hlen > 16 or (htype == 0 and hlen != 0):  # dnsmasq: DHCP_CHADDR_MAX, rfc2131.c
        raise DecodeError(f"bad hardware address (htype {htype}, hlen {hlen})")
    found: dict[int, bytes] = {}
    if data[HEADER.size : HEADER.size + 4] == MAGIC:  # else plain BOOTP: no options (dnsmasq)
        _walk(data, HEADER.size + 4, len(data), found)
    overload = found.pop(Opt.OVERLOAD, None)
    if overload is not None:
        if len(overload) != 1 or overload[0] not in (1, 2, 3):
            raise DecodeError("bad option overload value")
        base = 44  # offset of sname in the header; file follows at 108 (RFC 2131 Fig. 1)
        if overload[0] & 1:
            _walk(data, base + 64, base + 192, found)
        if overload[0] & 2:
            _walk(data, base, base + 64, found)
        sname = b"" if overload[0] & 2 else sname
        file = b"" if overload[0] & 1 else file
    return Packet(
        op,
        xid,
        chaddr,
        htype,
        hlen,
        hops,
        secs,
        flags,
        ZERO if ci == _ZERO4 else IPv4Address(ci),
        ZERO if yi == _ZERO4 else IPv4Address(yi),
        ZERO if si == _ZERO4 else IPv4Address(si),
        _relay(gi),
        b"" if sname[:1] == b"\0" else sname.split(b"\0", 1)[0],  # mostly all NULs
        b"" if file[:1] == b"\0" else file.split(b"\0", 1)[0],
        found,
    )


def _tlvs(code: int, value: bytes) -> bytes:
    """One option as TLVs, split into 255-octet pieces when longer (RFC 3396 §4)."""
    size = len(value)
    if size <= 255:
        return bytes((code, size)) + value
    out = bytearray()
    for pos in range(0, size, 255):
        piece = value[pos : pos + 255]
        out += bytes((code, len(piece))) + piece
    return bytes(out)


def _packed(addr: IPv4Address) -> bytes:
    return _ZERO4 if addr is ZERO else addr.packed


address_packed: Final = _remembered(lambda addr: addr.packed)  # addr.packed


def encode_packet(
    packet: Packet, max_size: int = MIN_MAX_SIZE - 28, *, overload: bool = False
) -> bytes:
    """Packet -> bytes; options in mapping order, 82 last, trimmed to `max_size` octets.

    With `overload`, options that do not fit go into an empty `file`, then an empty
    `sname` field (option 52, RFC 2132 §9.3), as dnsmasq does unless --dhcp-no-override.
    """
    options = packet.options
    agent = options.get(82)  # Opt.AGENT_INFO
    usable = (overload and not packet.file, overload and not packet.sname)
    key: tuple[object, ...] | None = None
    try:  # the replies of one link and kind repeat their options
        done = _ENCODED.get(probe := (tuple(options.items()), max_size, usable))
        key = probe
    except TypeError:  # a value that is not bytes (a caller's bytearray): no caching
        done = None
    if done is not None:
        return _finish(packet, bytearray(done), packet.sname[:63], packet.file[:127], agent)
    tail = 1 + (len(_tlvs(82, agent)) if agent is not None else 0)
    if usable[0] or usable[1]:
        tail += 3  # room for option 52
    body = bytearray(_HEAD_SPACE)
    limit = max_size - tail  # the options field may grow to this length
    areas: list[bytearray] | None = None  # file, sname: the spill-over areas (with END)
    spill = -1  # the area options now go to (-1: the options field)
    for code, value in _ordered(options):
        tlv = bytes((code, len(value))) + value if len(value) <= 255 else _tlvs(code, value)
        if spill < 0 and (len(body) + len(tlv) <= limit or code in _ESSENTIAL):
            body += tlv
            continue
        if areas is None:
            areas = [bytearray(), bytearray()]
        for area in range(max(spill, 0), 2):
            if usable[area] and len(areas[area]) + len(tlv) + 1 <= _AREA_SIZES[area]:
                areas[area] += tlv
                spill = area
                break
        # else RFC 2131 §4.1: never exceed the client's maximum message size
    sname, file = packet.sname[:63], packet.file[:127]
    if areas is not None and (areas[0] or areas[1]):
        if areas[0]:
            file = bytes(areas[0]) + b"\xff"
        if areas[1]:
            sname = bytes(areas[1]) + b"\xff"
        body += bytes((52, 1, (1 if areas[0] else 0) | (2 if areas[1] else 0)))  # OVERLOAD
    elif key is not None:  # no spill: the same options, the same octets
        if len(_ENCODED) >= 1024:  # options unique to a client (a name) filled it: start over
            _ENCODED.clear()
        _ENCODED[key] = bytes(body)
    return _finish(packet, body, sname, file, agent)


_ENCODED: dict[tuple[object, ...], bytes] = {}  # options, size, overload -> header + options


def _finish(
    packet: Packet, body: bytearray, sname: bytes, file: bytes, agent: bytes | None
) -> bytes:
    """The header over the first 240 octets of `body`, then option 82, END and padding."""
    HEADER.pack_into(
        body,
        0,
        packet.op,
        packet.htype,
        packet.hlen,
        packet.hops,
        packet.xid,
        packet.secs,
        packet.flags,
        _packed(packet.ciaddr),
        _packed(packet.yiaddr),
        address_packed(packet.siaddr),  # ours, or a --dhcp-boot server: recurring
        address_packed(packet.giaddr),  # a relay: recurring
        packet.chaddr,  # struct pads with NULs and cuts at 16
        sname,  # struct pads with NULs
        file,
    )
    if agent is not None:
        body += _tlvs(82, agent)  # dnsmasq: agent-id copied back verbatim, last
    body.append(255)  # END
    if len(body) < MIN_PACKET:
        body += bytes(MIN_PACKET - len(body))
    return bytes(body)


_HEAD_SPACE: Final = bytes(HEADER.size) + MAGIC
_AREA_SIZES: Final = (128, 64)
_ESSENTIAL: Final = frozenset({Opt.MESSAGE_TYPE, Opt.SERVER_ID})
_LATER: Final = frozenset({53, 54, 82})


def _ordered(options: Mapping[int, bytes]) -> list[tuple[int, bytes]]:
    """53 first, 54 second (as dnsmasq and most servers), the rest as given, 82 excluded."""
    first = [(c, v) for c, v in options.items() if c not in _LATER]
    sid = options.get(54)
    if sid is not None:
        first.insert(0, (54, sid))
    mtype = options.get(53)
    if mtype is not None:
        first.insert(0, (53, mtype))
    return first
