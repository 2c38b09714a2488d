"""Encoded OFFER/ACK replies reused across clients: only the header differs (RFC 2131 §4.3.1).

A reply's options depend on the link (server id, router, netmask), the --dhcp-option rows
chosen for the client's tags, its parameter list (option 55), its size limit (option 57),
the lease time, the domain and rapid commit, and on nothing else of the client's when the
reply carries no name (12/81), no option 82 echo, no boot data and no encapsulated options,
is not BOOTP and not to a --shared-network link or a --dhcp-proxy server id.  Such a reply
is built and encoded once by the general code (reply.py, wire.py) and kept; the next client
with the same key gets a copy with its own header fields: htype, hlen, xid, flags, ciaddr
(zero in an OFFER), yiaddr, giaddr and chaddr.  Everything else in the header (op, hops,
secs, siaddr, sname, file) comes from the template, as reply.py writes it for any client.
tests/dhcp4/test_prebuilt.py holds the copies to the general code, octet for octet.
Pure, sans-IO.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Address
from typing import Final

from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4.context import Link, Request
from lanctl.dhcp4.reply import encode_reply
from lanctl.dhcp4.wire import MessageType, Packet, address_packed

__all__ = ["Encoded", "Prebuilt"]

# A reply header up to the end of chaddr (RFC 2131 Fig. 1): op, htype, hlen, hops, xid, secs,
# flags, ciaddr, yiaddr, siaddr, giaddr, chaddr; the template gives op, hops, secs, siaddr.
_HEAD: Final = struct.Struct("!BBBBIHHIII4s16s")
_OFFER: Final = int(MessageType.DHCPOFFER)
_LIMIT: Final = 1024  # templates kept (a key per link, option set and parameter list)


@dataclass(slots=True)
class Encoded:
    """A reply already encoded (the engine's send() takes it as it takes a Packet)."""

    yiaddr: IPv4Address
    payload: bytes


_Template = tuple[Link, Mapping[int, object], int, bytes]  # link, options, siaddr, after chaddr


class Prebuilt:
    """The reply templates of one engine configuration (made anew when it changes)."""

    def __init__(self, cfg: Dhcp4Cfg, encapsulated: bool) -> None:
        # --log-dhcp logs each reply's tags; boot data and encapsulated options depend on
        # more than the key.
        self.enabled = not (cfg.log_dhcp or cfg.dhcp_boot or encapsulated)
        self.no_override = cfg.dhcp_no_override
        self._templates: dict[tuple[object, ...], _Template] = {}

    def usable(self, ctx: Request, lease: int | None) -> bool:
        """Whether the reply to this request may come from a template (apart from its name)."""
        req = ctx.req
        options = req.options
        return (
            self.enabled
            and lease is not None  # not an INFORM answer
            and ctx.sid_override is None
            and not ctx.link.shared
            and 53 in options  # not BOOTP
            and 82 not in options
        )

    def get(
        self,
        ctx: Request,
        key: tuple[object, ...],
        configured: Mapping[int, object],
        addr: IPv4Address,
    ) -> Encoded | None:
        """The reply for this client from a template, or None when there is none yet."""
        link = ctx.link
        hit = self._templates.get(_full_key(ctx, key))
        if hit is None or hit[0] is not link or hit[1] is not configured:
            return None
        return Encoded(addr, _copy(hit[2], hit[3], ctx.req, key[0] == _OFFER, addr))

    def make(
        self,
        ctx: Request,
        key: tuple[object, ...],
        configured: Mapping[int, object],
        addr: IPv4Address,
        reply: Packet,
    ) -> Encoded:
        """Encode `reply` (the general code's, for this client) and keep it as a template."""
        payload = encode_reply(reply, ctx.req, self.no_override)  # as Outbound.send
        if len(self._templates) >= _LIMIT:
            self._templates.clear()
        siaddr = int.from_bytes(payload[20:24], "big")
        self._templates[_full_key(ctx, key)] = (ctx.link, configured, siaddr, payload[44:])
        return Encoded(addr, payload)


def _copy(siaddr: int, tail: bytes, req: Packet, offer: bool, addr: IPv4Address) -> bytes:
    """A template's reply for this client: its header fields, then the template's octets."""
    ciaddr = 0 if offer else int(req.ciaddr)
    head = _HEAD.pack(
        2, req.htype, req.hlen, 0, req.xid, 0, req.flags, ciaddr, int(addr), siaddr,
        address_packed(req.giaddr), req.chaddr,
    )  # fmt: skip
    return head + tail


def _full_key(ctx: Request, key: tuple[object, ...]) -> tuple[object, ...]:
    """A template's key: the link, the parameter list, the size limit, then the caller's."""
    options = ctx.req.options
    return (id(ctx.link), options.get(55), options.get(57), *key)
