"""EDNS0 client information added to forwarded queries (pure: no sockets, no files).

dnsmasq options: --add-mac[=base64|text], --add-subnet, --add-cpe-id, --umbrella,
--strip-mac, --strip-subnet.  Formats and order as dnsmasq 2.90 sends them (checked on the
wire against a recording upstream, tests/dns/test_edns_e2e.py):
- --add-mac: option 65001 with the 6 MAC octets; =base64 / =text: option 65073 (Nominum
  device id) with the MAC as unpadded base64 or "aa:bb:cc:dd:ee:ff".  Only for clients
  whose MAC the neighbour table knows (same link); not added when the client's query
  already carries a 65001 option (unless --strip-mac removed it).
- --add-cpe-id: option 65074 with the string.
- --umbrella: option 20292: "ODNS", version 1, flags 0, then fields with a 16-bit type:
  0x08 orgid (4 octets), 0x10 IPv4 / 0x20 IPv6 client address, 0x40 deviceid (8),
  0x04 assetid (4), in that order.
- --add-subnet: RFC 7871 §6 ECS (option 8): family, source prefix, scope 0, the address
  cut to the prefix (the fixed address when one is configured, else the client's);
  a client-supplied ECS is kept unless --strip-subnet, which also makes ours replace it.
- Order: MAC, CPE id, Umbrella, ECS, after the client's own options, which are passed on
  as dnsmasq 2.90 does, COOKIE and PADDING included (checked on the wire).  Not copied:
  dnsmasq then loses a zero-length option that is the client's last one (an empty NSID).
- Without any of those options (`passthrough_opt`), dnsmasq 2.90 passes the client's OPT
  options on verbatim and in order (COOKIE, PADDING, NSID, ECS, 65001, anything), with the
  DO bit and UDP size min(client's size, --edns-packet-max), at least 512 (on the wire,
  tests/dns/test_edns_compat.py).  Queries without EDNS are not changed here.
Replies that depend on the client (MAC, Umbrella, ECS with a client-derived address) are not
cached, as dnsmasq does not cache them.
"""

from __future__ import annotations

import base64
import ipaddress
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lanctl.dns.wire import HEADER, QType, Query, encode_opt, skip_name
from lanctl.errors import DecodeError

MAC: Final = 65001  # dnsmasq EDNS0_OPTION_MAC
DEVICE_ID: Final = 65073  # Nominum device id: --add-mac=base64|text
CPE_ID: Final = 65074  # Nominum CPE id: --add-cpe-id
UMBRELLA: Final = 20292  # Cisco Umbrella / OpenDNS
ECS: Final = 8  # RFC 7871 client subnet
_OPT_FIXED: Final = struct.Struct("!HHIH")

Options = list[tuple[int, bytes]]


@dataclass(frozen=True, slots=True)
class ClientInfoPolicy:
    """The options as configured (None: not set)."""

    add_mac: str | None = None  # "" (raw 65001), "base64" or "text"
    add_subnet: object | None = None  # config.grammar AddSubnet: v4_addr/v4_len/v6_addr/v6_len
    add_cpe_id: str | None = None
    umbrella: object | None = None  # config.grammar Umbrella: deviceid/orgid/assetid
    strip_mac: bool = False
    strip_subnet: bool = False

    @property
    def active(self) -> bool:
        return any(
            (
                self.add_mac is not None,
                self.add_subnet is not None,
                self.add_cpe_id is not None,
                self.umbrella is not None,
                self.strip_mac,
                self.strip_subnet,
            )
        )

    @property
    def cacheable(self) -> bool:
        """Whether replies may be cached: not when what we add depends on the client."""
        if self.add_mac is not None or self.umbrella is not None:
            return False
        s = self.add_subnet
        if s is None:
            return True
        v4 = getattr(s, "v4_addr", None) is not None or getattr(s, "v4_len", 0) == 0
        v6 = getattr(s, "v6_addr", None) is not None or getattr(s, "v6_len", 0) == 0
        return v4 and v6


def upstream_size(q: Query, edns_max: int) -> int:
    """The UDP size offered upstream for a client's query: dnsmasq 2.90 offers the client's
    own size when smaller than --edns-packet-max (never under 512)."""
    size = q.edns_size
    return size if 0 < size < edns_max else edns_max


def passthrough_opt(data: bytes, q: Query, edns_max: int) -> bytes | None:
    """The OPT record to send upstream for an EDNS query without client-info options: the
    client's options and size (see upstream_size); None when that is the forwarder's own
    record (no options, size >= `edns_max`)."""
    size = q.edns_size if q.edns_size < edns_max else edns_max
    if len(data) == q.question_end + 11 and size == edns_max:
        return None  # a lone OPT with no options (the common case): the default record
    try:
        options = encode_options(query_options(data, q.question_end))
    except DecodeError:
        options = b""
    if not options and size == edns_max:
        return None
    return encode_opt(max(size, 512), q.do, options)


