"""Building DHCPOFFER/DHCPACK/DHCPNAK replies: header fields and the options dnsmasq sends.

RFC 2131 §4.3.1 (Table 3): yiaddr, siaddr/sname/file (--dhcp-boot), giaddr and flags
copied, chaddr and xid copied.  Options, in dnsmasq's order: message type, server id,
lease time with T1 = 1/2 and T2 = 7/8 of it (not for infinite leases), netmask and
broadcast (always), router = our address or giaddr and DNS server = our address when DNS runs on
port 53 (only when requested and not configured), domain name, host name, then the
configured --dhcp-option rows the client asked for (all of them when it sent no parameter
list, RFC 2132 §9.8) and every --dhcp-option-force row, then the encapsulating options
(125, encap:, 43 with 60 echoing the client's vendor class unless option 60 is configured);
option 82 echoed verbatim last.
Boot data (dnsmasq): --dhcp-boot's server and file names go into options 66/67 (after the
lease time, NUL-terminated) when the client lists them in option 55, unless
--dhcp-no-override, else into sname/file; without --dhcp-boot, configured options 66/67
move into sname/file unless the client lists them.  RFC 4039 rapid commit adds option 80
after the lease time; option 81 (RFC 4702) follows the host name.  A BOOTP reply has no
DHCP-only options (53, 54, 51, 58, 59).  The size limit is the client's option 57 minus IP
and UDP headers (dnsmasq), at most 16384.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Final

from lanctl.config.grammar.dhcp_boot import DhcpBoot
from lanctl.dhcp4.context import Link
from lanctl.dhcp4.options import VENDOR_CLASS, VENDOR_SPECIFIC, Chosen
from lanctl.dhcp4.wire import (
    BOOTREPLY,
    BROADCAST_FLAG,
    MIN_MAX_SIZE,
    ZERO,
    MessageType,
    Opt,
    Packet,
    address_packed,
    encode_packet,
)
from lanctl.tags import matches, specificity

__all__ = ["ReplyInfo", "build_nak", "build_reply", "choose_boot", "encode_reply", "max_size"]

PACKET_MAX: Final = 16384  # dnsmasq DHCP_PACKET_MAX
INFINITE: Final = 0xFFFFFFFF


@dataclass(slots=True)
class ReplyInfo:
    """Everything besides the request that goes into an OFFER, ACK or INFORM reply.

    Treated as immutable (not frozen: built per reply, and frozen construction is slow)."""

    mtype: MessageType
    yiaddr: IPv4Address
    link: Link
    lease_time: int | None  # None for DHCPINFORM (no lease options)
    configured: Mapping[int, Chosen]
    hostname: str | None = None
    domain: str | None = None
    dns_enabled: bool = False
    boot: DhcpBoot | None = None
    encapsulated: Mapping[int, Chosen] = field(default_factory=dict)
    vendor_class: bytes | None = None  # the client's, echoed in option 60 with option 43
    rapid: bool = False  # RFC 4039: a DHCPACK answering a DISCOVER
    bootp: bool = False  # a BOOTP reply: no DHCP options of its own
    no_override: bool = False  # --dhcp-no-override
    fqdn: bytes | None = None  # option 81 of the reply
    server_id: IPv4Address | None = None  # None: link.server (else --dhcp-proxy / RFC 5107)


def max_size(req: Packet) -> int:
    """Octets the reply may use: option 57 minus IP+UDP headers (576 when absent or small)."""
    raw = req.options.get(Opt.MAX_MESSAGE_SIZE)
    size = int.from_bytes(raw, "big") if raw is not None and len(raw) == 2 else MIN_MAX_SIZE
    return min(max(size, MIN_MAX_SIZE), PACKET_MAX) - 28


def encode_reply(reply: Packet, req: Packet, no_override: bool) -> bytes:
    """A reply's octets within the client's size limit; dnsmasq lets options spill into
    file/sname (option 52) only for a client with a parameter list, unless
    --dhcp-no-override."""
    overload = not no_override and 55 in req.options  # Opt.PARAMETER_LIST
    return encode_packet(reply, max_size(req), overload=overload)


def choose_boot(rows: tuple[object, ...], tags: frozenset[str]) -> DhcpBoot | None:
    """The --dhcp-boot line for these tags (tagged lines before untagged ones)."""
    best: DhcpBoot | None = None
    if not rows:
        return None
    for row in rows:
        if not isinstance(row, DhcpBoot) or not matches(row.tags, tags):
            continue
        if best is None or specificity(row.tags) > specificity(best.tags):
            best = row
    return best


def _requested(req: Packet) -> frozenset[int] | None:
    raw = req.options.get(55)  # Opt.PARAMETER_LIST
    if raw is None:
        return None
    asked = _ASKED.get(raw)  # clients of one kind send the same list
    if asked is None:
        if len(_ASKED) > 256:
            _ASKED.clear()
        asked = _ASKED[raw] = frozenset(raw)
    return asked


_ASKED: dict[bytes, frozenset[int]] = {}


def _header(req: Packet, yiaddr: IPv4Address, options: dict[int, bytes], **kw: object) -> Packet:
    return _reply(req, yiaddr, options, kw.get("siaddr", ZERO), kw)  # type: ignore[arg-type]


def _reply(
    req: Packet,
    yiaddr: IPv4Address,
    options: dict[int, bytes],
    siaddr: IPv4Address,
    kw: Mapping[str, object] | None,
) -> Packet:
    """The reply header: the request's fields (RFC 2131 Table 3) unless `kw` says otherwise."""
    agent = req.options.get(82)  # Opt.AGENT_INFO
    giaddr = req.giaddr
    if agent is not None and giaddr is not ZERO and giaddr != ZERO:  # RFC 3046 §2.2: to a relay
        options = {**options, 82: agent}  # a copy: `options` may be a shared template
    if not kw:
        return Packet(
            BOOTREPLY, req.xid, req.chaddr, req.htype, req.hlen, 0, 0, req.flags,
            req.ciaddr, yiaddr, siaddr, giaddr, b"", b"", options,
        )  # fmt: skip
    return Packet(
        BOOTREPLY,
        req.xid,
        req.chaddr,
        req.htype,
        req.hlen,
        0,
        0,
        kw.get("flags", req.flags),  # type: ignore[arg-type]
        kw.get("ciaddr", req.ciaddr),  # type: ignore[arg-type]
        yiaddr,
        siaddr,
        giaddr,
        kw.get("sname", b""),  # type: ignore[arg-type]
        kw.get("file", b""),  # type: ignore[arg-type]
        options,
    )


