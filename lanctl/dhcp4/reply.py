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
from ipaddress import IPv4Address
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
)
from lanctl.tags import matches, specificity

__all__ = ["ReplyInfo", "build_nak", "build_reply", "choose_boot", "max_size"]

PACKET_MAX: Final = 16384  # dnsmasq DHCP_PACKET_MAX
INFINITE: Final = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class ReplyInfo:
    """Everything besides the request that goes into an OFFER, ACK or INFORM reply."""

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


def choose_boot(rows: tuple[object, ...], tags: frozenset[str]) -> DhcpBoot | None:
    """The --dhcp-boot line for these tags (tagged lines before untagged ones)."""
    best: DhcpBoot | None = None
    for row in rows:
        if not isinstance(row, DhcpBoot) or not matches(row.tags, tags):
            continue
        if best is None or specificity(row.tags) > specificity(best.tags):
            best = row
    return best


def _requested(req: Packet) -> frozenset[int] | None:
    raw = req.options.get(Opt.PARAMETER_LIST)
    return None if raw is None else frozenset(raw)


def _header(req: Packet, yiaddr: IPv4Address, options: dict[int, bytes], **kw: object) -> Packet:
    agent = req.options.get(Opt.AGENT_INFO)
    if agent is not None and req.giaddr != ZERO:  # RFC 3046 §2.2: echo only to a relay
        options[Opt.AGENT_INFO] = agent
    fields: dict[str, object] = {
        "op": BOOTREPLY,
        "xid": req.xid,
        "chaddr": req.chaddr,
        "htype": req.htype,
        "hlen": req.hlen,
        "flags": req.flags,
        "giaddr": req.giaddr,
        "ciaddr": req.ciaddr,
        "yiaddr": yiaddr,
        "options": options,
    }
    fields.update(kw)
    return Packet(**fields)  # type: ignore[arg-type]


SNAME: Final = 66  # TFTP server name
FILENAME: Final = 67  # bootfile name
RAPID_COMMIT: Final = 80


def build_reply(req: Packet, info: ReplyInfo) -> Packet:
    """An OFFER, ACK, INFORM-ACK or BOOTP reply for `req`."""
    asked = None if info.bootp else _requested(req)

    def wanted(code: int) -> bool:
        return asked is None or code in asked

    def listed(code: int) -> bool:  # asked for by name in option 55 (dnsmasq in_list)
        return asked is not None and code in asked

    link, cfg = info.link, info.configured
    opts: dict[int, bytes] = {}
    if not info.bootp:
        opts[Opt.MESSAGE_TYPE] = bytes((info.mtype,))
        opts[Opt.SERVER_ID] = (info.server_id or link.server).packed  # proxy.py
    if info.lease_time is not None and not info.bootp:
        opts[Opt.LEASE_TIME] = info.lease_time.to_bytes(4, "big")
    if info.rapid:
        opts[RAPID_COMMIT] = b""
    boot = info.boot
    extra: dict[str, object] = {"siaddr": link.server}  # dnsmasq: "next server" is us
    if boot is not None:
        override = not info.no_override
        if boot.servername:
            if override and listed(SNAME):
                opts[SNAME] = boot.servername.encode() + b"\0"
            else:
                extra["sname"] = boot.servername.encode()
        if override and listed(FILENAME):
            opts[FILENAME] = boot.filename.encode() + b"\0"
        else:
            extra["file"] = boot.filename.encode()
        if boot.server_address is not None:
            extra["siaddr"] = boot.server_address
    if info.lease_time is not None and not info.bootp and info.lease_time != INFINITE:
        opts[Opt.T1] = (info.lease_time // 2).to_bytes(4, "big")
        opts[Opt.T2] = (info.lease_time * 7 // 8).to_bytes(4, "big")
    net = link.network_of(info.yiaddr) or link.network
    if Opt.NETMASK not in cfg:
        opts[Opt.NETMASK] = net.netmask.packed
    if Opt.BROADCAST not in cfg:
        opts[Opt.BROADCAST] = net.broadcast_address.packed
    own = net == link.network  # no default route into a --shared-network subnet (dnsmasq)
    if own and Opt.ROUTER not in cfg and wanted(Opt.ROUTER):  # relayed: the giaddr (dnsmasq)
        opts[Opt.ROUTER] = (req.giaddr if link.relayed else link.server).packed
    if info.dns_enabled and Opt.DNS_SERVER not in cfg and wanted(Opt.DNS_SERVER):
        opts[Opt.DNS_SERVER] = link.server.packed
    if info.domain and Opt.DOMAIN_NAME not in cfg and wanted(Opt.DOMAIN_NAME):
        opts[Opt.DOMAIN_NAME] = info.domain.encode()
    if info.hostname and wanted(Opt.HOSTNAME):
        opts[Opt.HOSTNAME] = info.hostname.encode()
    if info.fqdn is not None:
        opts[Opt.CLIENT_FQDN] = info.fqdn
    for code, chosen in cfg.items():
        if code in opts and code in (Opt.MESSAGE_TYPE, Opt.SERVER_ID):
            continue
        if code in (SNAME, FILENAME) and boot is None and not chosen.force:
            if listed(code):  # dnsmasq sends these NUL-terminated
                opts[code] = chosen.value + b"\0"
            else:
                extra["sname" if code == SNAME else "file"] = chosen.value
            continue
        if chosen.force or wanted(code) or code in (Opt.NETMASK, Opt.BROADCAST):
            opts[code] = chosen.value
    for code, chosen in info.encapsulated.items():
        if chosen.force or wanted(code):
            opts[code] = chosen.value
            if code == VENDOR_SPECIFIC and info.vendor_class and VENDOR_CLASS not in cfg:
                opts[VENDOR_CLASS] = info.vendor_class
    if info.mtype == MessageType.DHCPACK and info.lease_time is None:
        return _header(req, ZERO, opts, **extra)  # DHCPINFORM: RFC 2131 §4.3.5
    if info.mtype == MessageType.DHCPOFFER:
        extra["ciaddr"] = ZERO
    return _header(req, info.yiaddr, opts, **extra)


def build_nak(req: Packet, server: IPv4Address, message: str) -> Packet:
    """RFC 2131 §4.3.2: DHCPNAK with the server id and a message; broadcast via a relay."""
    opts: dict[int, bytes] = {
        Opt.MESSAGE_TYPE: bytes((MessageType.DHCPNAK,)),
        Opt.SERVER_ID: server.packed,
        Opt.MESSAGE: message.encode(),
    }
    flags = req.flags | BROADCAST_FLAG if req.giaddr != ZERO else req.flags
    return _header(req, ZERO, opts, ciaddr=ZERO, flags=flags)
