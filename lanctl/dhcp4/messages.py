"""The DHCPv4 message handlers (RFC 2131 §4.3): what each client message does.

- DHCPDISCOVER -> DHCPOFFER of the address choose.py picks, held for the client.
- DHCPREQUEST (§4.3.2): SELECTING (server id present; another server's id means the client
  declined our offer, which is released), INIT-REBOOT (option 50, no ciaddr) and
  RENEWING/REBINDING (ciaddr).  An INIT-REBOOT from a client without a lease is ignored
  unless --dhcp-authoritative ("MUST remain silent").  A wrong network, an address held
  by another client, or one outside the ranges gets DHCPNAK; else DHCPACK and the lease.
- DHCPRELEASE deletes the client's lease; DHCPDECLINE deletes it and quarantines the
  address; DHCPINFORM gets options without a lease.
- --dhcp-rapid-commit (RFC 4039): a DISCOVER with option 80 gets a DHCPACK at once.
  --dhcp-reply-delay holds the answer to a DISCOVER (OFFER or rapid ACK).
- BOOTP (no option 53, RFC 951): the --dhcp-host address, else with --bootp-dynamic (for
  the tags of one of its lines) a dynamic address; the lease never expires.  Requests
  carry the tag "bootp"; without an address dnsmasq logs "no address configured".
Each handler appends its effects to `ctx.out`; the engine supplies replies and logging.
"""

from __future__ import annotations

import logging
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Final, Literal

from lanctl.dhcp4.context import Request, domain_for
from lanctl.dhcp4.effects import ClientInfo, LeaseChanged, Log
from lanctl.dhcp4.reply import INFINITE
from lanctl.dhcp4.wire import ZERO, MessageType, Opt, address_text
from lanctl.store.lease import Lease4
from lanctl.tags import apply_tag_if, matches

if TYPE_CHECKING:
    from lanctl.dhcp4.engine import Dhcp4Engine

__all__ = ["bootp", "client_info", "decline", "discover", "inform", "release", "request"]

RAPID_COMMIT: Final = 80

Phase = Literal["selecting", "init-reboot", "renewing"]


def discover(eng: Dhcp4Engine, ctx: Request, now: float) -> None:
    want = ctx.req.address_option(Opt.REQUESTED_ADDRESS)
    eng.maybe_purge(now)
    addr = eng.choice.pick(ctx, now)
    if addr is None:
        eng.log(ctx, "DHCPDISCOVER", want, "no address available")
        return
    if eng.ping_first(ctx, addr, now):  # --no-ping unset: resumed by on_probe_result
        return
    eng.log(ctx, "DHCPDISCOVER", want)
    until = eng.hold_until(ctx, addr, now)
    if eng.cfg.dhcp_rapid_commit and RAPID_COMMIT in ctx.req.options:
        mine = eng.table.client_lease(ctx.client_id, ctx.req.htype, ctx.req.mac)
        ack(eng, ctx, addr, mine, now, rapid=True, hold_until=until)
        return
    eng.choice.offer(ctx, addr, now)
    reply = eng.reply(ctx, MessageType.DHCPOFFER, addr, eng.choice.lease_time(ctx, addr))
    eng.log(ctx, "DHCPOFFER", addr)
    eng.send(ctx, reply, hold_until=until)