SNAME: Final = 66  # TFTP server name
FILENAME: Final = 67  # bootfile name
RAPID_COMMIT: Final = 80
# Option codes as plain ints: an IntEnum member lookup (Opt.X) costs a descriptor call.
_MESSAGE_TYPE: Final = int(Opt.MESSAGE_TYPE)
_SERVER_ID: Final = int(Opt.SERVER_ID)
_LEASE_TIME: Final = int(Opt.LEASE_TIME)
_T1: Final = int(Opt.T1)
_T2: Final = int(Opt.T2)
_NETMASK: Final = int(Opt.NETMASK)
_BROADCAST: Final = int(Opt.BROADCAST)
_ROUTER: Final = int(Opt.ROUTER)
_DNS_SERVER: Final = int(Opt.DNS_SERVER)
_DOMAIN_NAME: Final = int(Opt.DOMAIN_NAME)
_HOSTNAME: Final = int(Opt.HOSTNAME)
_CLIENT_FQDN: Final = int(Opt.CLIENT_FQDN)
_MTYPE: Final = {m: bytes((m,)) for m in MessageType}
_DHCPOFFER: Final = int(MessageType.DHCPOFFER)
_DHCPACK: Final = int(MessageType.DHCPACK)


def build_reply(req: Packet, info: ReplyInfo) -> Packet:
    """An OFFER, ACK, INFORM-ACK or BOOTP reply for `req`.

    The options and header overrides of a plain reply (no boot data, no encapsulated
    options, no --shared-network subnet, not BOOTP) depend only on the values in `key`
    below, so they are built once per such combination and shared (never changed:
    _reply copies before adding option 82); the header is filled in per request.
    """
    link, cfg = info.link, info.configured
    if info.boot is not None or info.encapsulated or link.shared or info.bootp:
        return _reply(req, *_build(req, info, info.yiaddr))
    router = address_packed(req.giaddr) if link.relayed else None
    key = (
        id(cfg), id(link), id(info.server_id), req.options.get(55), info.mtype,
        info.lease_time, info.rapid, info.dns_enabled, info.domain, info.hostname,
        info.fqdn, router,
    )  # fmt: skip
    hit = _TEMPLATES.get(key)
    if hit is None or hit[0] is not cfg or hit[1] is not link or hit[2] is not info.server_id:
        if len(_TEMPLATES) > 1024:
            _TEMPLATES.clear()
        _, opts, _, extra = _build(req, info, ZERO)  # siaddr: link.server (no boot data)
        inform = info.mtype == _DHCPACK and info.lease_time is None  # both in the key
        hit = _TEMPLATES[key] = (cfg, link, info.server_id, opts, extra, inform)
    return _reply(req, ZERO if hit[5] else info.yiaddr, hit[3], link.server, hit[4])


_Template = tuple[
    Mapping[int, Chosen], Link, IPv4Address | None, dict[int, bytes], dict[str, object] | None, bool
]
_TEMPLATES: dict[tuple[object, ...], _Template] = {}


