"""The DHCPv4 server, sans-IO: datagrams in, effects out (RFC 2131 §4.3).

Theory of operation.  The engine owns the lease table of this process (leasetable.py,
loaded from the store at start; every change is returned as a `LeaseChanged` effect that
the adapter commits before it sends the reply, RFC 2131 §3.1 step 4), the offers and
declined addresses (choose.py, which also picks addresses and lease times), and hands each
message to its handler (messages.py).  This module finds the request's context and tags;
the Outbound mixin (outbound.py) logs, assembles replies and delivers them; leases expire
through next_deadline()/on_timer().
- Tags: the interface name, --dhcp-mac/relay-agent/class/--dhcp-match tags (classify.py;
  they also filter dhcp-host lines), the host's tags and "known"/"known-othernet", then
  --dhcp-name-match.  --dhcp-ignore (after --tag-if) answers nothing and logs "ignored".
- Log lines have dnsmasq's shape ("DHCPACK(eth0) 192.0.2.50 02:00:00:00:01:02 host");
  --quiet-dhcp suppresses the routine ones, --log-dhcp prefixes the xid and adds the tags.
- The ping check (pingcheck.py): a DISCOVER whose address must be pinged first returns a
  `Probe`; on_probe_result() resumes it (offer, or another address if it answered).
- BOOTP requests (no option 53) go to messages.bootp; option 81 names the client (fqdn.py);
  --dhcp-reply-delay holds replies (delay.py), released by on_timer() at next_deadline().
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from ipaddress import IPv4Address, IPv4Interface
from typing import Final

from lanctl.config.grammar.dhcp_host import DhcpHost
from lanctl.config.grammar.dhcp_net import SharedNetwork
from lanctl.config.grammar.dhcp_option import DhcpOption
from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.config.grammar.tags import TagIf
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4 import messages
from lanctl.dhcp4.choose import DECLINE_BACKOFF, OFFER_HOLD, Chooser
from lanctl.dhcp4.classify import any_matches, generated_name, name_tags, option_tags, relay_tags
from lanctl.dhcp4.context import Inbound, Link, Request, client_name, find_host, find_link
from lanctl.dhcp4.delay import HeldReplies
from lanctl.dhcp4.effects import Effect, LeaseChanged, Log
from lanctl.dhcp4.fqdn import parse_fqdn
from lanctl.dhcp4.leasetable import LeaseTable
from lanctl.dhcp4.options import Chosen
from lanctl.dhcp4.outbound import Outbound
from lanctl.dhcp4.pingcheck import PING_CACHE_TIME, PingCheck
from lanctl.dhcp4.prebuilt import Prebuilt
from lanctl.dhcp4.proxy import server_id_override
from lanctl.dhcp4.wire import BOOTREQUEST, ZERO, MessageType, Opt, Packet, decode_packet
from lanctl.store.lease import Lease4
from lanctl.tags import apply_tag_if, matches

__all__ = ["DECLINE_BACKOFF", "OFFER_HOLD", "Dhcp4Engine", "Inbound"]

Handler = Callable[["Dhcp4Engine", Request, float], None]
HANDLERS: Final[dict[MessageType, Handler]] = {
    MessageType.DHCPDISCOVER: messages.discover,
    MessageType.DHCPREQUEST: messages.request,
    MessageType.DHCPRELEASE: messages.release,
    MessageType.DHCPDECLINE: messages.decline,
    MessageType.DHCPINFORM: messages.inform,
}
BOOTP: Final = "BOOTP"  # log name and tag of a request without option 53
_NAMES: Final = {m: m.name for m in MessageType}  # (Enum.name is a slow property)


class Dhcp4Engine(Outbound):
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
        self.shared = tuple(n for n in cfg.shared_network if isinstance(n, SharedNetwork))
        self._tagged_ranges = any(r.match_tags for r in self.ranges)
        self._classifies = bool(  # any source of class tags (classify.py) configured
            cfg.dhcp_mac
            or cfg.dhcp_circuitid
            or cfg.dhcp_remoteid
            or cfg.dhcp_subscrid
            or cfg.dhcp_vendorclass
            or cfg.dhcp_userclass
            or cfg.dhcp_match
        )
        self.table = LeaseTable()
        self.leases = self.table.leases  # the same dict: address -> lease
        self.choice = Chooser(cfg, self.table)
        self.ping = PingCheck(enabled=not cfg.no_ping)
        self.set_file_hosts(())
        self.set_file_options(())
        self.counters: dict[str, int] = {}
        self._next_purge = 0.0
        self._links: dict[tuple[IPv4Address, str, tuple[IPv4Interface, ...]], Link | None] = {}
        self._last_link: tuple[object, str, object, Link | None] = (None, "", None, None)
        self.held = HeldReplies()  # --dhcp-reply-delay
        for lease in leases:
            self.table.store(lease)

    def set_file_hosts(
        self, hosts: Iterable[DhcpHost], mine: Iterable[DhcpHost] | None = None
    ) -> None:
        """--dhcp-hostsfile lines (start, SIGHUP) in the order read, which is after the
        configuration's dhcp-host lines (`mine` replaces those: --read-ethers merges
        ethers lines into them)."""
        if mine is None:
            mine = (h for h in self.cfg.dhcp_host if isinstance(h, DhcpHost))
        # dnsmasq searches its host list newest first: of two lines for a client, the last
        # read wins, and file lines win over the configuration's (test_hosts_order_compat.py)
        self.hosts = (*reversed(tuple(hosts)), *reversed(tuple(mine)))
        reserved: dict[IPv4Address, DhcpHost] = {}
        for host in self.hosts:
            if host.ipv4 is not None:
                reserved.setdefault(host.ipv4, host)
        self.choice.reserved = reserved

    def set_file_options(self, options: Iterable[DhcpOption]) -> None:
        """--dhcp-optsfile lines (start, SIGHUP): after the configuration's dhcp-option lines."""
        mine = tuple(o for o in self.cfg.dhcp_option if isinstance(o, DhcpOption))
        self.options = mine + tuple(options)
        self._encap = tuple(o for o in self.options if o.encapsulated)
        self.prebuilt = Prebuilt(self.cfg, bool(self._encap))  # its templates used them
        self._chosen: dict[tuple[frozenset[str], IPv4Address], dict[int, Chosen]] = {}

    def client_lease(self, client_id: bytes | None, htype: int, mac: bytes) -> Lease4 | None:
        """dnsmasq `lease_find_by_client`: by client-id, then by hardware address."""
        return self.table.client_lease(client_id, htype, mac)

    # ---- the sans-IO interface ---------------------------------------------------------

    def on_datagram(self, pkt: Inbound, now: float) -> list[Effect]:
        """Answer one datagram; raises DecodeError (only) for a malformed packet."""
        req = decode_packet(pkt.payload)
        mtype = req.message_type
        bootp = mtype is None and Opt.MESSAGE_TYPE not in req.options
        if req.op != BOOTREQUEST or (mtype is None and not bootp):
            self._count("ignored")
            return []
        self._count(BOOTP if mtype is None else _NAMES[mtype])
        ctx = self._context(pkt, req, mtype)
        if ctx is None:
            self._count("no_range")
            return [Log(logging.DEBUG, f"no address range available for DHCP via {pkt.iface}")]
        ctx.received = now
        if self._ignored(ctx):
            self.log(ctx, BOOTP if mtype is None else mtype.name, None, "ignored")
            return ctx.out
        handler = messages.bootp if mtype is None else HANDLERS.get(mtype)
        if handler is not None:
            handler(self, ctx, now)
        return ctx.out

    def on_probe_result(self, addr: IPv4Address, in_use: bool, now: float) -> list[Effect]:
        """A `Probe` answered (in use) or timed out: resume the DISCOVER that waited on it."""
        ctx = self.ping.result(addr, in_use, now)
        if ctx is None:
            return []
        ctx.out = []
        if in_use:  # dnsmasq tries another address; skip this one for a while
            self._count("ping_in_use")
            self.choice.withdraw(ctx)
            self.choice.declined[addr] = now + PING_CACHE_TIME
        messages.discover(self, ctx, now)
        return ctx.out

    def ping_first(self, ctx: Request, addr: IPv4Address, now: float) -> bool:
        """Whether the offer of `addr` waits for a ping (a `Probe` is added when one starts)."""
        if not self.ping.enabled:  # --no-ping: nothing is ever pending either
            return False
        waiting = self.ping.pending.get(addr)
        if waiting is not None:
            if waiting.key == ctx.key:  # a retransmission: answer the latest DISCOVER
                self.ping.pending[addr] = ctx
            return True
        mine = self.table.client_lease(ctx.client_id, ctx.req.htype, ctx.req.mac)
        checked = (
            (ctx.host is not None and ctx.host.ipv4 == addr)
            or (mine is not None and mine.address == addr)
            or self.choice.held_for(ctx) == addr
        )
        if not self.ping.needed(ctx, addr, now, checked=checked):
            return False
        if addr not in self.ping.pending:
            self.choice.offer(ctx, addr, now)  # held for this client while the ping is out
            ctx.out.append(self.ping.start(ctx, addr, now))
        return True

    def next_deadline(self) -> float | None:
        """When the next lease runs out or a delayed reply is due (None: nothing pending)."""
        lease = self.table.next_deadline()
        due = self.held.next_due()
        if due is None or lease is None:
            return lease if due is None else due
        return min(lease, due)

    def on_timer(self, now: float) -> list[Effect]:
        """Expire leases; send delayed replies now due; forget old offers and quarantines."""
        out: list[Effect] = [LeaseChanged("del", lease) for lease in self.table.expired(now)]
        out.extend(self.held.due(now))
        self.purge(now)
        return out

    def stats(self) -> dict[str, int]:
        return {"leases": len(self.leases), "offers": len(self.choice.offers), **self.counters}

    # ---- helpers -----------------------------------------------------------------------

    def purge(self, now: float) -> None:
        self._next_purge = now + 1.0
        self.choice.purge(now)
        self.ping.purge(now)

    def maybe_purge(self, now: float) -> None:
        """Amortised purge: at most once a second, never per packet."""
        if now >= self._next_purge:
            self.purge(now)

    def _context(self, pkt: Inbound, req: Packet, mtype: MessageType | None) -> Request | None:
        where = (req.giaddr, pkt.iface, pkt.iface_addrs)
        last = self._last_link  # the same relay/interface as the packet before (identity)
        if last[0] is where[0] and last[1] == where[1] and last[2] is where[2]:
            link = last[3]
        elif where in self._links:  # memoised: depends only on the config and the link
            link = self._links[where]
            self._last_link = (*where, link)
        else:
            if len(self._links) > 4096:
                self._links.clear()
            link = self._links[where] = find_link(
                self.ranges, pkt.iface_addrs, req.giaddr, pkt.iface, self.shared
            )
        if link is None:
            return None
        # --dhcp-ignore-clid: identify clients by hardware address only
        cfg = self.cfg
        options = req.options
        cid = None if cfg.dhcp_ignore_clid else options.get(Opt.CLIENT_ID) or None
        raw = options.get(Opt.HOSTNAME)
        name = client_name(raw) if raw is not None else None
        raw = options.get(Opt.CLIENT_FQDN)
        fqdn = parse_fqdn(raw) if raw is not None else None
        if fqdn is not None and fqdn.host:  # dnsmasq: option 81 before option 12
            name = client_name(fqdn.host.encode()) or name
        tags = {pkt.iface}
        if self._classifies:
            tags |= relay_tags(cfg, req)
            tags |= option_tags(cfg, req)
        if mtype is None:  # dnsmasq takes no name from a BOOTP request
            tags.add("bootp")
            name = fqdn = None
        host = find_host(self.hosts, req, cid, name, tags, link) if self.hosts else None
        if host is not None:
            tags.update(host.set_tags)
            tags.add("known")
        elif self.hosts and find_host(self.hosts, req, cid, name, tags) is not None:
            tags.add("known-othernet")
        if name and cfg.dhcp_name_match:
            tags |= name_tags(cfg, name)
        ranges = link.ranges
        if self._tagged_ranges:
            ranges = tuple(r for r in ranges if matches(r.match_tags, tags))
        ctx = Request(pkt, req, link, ranges, host, cid, name, tags, supplied=name, fqdn=fqdn)
        if req.giaddr is not ZERO:  # --dhcp-proxy and RFC 5107 concern relayed requests only
            ctx.sid_override = server_id_override(cfg, req)
        if cfg.dhcp_ignore_names or cfg.dhcp_generate_names:
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
        if not self.cfg.dhcp_ignore:
            return False
        return any_matches(self.cfg.dhcp_ignore, apply_tag_if(self.tag_ifs, ctx.tags))
