"""What the DHCPv4 engine sends: log lines, reply assembly and delivery (RFC 2131 §4.1, §4.3).

`Outbound` is a mixin of Dhcp4Engine (engine.py): dnsmasq-shaped log lines (--quiet-dhcp,
--log-dhcp), the final tags of a reply (--tag-if, the range's set tag), the --dhcp-option rows
for them, the lease's name (dhcp-host name, option 12/81 via fqdn.py, --dhcp-client-update),
delivery to relay/ciaddr/broadcast/unicast (--dhcp-broadcast, --dhcp-no-override) and
--dhcp-reply-delay holding (delay.py).  Sans-IO: effects are appended to the request.

A plain OFFER or ACK (no name, no boot data, no encapsulated options, no option 82, not
--log-dhcp) differs from the one before it on the same link only in its header: it is
encoded once per (link, options chosen, parameter list, size limit, ...) by the general
code (prebuilt.py) and copied with the client's fields for the next (`Encoded`).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from ipaddress import IPv4Address
from typing import Final

from lanctl.config.grammar.dhcp_option import DhcpOption
from lanctl.config.grammar.tags import TagIf
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4.choose import range_of
from lanctl.dhcp4.context import Request, domain_for, format_mac
from lanctl.dhcp4.delay import HeldReplies, release_time
from lanctl.dhcp4.effects import LeaseChanged, Log, Send
from lanctl.dhcp4.fqdn import reply_fqdn
from lanctl.dhcp4.leasenames import LeaseNames
from lanctl.dhcp4.leasetable import LeaseTable
from lanctl.dhcp4.options import Chosen, select_encapsulated, select_options, vendor_class_for
from lanctl.dhcp4.prebuilt import Encoded, Prebuilt
from lanctl.dhcp4.reply import ReplyInfo, build_nak, build_reply, choose_boot, encode_reply
from lanctl.dhcp4.wire import ZERO, MessageType, Packet, address_text
from lanctl.store.lease import Lease4
from lanctl.tags import apply_tag_if, matches

BROADCAST: Final = ("255.255.255.255", 68)
_OFFER: Final = int(MessageType.DHCPOFFER)
CLIENT_PORT: Final = 68
SERVER_PORT: Final = 67


class Outbound:
    """Log, reply and delivery methods of Dhcp4Engine (which sets these attributes)."""

    cfg: Dhcp4Cfg
    table: LeaseTable
    dns_enabled: bool
    tag_ifs: tuple[TagIf, ...]
    counters: dict[str, int]
    options: tuple[DhcpOption, ...]
    held: HeldReplies
    prebuilt: Prebuilt
    _encap: tuple[DhcpOption, ...]
    _chosen: dict[tuple[frozenset[str], IPv4Address], dict[int, Chosen]]

    def _count(self, what: str) -> None:
        self.counters[what] = self.counters.get(what, 0) + 1

    def log(self, ctx: Request, what: str, addr: IPv4Address | None, extra: str = "") -> None:
        cfg = self.cfg
        if cfg.quiet_dhcp and not cfg.log_dhcp and what not in ("DHCPNAK",):
            return
        # dnsmasq log_packet(): "%s(%s) %s%s %s" -- the name field stays, empty, at the end
        where = f"{addr} " if addr is not None else ""
        text = f"{what}({ctx.inb.iface}) {where}{format_mac(ctx.req.mac)} {extra}"
        if cfg.log_dhcp:
            text = f"{ctx.req.xid} {text}"
        ctx.out.append(Log(logging.INFO, text))

    def _configured(self, tags: frozenset[str], server: IPv4Address) -> dict[int, Chosen]:
        """The --dhcp-option rows for this tag set, encoded once and remembered."""
        key = (tags, server)
        chosen = self._chosen.get(key)
        if chosen is None:
            if len(self._chosen) > 4096:
                self._chosen.clear()
            chosen = self._chosen[key] = select_options(self.options, tags, server)
        return chosen

    def hostname(self, ctx: Request) -> str | None:
        """The lease's name: the dhcp-host name, else the (sanitised) one the client sent."""
        if ctx.host is not None and ctx.host.hostname:
            return ctx.host.hostname
        return ctx.name

    @property
    def names(self) -> LeaseNames:
        """Who holds each lease name (leasenames.py), made from the table at first use."""
        names: LeaseNames | None = self.__dict__.get("_lease_names")
        if names is None:
            names = self.__dict__["_lease_names"] = LeaseNames(self.table)
        return names

    def lease_name(
        self, ctx: Request, addr: IPv4Address, name: str | None, mine: Lease4 | None, now: float
    ) -> str | None:
        """The name the lease at `addr` gets: `name`, unless another lease keeps it.

        dnsmasq gives a name to one lease at a time (leasenames.py): a lease that loses
        its name to this one is stored without it here ("old", as dnsmasq runs the script).
        """
        if name is None:
            return None
        host = ctx.host
        configured = (
            host is not None
            and host.hostname == name
            and bool(host.macs or host.client_id is not None)
        )
        claim = self.names.claim(name, addr, configured, now, mine)
        if claim.loser is not None:
            unnamed = replace(claim.loser, hostname=None)
            self.table.store(unnamed)
            ctx.out.append(LeaseChanged("old", unnamed, claim.loser))
        return name if claim.granted else None

    def final_tags(self, ctx: Request, addr: IPv4Address | None) -> frozenset[str]:
        rng = range_of(ctx, addr) if addr is not None else None
        extra = rng.set_tag if rng is not None else None
        done = ctx.finals.get(extra)  # the same for every address of one range
        if done is None:
            tags = set(ctx.tags)
            if extra:
                tags.add(extra)
            if self.tag_ifs:
                tags = apply_tag_if(self.tag_ifs, tags)
            done = ctx.finals[extra] = frozenset(tags)
        return done

    def reply(
        self,
        ctx: Request,
        mtype: MessageType,
        addr: IPv4Address,
        lease: int | None,
        *,
        rapid: bool = False,
    ) -> Packet | Encoded:
        tags = self.final_tags(ctx, addr)
        domain = domain_for(self.cfg.domain, addr)
        configured = self._configured(tags, ctx.link.server)
        hostname = self.hostname(ctx)
        fqdn = None
        if ctx.fqdn is not None:
            update = self.cfg.dhcp_client_update
            fqdn = reply_fqdn(ctx.fqdn, hostname, domain, update)
        elif mtype == _OFFER and not _offer_names(ctx):
            hostname = None  # dnsmasq 2.90 names the client in an OFFER only after option 81
        key = None
        prebuilt = self.prebuilt
        if hostname is None and fqdn is None and prebuilt.usable(ctx, lease):
            key = (mtype, lease, rapid, domain, id(configured))
            hit = prebuilt.get(ctx, key, configured, addr)
            if hit is not None:
                return hit
        if self.cfg.log_dhcp:
            ctx.out.append(Log(logging.INFO, f"{ctx.req.xid} tags: {', '.join(sorted(tags))}"))
        vendor = vendor_class_for(ctx.req.options, configured)
        info = ReplyInfo(
            mtype=mtype,
            yiaddr=addr,
            link=ctx.link,
            lease_time=lease,
            configured=configured,
            hostname=hostname,
            domain=domain,
            dns_enabled=self.dns_enabled,
            boot=choose_boot(self.cfg.dhcp_boot, tags),
            encapsulated=select_encapsulated(self._encap, tags, vendor),
            vendor_class=vendor,
            rapid=rapid,
            bootp=ctx.req.message_type is None,
            no_override=self.cfg.dhcp_no_override,
            fqdn=fqdn,
            server_id=ctx.server_id,
        )
        packet = build_reply(ctx.req, info)
        if key is not None:  # encoded now, kept for the next client like this one
            return prebuilt.make(ctx, key, configured, addr, packet)
        return packet

    def send(
        self,
        ctx: Request,
        reply: Packet | Encoded,
        *,
        nak: bool = False,
        hold_until: float | None = None,
    ) -> None:
        """RFC 2131 §4.1 delivery: relay, NAK broadcast, ciaddr, broadcast flag, else unicast.

        With `hold_until` (--dhcp-reply-delay), the reply comes out of on_timer() at that
        time instead; next_deadline() says when.
        """
        req = ctx.req
        if isinstance(reply, Packet):
            payload = encode_reply(reply, req, self.cfg.dhcp_no_override)
        else:
            payload = reply.payload
        iface = ctx.inb.iface
        if req.giaddr != ZERO:
            out = Send((address_text(req.giaddr), SERVER_PORT), payload, iface)
        elif nak:
            out = Send(BROADCAST, payload, iface)
        elif req.ciaddr != ZERO:
            out = Send((str(req.ciaddr), CLIENT_PORT), payload, iface)
        elif req.broadcast or self._force_broadcast(ctx) or reply.yiaddr == ZERO:
            out = Send(BROADCAST, payload, iface)
        else:
            out = Send((str(reply.yiaddr), CLIENT_PORT), payload, iface, hwaddr=req.mac)
        if hold_until is not None:
            self.held.hold(hold_until, out)
        else:
            ctx.out.append(out)

    def hold_until(self, ctx: Request, addr: IPv4Address, now: float) -> float | None:
        """--dhcp-reply-delay: when this client's DISCOVER answer may go (None: now)."""
        if not self.cfg.dhcp_reply_delay:
            return None
        tags = self.final_tags(ctx, addr)
        return release_time(self.cfg.dhcp_reply_delay, tags, ctx.received, now)

    def _force_broadcast(self, ctx: Request) -> bool:
        if not self.cfg.dhcp_broadcast:
            return False
        tags = frozenset(ctx.tags)
        return any(matches(refs, tags) for refs in self.cfg.dhcp_broadcast)  # type: ignore[arg-type]

    def nak(self, ctx: Request, addr: IPv4Address, message: str) -> None:
        self._count("nak")
        self.log(ctx, "DHCPNAK", addr, message)
        self.send(ctx, build_nak(ctx.req, ctx.server_id, message), nak=True)


def _offer_names(ctx: Request) -> bool:
    """dnsmasq 2.90 on the wire (tests/dhcp4/test_ethers_compat.py): an OFFER without option
    81 carries the name of a dhcp-host found by MAC or client id, unless the client sent
    another name; never the name of a dhcp-host found by the client's name."""
    host = ctx.host
    if host is None or not host.hostname or not (host.macs or host.client_id):
        return False
    return ctx.supplied is None or ctx.supplied.lower() == host.hostname.lower()
