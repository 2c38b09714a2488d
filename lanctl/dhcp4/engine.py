"""The DHCPv4 server state machine (RFC 2131 §4.3), sans-IO: datagrams in, effects out.

Theory of operation.  The engine owns the lease table of this process (loaded from the
store at start; every change is returned as a `LeaseChanged` effect that the adapter
commits before it sends the reply, RFC 2131 §3.1 step 4) plus two short-lived tables:
offers and declined addresses.

Rules:
- DHCPDISCOVER -> DHCPOFFER.  The address comes from allocate.py; it is then *reserved for
  the client for OFFER_HOLD seconds*, so concurrent clients are never offered the same
  address (dnsmasq does not reserve, and NAKs the loser of the race: ARCHITECTURE §5).
- DHCPREQUEST (§4.3.2): SELECTING (server id present; another server's id means the client
  declined our offer, which is released), INIT-REBOOT (option 50, no ciaddr) and
  RENEWING/REBINDING (ciaddr).  An INIT-REBOOT from a client without a lease is ignored
  unless --dhcp-authoritative (RFC 2131 §4.3.2: "MUST remain silent").  A wrong network,
  an address held by another client, or one outside the ranges gets DHCPNAK.
- DHCPRELEASE deletes the client's lease; DHCPDECLINE deletes it and quarantines the address
  for DECLINE_BACKOFF seconds (dnsmasq: 600 s); DHCPINFORM gets options without a lease.
- Leases expire at their deadline through next_deadline()/on_timer().
- Tags: the interface name, --dhcp-mac/relay-agent/class/--dhcp-match tags (classify.py;
  they also filter dhcp-host lines), the host's tags and "known"/"known-othernet", then
  --dhcp-name-match.  --dhcp-ignore (after --tag-if) answers nothing and logs "ignored".
- Log lines have dnsmasq's shape ("DHCPACK(eth0) 192.0.2.50 02:00:00:00:01:02 host");
  --quiet-dhcp suppresses the routine ones, --log-dhcp prefixes the xid and adds the tags.
Not yet: BOOTP (no option 53) requests, the ICMP ping check, option 81, dhcp-script.
"""

from __future__ import annotations

import heapq
import logging
import random
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Interface
from typing import Final, Literal

from lanctl.config.grammar.dhcp_host import DhcpHost
from lanctl.config.grammar.dhcp_option import DhcpOption
from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.config.grammar.tags import TagIf
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4 import allocate
from lanctl.dhcp4.classify import any_matches, generated_name, name_tags, option_tags, relay_tags
from lanctl.dhcp4.context import (
    Inbound,
    Link,
    Request,
    client_name,
    domain_for,
    find_host,
    find_link,
    format_mac,
)
from lanctl.dhcp4.effects import ClientInfo, Effect, LeaseChanged, Log, Send
from lanctl.dhcp4.options import Chosen, select_options
from lanctl.dhcp4.reply import INFINITE, ReplyInfo, build_nak, build_reply, choose_boot, max_size
from lanctl.dhcp4.wire import (
    BOOTREQUEST,
    ZERO,
    MessageType,
    Opt,
    Packet,
    decode_packet,
    encode_packet,
)
from lanctl.store.lease import Lease4
from lanctl.tags import apply_tag_if, matches

__all__ = ["DECLINE_BACKOFF", "OFFER_HOLD", "Dhcp4Engine", "Inbound"]

OFFER_HOLD: Final = 60.0  # seconds an offered address stays reserved for its client
DECLINE_BACKOFF: Final = 600.0  # dnsmasq DECLINE_BACKOFF
MIN_LEASE: Final = 120  # dnsmasq: a client may not ask for less
BROADCAST: Final = ("255.255.255.255", 68)
CLIENT_PORT: Final = 68
SERVER_PORT: Final = 67

Phase = Literal["selecting", "init-reboot", "renewing"]