def _build(
    req: Packet, info: ReplyInfo, yiaddr: IPv4Address
) -> tuple[IPv4Address, dict[int, bytes], IPv4Address, dict[str, object] | None]:
    """yiaddr (`yiaddr`, or ZERO for an INFORM), options, siaddr, header overrides."""
    bootp = info.bootp
    asked = None if bootp else _requested(req)  # None: every option is wanted
    link, cfg = info.link, info.configured
    lease_time = info.lease_time
    opts: dict[int, bytes] = {}
    if not bootp:
        opts[_MESSAGE_TYPE] = _MTYPE[info.mtype]
        opts[_SERVER_ID] = address_packed(info.server_id or link.server)  # proxy.py
        if lease_time is not None:
            opts[_LEASE_TIME] = lease_time.to_bytes(4, "big")
    if info.rapid:
        opts[RAPID_COMMIT] = b""
    boot = info.boot
    extra: dict[str, object] | None = None
    siaddr = link.server  # dnsmasq: "next server" is us
    if boot is not None:
        extra = {}
        override = not info.no_override
        if boot.servername:
            if override and asked is not None and SNAME in asked:
                opts[SNAME] = boot.servername.encode() + b"\0"
            else:
                extra["sname"] = boot.servername.encode()
        if override and asked is not None and FILENAME in asked:
            opts[FILENAME] = boot.filename.encode() + b"\0"
        else:
            extra["file"] = boot.filename.encode()
        if boot.server_address is not None:
            siaddr = boot.server_address
    if lease_time is not None and not bootp and lease_time != INFINITE:
        opts[_T1] = (lease_time // 2).to_bytes(4, "big")
        opts[_T2] = (lease_time * 7 // 8).to_bytes(4, "big")
    net = link.network_of(info.yiaddr) if link.shared else None
    net = net or link.network
    _, mask, broadcast = _net_octets(net)
    if _NETMASK not in cfg:
        opts[_NETMASK] = mask
    if _BROADCAST not in cfg:
        opts[_BROADCAST] = broadcast
    own = net is link.network or net == link.network  # no router into a --shared-network subnet
    if own and _ROUTER not in cfg and (asked is None or _ROUTER in asked):
        opts[_ROUTER] = address_packed(
            req.giaddr if link.relayed else link.server
        )  # relayed: giaddr
    if info.dns_enabled and _DNS_SERVER not in cfg and (asked is None or _DNS_SERVER in asked):
        opts[_DNS_SERVER] = address_packed(link.server)
    if info.domain and _DOMAIN_NAME not in cfg and (asked is None or _DOMAIN_NAME in asked):
        opts[_DOMAIN_NAME] = info.domain.encode()
    if info.hostname and (asked is None or _HOSTNAME in asked):
        opts[_HOSTNAME] = info.hostname.encode()
    if info.fqdn is not None:
        opts[_CLIENT_FQDN] = info.fqdn
    for code, chosen in cfg.items():
        if code in opts and code in (_MESSAGE_TYPE, _SERVER_ID):
            continue
        if code in (SNAME, FILENAME) and boot is None and not chosen.force:
            if asked is not None and code in asked:  # dnsmasq sends these NUL-terminated
                opts[code] = chosen.value + b"\0"
            else:
                if extra is None:
                    extra = {}
                extra["sname" if code == SNAME else "file"] = chosen.value
            continue
        if chosen.force or asked is None or code in asked or code in (_NETMASK, _BROADCAST):
            opts[code] = chosen.value
    for code, chosen in info.encapsulated.items():
        if chosen.force or asked is None or code in asked:
            opts[code] = chosen.value
            if code == VENDOR_SPECIFIC and info.vendor_class and VENDOR_CLASS not in cfg:
                opts[VENDOR_CLASS] = info.vendor_class
    mtype = info.mtype
    if mtype == _DHCPACK and lease_time is None:
        return ZERO, opts, siaddr, extra  # DHCPINFORM: RFC 2131 §4.3.5
    if mtype == _DHCPOFFER:
        if extra is None:
            extra = {}
        extra["ciaddr"] = ZERO
    return yiaddr, opts, siaddr, extra


_MASKS: dict[int, tuple[IPv4Network, bytes, bytes]] = {}  # id(net) -> it, mask, broadcast


def _net_octets(net: IPv4Network) -> tuple[IPv4Network, bytes, bytes]:
    """Netmask and broadcast octets of a link's network (by identity: hashing one is slow)."""
    done = _MASKS.get(id(net))
    if done is None or done[0] is not net:
        if len(_MASKS) > 1024:
            _MASKS.clear()
        done = _MASKS[id(net)] = (net, net.netmask.packed, net.broadcast_address.packed)
    return done


def build_nak(req: Packet, server: IPv4Address, message: str) -> Packet:
    """RFC 2131 §4.3.2: DHCPNAK with the server id and a message; broadcast via a relay."""
    opts: dict[int, bytes] = {
        Opt.MESSAGE_TYPE: bytes((MessageType.DHCPNAK,)),
        Opt.SERVER_ID: server.packed,
        Opt.MESSAGE: message.encode(),
    }
    flags = req.flags | BROADCAST_FLAG if req.giaddr != ZERO else req.flags
    return _header(req, ZERO, opts, ciaddr=ZERO, flags=flags)