def request(eng: Dhcp4Engine, ctx: Request, now: float) -> None:
    req = ctx.req
    sid = req.address_option(Opt.SERVER_ID)
    want = req.address_option(Opt.REQUESTED_ADDRESS)
    phase: Phase
    if sid is not None:
        if sid != ctx.server_id:  # the client took another server's offer
            eng.choice.withdraw(ctx)
            return
        phase, addr = "selecting", want if want is not None else req.ciaddr
    elif req.ciaddr != ZERO:
        phase, addr = "renewing", req.ciaddr
    elif want is not None:
        phase, addr = "init-reboot", want
    else:
        return
    mine = eng.table.client_lease(ctx.client_id, req.htype, req.mac)
    if phase == "init-reboot" and mine is None and not eng.cfg.dhcp_authoritative:
        return  # RFC 2131 §4.3.2: no record of this client: remain silent
    eng.log(ctx, "DHCPREQUEST", addr)
    if not ctx.link.contains(addr) or addr == ZERO:
        eng.nak(ctx, addr, "wrong network")
        return
    if mine is not None and mine.address != addr and phase != "selecting":
        eng.nak(ctx, addr, "wrong address")
        return
    if eng.choice.taken(ctx, addr, now):
        eng.nak(ctx, addr, "address in use")
        return
    if not eng.choice.allowed(ctx, addr):
        eng.nak(ctx, addr, "address not available")
        return
    if (mine is None or mine.address != addr) and len(eng.table) >= eng.cfg.dhcp_lease_max:
        eng.nak(ctx, addr, "no leases left")
        return
    ack(eng, ctx, addr, mine, now)


def ack(
    eng: Dhcp4Engine,
    ctx: Request,
    addr: IPv4Address,
    mine: Lease4 | None,
    now: float,
    *,
    rapid: bool = False,
    hold_until: float | None = None,
) -> None:
    req = ctx.req
    time = eng.choice.lease_time(ctx, addr)
    hostname = eng.hostname(ctx)
    _check_fqdn_domain(eng, ctx, addr, hostname)
    if hostname is None and mine is not None and mine.address == addr:
        hostname = mine.hostname  # dnsmasq keeps the lease's name when none is given
    lease = Lease4(
        address=addr,
        hwaddr=req.mac,
        hwtype=req.htype,
        client_id=ctx.client_id,
        hostname=eng.lease_name(ctx, addr, hostname, mine, now),  # one lease per name
        expires=0 if time == INFINITE else int(now) + time,
    )
    if mine is not None and mine.address != addr:
        eng.table.drop(mine)
        ctx.out.append(LeaseChanged("del", mine))
    eng.choice.offers.pop(addr, None)
    same = mine is not None and mine.address == addr
    eng.table.store(lease)
    info = client_info(ctx, eng.final_tags(ctx, addr)) if eng.cfg.dhcp_script else None
    ctx.out.append(LeaseChanged("old" if same else "add", lease, mine if same else None, info))
    reply = eng.reply(ctx, MessageType.DHCPACK, addr, time, rapid=rapid)
    eng.log(ctx, "DHCPACK", addr, hostname or "")
    eng.send(ctx, reply, hold_until=hold_until)


def _check_fqdn_domain(
    eng: Dhcp4Engine, ctx: Request, addr: IPv4Address, hostname: str | None
) -> None:
    """dnsmasq keeps only the first label of an option-81 name in another domain, and says so."""
    fqdn = ctx.fqdn
    if fqdn is None or not fqdn.domain or not hostname:
        return
    if fqdn.domain.lower() != (domain_for(eng.cfg.domain, addr) or "").lower():
        text = f"Ignoring domain {fqdn.domain} for DHCP host name {hostname}"
        ctx.out.append(Log(logging.WARNING, text))


def bootp(eng: Dhcp4Engine, ctx: Request, now: float) -> None:
    """A BOOTP request: a --dhcp-host address, else a dynamic one with --bootp-dynamic."""
    req, host = ctx.req, ctx.host
    mine = eng.table.client_lease(None, req.htype, req.mac)
    addr: IPv4Address | None = None
    if host is not None and host.ipv4 is not None:
        fixed = host.ipv4
        if ctx.link.contains(fixed) and not eng.choice.taken(ctx, fixed, now):
            addr = fixed
    elif _bootp_dynamic(eng, ctx):
        addr = eng.choice.pick(ctx, now)
    if addr is None:
        eng.log(ctx, "BOOTP", None, "no address configured")
        return
    hostname = eng.lease_name(ctx, addr, eng.hostname(ctx), mine, now)
    lease = Lease4(address=addr, hwaddr=req.mac, hwtype=req.htype, hostname=hostname, expires=0)
    if mine is not None and mine.address != addr:
        eng.table.drop(mine)
        ctx.out.append(LeaseChanged("del", mine))
    same = mine is not None and mine.address == addr
    eng.table.store(lease)
    info = client_info(ctx, eng.final_tags(ctx, addr)) if eng.cfg.dhcp_script else None
    ctx.out.append(LeaseChanged("old" if same else "add", lease, mine if same else None, info))
    reply = eng.reply(ctx, MessageType.DHCPACK, addr, INFINITE)
    eng.log(ctx, "BOOTP", addr)
    eng.send(ctx, reply)