def query_options(data: bytes, question_end: int) -> Options:
    """The options of the OPT record of a query (RFC 6891 §6.1.2); [] without one.
    DecodeError when the records after the question are malformed."""
    _, _, _, an, ns, ar = HEADER.unpack_from(data)
    off = question_end
    for _ in range(an + ns + ar):
        off = skip_name(data, off)[0]
        if off + 10 > len(data):
            raise DecodeError("truncated resource record")
        rtype, _, _, rdlen = _OPT_FIXED.unpack_from(data, off)
        start, off = off + 10, off + 10 + rdlen
        if off > len(data):
            raise DecodeError("RDATA runs past the end of the packet")
        if rtype == QType.OPT:
            return _split_options(data[start:off])
    return []


def _split_options(rdata: bytes) -> Options:
    out: Options = []
    off = 0
    while off + 4 <= len(rdata):
        code, size = struct.unpack_from("!HH", rdata, off)
        if off + 4 + size > len(rdata):
            raise DecodeError("EDNS option runs past the OPT RDATA")
        out.append((code, rdata[off + 4 : off + 4 + size]))
        off += 4 + size
    return out


def encode_options(options: Sequence[tuple[int, bytes]]) -> bytes:
    """The OPT RDATA for these options."""
    return b"".join(struct.pack("!HH", code, len(value)) + value for code, value in options)


def ecs_option(addr: str, prefix: int) -> bytes:
    """RFC 7871 §6 option data: FAMILY, SOURCE PREFIX-LENGTH, SCOPE 0, the address cut to
    the prefix (the bits beyond it zeroed, RFC 7871 §6 "MUST be set to 0")."""
    ip = ipaddress.ip_address(addr)
    family = 1 if ip.version == 4 else 2
    prefix = max(0, min(prefix, ip.max_prefixlen))
    net = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    raw = net.network_address.packed[: (prefix + 7) // 8]
    return struct.pack("!HBB", family, prefix, 0) + raw


def umbrella_option(umbrella: object, addr: str) -> bytes:
    """Option 20292 data for the client at `addr`."""
    out = b"ODNS\x01\x00"
    org = getattr(umbrella, "orgid", None)
    if org is not None:
        out += struct.pack("!HI", 0x08, org)
    ip = ipaddress.ip_address(addr)
    out += struct.pack("!H", 0x10 if ip.version == 4 else 0x20) + ip.packed
    device = getattr(umbrella, "deviceid", None)
    if device is not None:
        out += struct.pack("!H", 0x40) + bytes(device)
    asset = getattr(umbrella, "assetid", None)
    if asset is not None:
        out += struct.pack("!HI", 0x04, asset)
    return out


def mac_option(mode: str, mac: bytes) -> tuple[int, bytes]:
    """(code, data) for --add-mac, --add-mac=base64 or --add-mac=text."""
    if mode == "base64":
        return DEVICE_ID, base64.b64encode(mac).rstrip(b"=")
    if mode == "text":
        return DEVICE_ID, ":".join(f"{b:02x}" for b in mac).encode()
    return MAC, mac


class ClientInfo:
    """Builds the options of one forwarded query from the policy and the client."""

    def __init__(self, policy: ClientInfoPolicy) -> None:
        self.policy = policy
        self.active = policy.active
        self.cacheable = policy.cacheable

    def options(self, client: Options, addr: str, mac: bytes | None) -> bytes:
        """OPT RDATA for a query from `addr` (MAC `mac` when known) that carried `client`."""
        p = self.policy
        out = [
            (code, value)
            for code, value in client
            if not (code == MAC and p.strip_mac) and not (code == ECS and p.strip_subnet)
        ]
        codes = {code for code, _ in out}
        if p.add_mac is not None and mac is not None:
            code, value = mac_option(p.add_mac, mac)
            if code not in codes:
                out.append((code, value))
        if p.add_cpe_id is not None:
            out.append((CPE_ID, p.add_cpe_id.encode()))
        if p.umbrella is not None and _is_ip(addr):
            out.append((UMBRELLA, umbrella_option(p.umbrella, addr)))
        if p.add_subnet is not None and ECS not in codes and _is_ip(addr):
            out.append((ECS, self._ecs(addr)))
        return encode_options(out)

    def _ecs(self, addr: str) -> bytes:
        s = self.policy.add_subnet
        v6 = ":" in addr
        fixed = getattr(s, "v6_addr" if v6 else "v4_addr", None)
        prefix = int(getattr(s, "v6_len" if v6 else "v4_len", 0))
        return ecs_option(str(fixed) if fixed is not None else addr, prefix)


def _is_ip(addr: str) -> bool:
    try:
        ipaddress.ip_address(addr)
    except ValueError:
        return False
    return True