class Dhcp4Engine:
    """DHCPv4 server logic over an in-memory lease table (see the module docstring)."""

    def __init__(
        self,
        cfg: Dhcp4Cfg,
        leases: Iterable[Lease4] = (),
        *,
        rng: random.Random,
        dns_enabled: bool = False,
    ) -> None:
        self.cfg = cfg
        self.rng = rng
        self.dns_enabled = dns_enabled
        self.ranges = tuple(r for r in cfg.dhcp_range if isinstance(r, Dhcp4Range))
        self.tag_ifs = tuple(t for t in cfg.tag_if if isinstance(t, TagIf))
        self.set_file_hosts(())
        self.set_file_options(())
        self.leases: dict[IPv4Address, Lease4] = {}
        self.by_cid: dict[bytes, IPv4Address] = {}
        self.by_hw: dict[tuple[int, bytes], IPv4Address] = {}
        self.offers: dict[IPv4Address, tuple[bytes, float]] = {}
        self.offer_of: dict[bytes, IPv4Address] = {}  # client key -> offered address
        self.declined: dict[IPv4Address, float] = {}
        self._deadlines: list[tuple[int, IPv4Address]] = []
        self.counters: dict[str, int] = {}
        self._next_purge = 0.0
        self._links: dict[tuple[IPv4Address, tuple[IPv4Interface, ...]], Link | None] = {}
        for lease in leases:
            self._store(lease)

    def set_file_hosts(self, hosts: Iterable[DhcpHost]) -> None:
        """--dhcp-hostsfile lines (start, SIGHUP): after the configuration's dhcp-host lines."""
        mine = tuple(h for h in self.cfg.dhcp_host if isinstance(h, DhcpHost))
        self.hosts = mine + tuple(hosts)
        self.reserved: dict[IPv4Address, DhcpHost] = {}
        for host in self.hosts:
            if host.ipv4 is not None:
                self.reserved.setdefault(host.ipv4, host)

    def set_file_options(self, options: Iterable[DhcpOption]) -> None:
        """--dhcp-optsfile lines (start, SIGHUP): after the configuration's dhcp-option lines."""
        mine = tuple(o for o in self.cfg.dhcp_option if isinstance(o, DhcpOption))
        self.options = mine + tuple(options)
        self._chosen: dict[tuple[frozenset[str], IPv4Address], dict[int, Chosen]] = {}

    # ---- lease table -------------------------------------------------------------------

    def _store(self, lease: Lease4) -> None:
        old = self.leases.get(lease.address)
        if old is not None:
            self._drop(old)  # an expired lease taken over by another client
        self.leases[lease.address] = lease
        if lease.client_id is not None:
            self.by_cid[lease.client_id] = lease.address
        self.by_hw[(lease.hwtype, lease.hwaddr)] = lease.address
        if lease.expires:
            heapq.heappush(self._deadlines, (lease.expires, lease.address))

    def _drop(self, lease: Lease4) -> None:
        self.leases.pop(lease.address, None)
        if lease.client_id is not None and self.by_cid.get(lease.client_id) == lease.address:
            del self.by_cid[lease.client_id]
        hw = (lease.hwtype, lease.hwaddr)
        if self.by_hw.get(hw) == lease.address:
            del self.by_hw[hw]

    def client_lease(self, client_id: bytes | None, htype: int, mac: bytes) -> Lease4 | None:
        """dnsmasq `lease_find_by_client`: by client-id, then by hardware address."""
        if client_id is not None:
            addr = self.by_cid.get(client_id)
            lease = self.leases.get(addr) if addr is not None else None
            if lease is not None and lease.client_id == client_id:
                return lease
        addr = self.by_hw.get((htype, mac))
        lease = self.leases.get(addr) if addr is not None else None
        if lease is None or (lease.hwtype, lease.hwaddr) != (htype, mac):
            return None
        if client_id is None or lease.client_id in (None, client_id):
            return lease
        return None

    # ---- the sans-IO interface ---------------------------------------------------------

    def on_datagram(self, pkt: Inbound, now: float) -> list[Effect]:
        """Answer one datagram; raises DecodeError (only) for a malformed packet."""
        req = decode_packet(pkt.payload)
        mtype = req.message_type
        if req.op != BOOTREQUEST or mtype is None:
            self._count("ignored")
            return []
        self._count(mtype.name)
        ctx = self._context(pkt, req)
        if ctx is None:
            self._count("no_range")
            return [Log(logging.DEBUG, f"no address range available for DHCP via {pkt.iface}")]
        if self._ignored(ctx):
            self._log(ctx, mtype.name, None, "ignored")
            return ctx.out
        handler = {
            MessageType.DHCPDISCOVER: self._discover,
            MessageType.DHCPREQUEST: self._request,
            MessageType.DHCPRELEASE: self._release,
            MessageType.DHCPDECLINE: self._decline,
            MessageType.DHCPINFORM: self._inform,
        }.get(mtype)
        if handler is not None:
            handler(ctx, now)
        return ctx.out

    def next_deadline(self) -> float | None:
        """When the next lease runs out (None: no lease expires)."""
        return float(self._deadlines[0][0]) if self._deadlines else None

    def on_timer(self, now: float) -> list[Effect]:
        """Expire leases whose time has come; forget old offers and quarantines."""
        out: list[Effect] = []
        while self._deadlines and self._deadlines[0][0] <= now:
            expires, addr = heapq.heappop(self._deadlines)
            lease = self.leases.get(addr)
            if lease is not None and lease.expires == expires:
                self._drop(lease)
                out.append(LeaseChanged("del", lease))
        self._purge(now)
        return out

    def stats(self) -> dict[str, int]:
        return {"leases": len(self.leases), "offers": len(self.offers), **self.counters}

    # ---- helpers -----------------------------------------------------------------------

    def _count(self, what: str) -> None:
        self.counters[what] = self.counters.get(what, 0) + 1

    def _purge(self, now: float) -> None:
        self._next_purge = now + 1.0
        for addr in [a for a, (_, t) in self.offers.items() if t <= now]:
            del self.offers[addr]
        self.offer_of = {k: a for k, a in self.offer_of.items() if a in self.offers}
        for addr in [a for a, t in self.declined.items() if t <= now]:
            del self.declined[addr]

    def _context(self, pkt: Inbound, req: Packet) -> Request | None:
        where = (req.giaddr, pkt.iface_addrs)
        if where in self._links:  # memoised: depends only on the config and the link
            link = self._links[where]
        else:
            if len(self._links) > 4096:
                self._links.clear()
            link = self._links[where] = find_link(self.ranges, pkt.iface_addrs, req.giaddr)
        if link is None:
            return None
        # --dhcp-ignore-clid: identify clients by hardware address only
        cid = None if self.cfg.dhcp_ignore_clid else req.options.get(Opt.CLIENT_ID) or None
        name = client_name(req.options.get(Opt.HOSTNAME))
        cfg = self.cfg
        tags = {pkt.iface} | relay_tags(cfg, req) | option_tags(cfg, req)
        host = find_host(self.hosts, req, cid, name, tags, link.network)
        if host is not None:
            tags.update(host.set_tags)
            tags.add("known")
        elif find_host(self.hosts, req, cid, name, tags) is not None:
            tags.add("known-othernet")
        tags |= name_tags(cfg, name)
        ranges = tuple(r for r in link.ranges if matches(r.match_tags, tags))
        ctx = Request(pkt, req, link, ranges, host, cid, name, tags, supplied=name)
        seen = apply_tag_if(self.tag_ifs, tags)
        if any_matches(cfg.dhcp_ignore_names, seen):
            ctx.name = None
        unnamed = ctx.name is None and (host is None or not host.hostname)
        if unnamed and any_matches(cfg.dhcp_generate_names, seen):
            ctx.name = generated_name(req)
        return ctx

    def _ignored(self, ctx: Request) -> bool:
        """--dhcp-ignore (tags before the range's, after --tag-if) or a dhcp-host `ignore`."""
        if ctx.host is not None and ctx.host.ignore:
            return True
        return any_matches(self.cfg.dhcp_ignore, apply_tag_if(self.tag_ifs, ctx.tags))

    def _log(self, ctx: Request, what: str, addr: IPv4Address | None, extra: str = "") -> None:
        cfg = self.cfg
        if cfg.quiet_dhcp and not cfg.log_dhcp and what not in ("DHCPNAK",):
            return
        # dnsmasq log_packet(): "%s(%s) %s%s %s" -- the name field stays, empty, at the end
        where = f"{addr} " if addr is not None else ""
        text = f"{what}({ctx.inb.iface}) {where}{format_mac(ctx.req.mac)} {extra}"
        if cfg.log_dhcp:
            text = f"{ctx.req.xid} {text}"
        ctx.out.append(Log(logging.INFO, text))

    def _taken(self, ctx: Request, addr: IPv4Address, now: float) -> bool:
        """Whether `addr` is unavailable to this client (held, offered, declined, reserved)."""
        if addr == ctx.link.server or not ctx.link.contains(addr):
            return True
        lease = self.leases.get(addr)
        if lease is not None and not lease.expired(int(now)):
            mine = self.client_lease(ctx.client_id, ctx.req.htype, ctx.req.mac)
            if mine is None or mine.address != addr:
                return True
        offer = self.offers.get(addr)
        if offer is not None and offer[1] > now and offer[0] != ctx.key:
            return True
        if self.declined.get(addr, 0.0) > now:
            return True
        owner = self.reserved.get(addr)
        return owner is not None and owner is not ctx.host

    def _range_of(self, ctx: Request, addr: IPv4Address) -> Dhcp4Range | None:
        for rng in ctx.ranges:
            if rng.start <= addr <= rng.end:
                return rng
        return ctx.ranges[0] if ctx.ranges else None

    def _allowed(self, ctx: Request, addr: IPv4Address) -> bool:
        """An address this client may hold: its reservation or one in a dynamic range."""
        if ctx.host is not None and ctx.host.ipv4 == addr:
            return True
        return any(r.mode == "dynamic" and r.start <= addr <= r.end for r in ctx.ranges)

    def _pick(self, ctx: Request, now: float) -> IPv4Address | None:
        host, req = ctx.host, ctx.req
        fixed = host.ipv4 if host is not None else None
        if fixed is not None and ctx.link.contains(fixed) and not self._taken(ctx, fixed, now):
            return fixed
        mine = self.client_lease(ctx.client_id, req.htype, req.mac)
        if (
            mine is not None
            and self._allowed(ctx, mine.address)
            and not self._taken(ctx, mine.address, now)
        ):
            return mine.address
        held = self.offer_of.get(ctx.key)
        entry = self.offers.get(held) if held is not None else None
        fresh = entry is not None and entry[0] == ctx.key and entry[1] > now
        if held is not None and fresh and self._allowed(ctx, held):
            return held
        if mine is None and len(self.leases) >= self.cfg.dhcp_lease_max:
            return None
        want = req.address_option(Opt.REQUESTED_ADDRESS)
        if want is not None and self._allowed(ctx, want) and not self._taken(ctx, want, now):
            return want
        return allocate.walk(
            ctx.ranges,
            req.mac,
            lambda a: self._taken(ctx, a, now),
            sequential=self.cfg.dhcp_sequential_ip,
            highest=self._highest,
        )

    def _highest(self, rng: Dhcp4Range) -> IPv4Address | None:
        inside = [a for a in self.leases if rng.start <= a <= rng.end]
        return max(inside) if inside else None

    def _lease_time(self, ctx: Request, addr: IPv4Address) -> int:
        rng = self._range_of(ctx, addr)
        time = rng.lease if rng is not None else 3600
        if ctx.host is not None and ctx.host.lease is not None:
            time = ctx.host.lease
        raw = ctx.req.options.get(Opt.LEASE_TIME)
        if raw is not None and len(raw) == 4:  # dnsmasq: honour a shorter requested time
            asked = max(int.from_bytes(raw, "big"), MIN_LEASE)
            if time == INFINITE or (asked != INFINITE and asked < time):
                time = asked
        return time

    def _configured(self, tags: frozenset[str], server: IPv4Address) -> dict[int, Chosen]:
        """The --dhcp-option rows for this tag set, encoded once and remembered."""
        key = (tags, server)
        chosen = self._chosen.get(key)
        if chosen is None:
            if len(self._chosen) > 4096:
                self._chosen.clear()
            chosen = self._chosen[key] = select_options(self.options, tags, server)
        return chosen

    def _hostname(self, ctx: Request) -> str | None:
        """The lease's name: the dhcp-host name, else the (sanitised) one the client sent."""
        if ctx.host is not None and ctx.host.hostname:
            return ctx.host.hostname
        return ctx.name

    def _final_tags(self, ctx: Request, addr: IPv4Address | None) -> frozenset[str]:
        tags = set(ctx.tags)
        rng = self._range_of(ctx, addr) if addr is not None else None
        if rng is not None and rng.set_tag:
            tags.add(rng.set_tag)
        return frozenset(apply_tag_if(self.tag_ifs, tags))

    def _reply(
        self, ctx: Request, mtype: MessageType, addr: IPv4Address, lease: int | None
    ) -> Packet:
        tags = self._final_tags(ctx, addr)
        if self.cfg.log_dhcp:
            ctx.out.append(Log(logging.INFO, f"{ctx.req.xid} tags: {', '.join(sorted(tags))}"))
        info = ReplyInfo(
            mtype=mtype,
            yiaddr=addr,
            link=ctx.link,
            lease_time=lease,
            configured=self._configured(tags, ctx.link.server),
            hostname=self._hostname(ctx),
            domain=domain_for(self.cfg.domain, addr),
            dns_enabled=self.dns_enabled,
            boot=choose_boot(self.cfg.dhcp_boot, tags),
        )
        return build_reply(ctx.req, info)

    def _send(self, ctx: Request, reply: Packet, *, nak: bool = False) -> None:
        """RFC 2131 §4.1 delivery: relay, NAK broadcast, ciaddr, broadcast flag, else unicast."""
        req = ctx.req
        payload = encode_packet(reply, max_size(req))
        iface = ctx.inb.iface
        if req.giaddr != ZERO:
            ctx.out.append(Send((str(req.giaddr), SERVER_PORT), payload, iface))
        elif nak:
            ctx.out.append(Send(BROADCAST, payload, iface))
        elif req.ciaddr != ZERO:
            ctx.out.append(Send((str(req.ciaddr), CLIENT_PORT), payload, iface))
        elif req.broadcast or self._force_broadcast(ctx) or reply.yiaddr == ZERO:
            ctx.out.append(Send(BROADCAST, payload, iface))
        else:
            dest = (str(reply.yiaddr), CLIENT_PORT)
            ctx.out.append(Send(dest, payload, iface, hwaddr=req.mac))

    def _force_broadcast(self, ctx: Request) -> bool:
        tags = frozenset(ctx.tags)
        return any(matches(refs, tags) for refs in self.cfg.dhcp_broadcast)  # type: ignore[arg-type]

    def _nak(self, ctx: Request, addr: IPv4Address, message: str) -> None:
        self._count("nak")
        self._log(ctx, "DHCPNAK", addr, message)
        self._send(ctx, build_nak(ctx.req, ctx.link.server, message), nak=True)

    # ---- messages ----------------------------------------------------------------------

    def _discover(self, ctx: Request, now: float) -> None:
        want = ctx.req.address_option(Opt.REQUESTED_ADDRESS)
        if now >= self._next_purge:  # amortised: at most once a second, never per packet
            self._purge(now)
        addr = self._pick(ctx, now)
        if addr is None:
            self._log(ctx, "DHCPDISCOVER", want, "no address available")
            return
        self._log(ctx, "DHCPDISCOVER", want)
        self.offers[addr] = (ctx.key, now + OFFER_HOLD)
        self.offer_of[ctx.key] = addr
        reply = self._reply(ctx, MessageType.DHCPOFFER, addr, self._lease_time(ctx, addr))
        self._log(ctx, "DHCPOFFER", addr)
        self._send(ctx, reply)

    def _request(self, ctx: Request, now: float) -> None:
        req = ctx.req
        sid = req.address_option(Opt.SERVER_ID)
        want = req.address_option(Opt.REQUESTED_ADDRESS)
        phase: Phase
        if sid is not None:
            if sid != ctx.link.server:  # the client took another server's offer
                held = self.offer_of.pop(ctx.key, None)
                if held is not None and self.offers.get(held, (b"",))[0] == ctx.key:
                    del self.offers[held]
                return
            phase, addr = "selecting", want if want is not None else req.ciaddr
        elif req.ciaddr != ZERO:
            phase, addr = "renewing", req.ciaddr
        elif want is not None:
            phase, addr = "init-reboot", want
        else:
            return
        mine = self.client_lease(ctx.client_id, req.htype, req.mac)
        if phase == "init-reboot" and mine is None and not self.cfg.dhcp_authoritative:
            return  # RFC 2131 §4.3.2: no record of this client: remain silent
        self._log(ctx, "DHCPREQUEST", addr)
        if not ctx.link.contains(addr) or addr == ZERO:
            self._nak(ctx, addr, "wrong network")
            return
        if mine is not None and mine.address != addr and phase != "selecting":
            self._nak(ctx, addr, "wrong address")
            return
        if self._taken(ctx, addr, now):
            self._nak(ctx, addr, "address in use")
            return
        if not self._allowed(ctx, addr):
            self._nak(ctx, addr, "address not available")
            return
        if (mine is None or mine.address != addr) and len(self.leases) >= self.cfg.dhcp_lease_max:
            self._nak(ctx, addr, "no leases left")
            return
        self._ack(ctx, addr, mine, now)

    def _ack(self, ctx: Request, addr: IPv4Address, mine: Lease4 | None, now: float) -> None:
        req = ctx.req
        time = self._lease_time(ctx, addr)
        hostname = self._hostname(ctx)
        if hostname is None and mine is not None and mine.address == addr:
            hostname = mine.hostname  # dnsmasq keeps the lease's name when none is given
        lease = Lease4(
            address=addr,
            hwaddr=req.mac,
            hwtype=req.htype,
            client_id=ctx.client_id,
            hostname=hostname,
            expires=0 if time == INFINITE else int(now) + time,
        )
        if mine is not None and mine.address != addr:
            self._drop(mine)
            ctx.out.append(LeaseChanged("del", mine))
        self.offers.pop(addr, None)
        same = mine is not None and mine.address == addr
        self._store(lease)
        info = client_info(ctx, self._final_tags(ctx, addr))
        ctx.out.append(LeaseChanged("old" if same else "add", lease, mine if same else None, info))
        reply = self._reply(ctx, MessageType.DHCPACK, addr, time)
        self._log(ctx, "DHCPACK", addr, hostname or "")
        self._send(ctx, reply)

    def _release(self, ctx: Request, now: float) -> None:
        req = ctx.req
        sid = req.address_option(Opt.SERVER_ID)
        if sid is not None and sid != ctx.link.server:
            return
        lease = self.leases.get(req.ciaddr)
        mine = self.client_lease(ctx.client_id, req.htype, req.mac)
        if lease is None or mine is None or mine.address != lease.address:
            self._log(ctx, "DHCPRELEASE", req.ciaddr, "unknown lease")
            return
        self._log(ctx, "DHCPRELEASE", req.ciaddr)
        self._drop(lease)
        ctx.out.append(LeaseChanged("del", lease))

    def _decline(self, ctx: Request, now: float) -> None:
        req = ctx.req
        addr = req.address_option(Opt.REQUESTED_ADDRESS)
        sid = req.address_option(Opt.SERVER_ID)
        if addr is None or (sid is not None and sid != ctx.link.server):
            return
        self._log(ctx, "DHCPDECLINE", addr)
        lease = self.leases.get(addr)
        mine = self.client_lease(ctx.client_id, req.htype, req.mac)
        if lease is not None and mine is not None and mine.address == addr:
            self._drop(lease)
            ctx.out.append(LeaseChanged("del", lease))
        self.offers.pop(addr, None)
        self.declined[addr] = now + DECLINE_BACKOFF

    def _inform(self, ctx: Request, now: float) -> None:
        req = ctx.req
        self._log(ctx, "DHCPINFORM", req.ciaddr)
        if req.ciaddr == ZERO:
            return
        reply = self._reply(ctx, MessageType.DHCPACK, req.ciaddr, None)
        self._log(ctx, "DHCPACK", req.ciaddr)
        self._send(ctx, reply)


def client_info(ctx: Request, tags: frozenset[str]) -> ClientInfo:
    """What the lease-change script learns from this request (dnsmasq helper.c's env)."""
    req = ctx.req
    prl = req.options.get(Opt.PARAMETER_LIST)
    return ClientInfo(
        iface=ctx.inb.iface,
        supplied_hostname=ctx.supplied,
        requested_options=tuple(prl) if prl else None,
        vendor_class=req.options.get(Opt.VENDOR_CLASS) or None,
        relay=str(req.giaddr) if req.giaddr != ZERO else None,
        tags=tuple(sorted(tags)),
    )