def _bootp_dynamic(eng: Dhcp4Engine, ctx: Request) -> bool:
    """--bootp-dynamic: a line without tags, or one whose tags are all set."""
    tags = frozenset(apply_tag_if(eng.tag_ifs, ctx.tags))
    return any(matches(refs, tags) for refs in eng.cfg.bootp_dynamic)  # type: ignore[arg-type]


def release(eng: Dhcp4Engine, ctx: Request, now: float) -> None:
    req = ctx.req
    sid = req.address_option(Opt.SERVER_ID)
    if sid is not None and sid != ctx.server_id:
        return
    lease = eng.table.get(req.ciaddr)
    mine = eng.table.client_lease(ctx.client_id, req.htype, req.mac)
    if lease is None or mine is None or mine.address != lease.address:
        eng.log(ctx, "DHCPRELEASE", req.ciaddr, "unknown lease")
        return
    eng.log(ctx, "DHCPRELEASE", req.ciaddr)
    eng.table.drop(lease)
    ctx.out.append(LeaseChanged("del", lease))


def decline(eng: Dhcp4Engine, ctx: Request, now: float) -> None:
    req = ctx.req
    addr = req.address_option(Opt.REQUESTED_ADDRESS)
    sid = req.address_option(Opt.SERVER_ID)
    if addr is None or (sid is not None and sid != ctx.server_id):
        return
    eng.log(ctx, "DHCPDECLINE", addr)
    lease = eng.table.get(addr)
    mine = eng.table.client_lease(ctx.client_id, req.htype, req.mac)
    if lease is not None and mine is not None and mine.address == addr:
        eng.table.drop(lease)
        ctx.out.append(LeaseChanged("del", lease))
    eng.choice.decline(addr, now)


def inform(eng: Dhcp4Engine, ctx: Request, now: float) -> None:
    req = ctx.req
    eng.log(ctx, "DHCPINFORM", req.ciaddr)
    if req.ciaddr == ZERO:
        return
    reply = eng.reply(ctx, MessageType.DHCPACK, req.ciaddr, None)
    eng.log(ctx, "DHCPACK", req.ciaddr)
    eng.send(ctx, reply)


def client_info(ctx: Request, tags: frozenset[str]) -> ClientInfo:
    """What the lease-change script learns from this request (dnsmasq helper.c's env); made
    only for a --dhcp-script (LeaseChanged.info is None without one)."""
    req = ctx.req
    prl = req.options.get(Opt.PARAMETER_LIST)
    return ClientInfo(
        iface=ctx.inb.iface,
        supplied_hostname=ctx.supplied,
        requested_options=tuple(prl) if prl else None,
        vendor_class=req.options.get(Opt.VENDOR_CLASS) or None,
        relay=address_text(req.giaddr) if req.giaddr != ZERO else None,
        tags=_sorted(tags),
    )


def _sorted(tags: frozenset[str]) -> tuple[str, ...]:
    """The tags in order: the few tag sets of a network recur."""
    done = _SORTED.get(tags)
    if done is None:
        if len(_SORTED) > 1024:
            _SORTED.clear()
        done = _SORTED[tags] = tuple(sorted(tags))
    return done


_SORTED: dict[frozenset[str], tuple[str, ...]] = {}
