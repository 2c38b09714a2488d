"""trio adapter for the DHCPv4 server: one wildcard UDP socket with IP_PKTINFO over the engine.

Drain loop of ARCHITECTURE §5; the arrival interface (PKTINFO) and its cached addresses
go to the engine, lanctl.dhcp4.selection decides which interfaces are served and when
--bind-interfaces binds the socket to one device; --dhcp-alternate-port moves both ports.
A batch's effects apply in order: leases committed, *then* replies sent (RFC 2131 §3.1),
then logs; `Probe` effects become ICMP echoes (lanctl.net.icmp) whose answers or 3 s
timeouts go back to the engine.  --dhcp-relay packets are forwarded (relay.py) before the
engine sees them.  Unconfigured clients get unicast through a SIOCSARP entry, else
broadcast.  --script-arp reports neighbour-table changes to the --dhcp-script.
"""

from __future__ import annotations

import errno
import logging
import math
import os
import random
import socket
import time
from collections.abc import Callable
from ipaddress import IPv4Interface
from typing import Final, assert_never

import trio

from lanctl.config.model import Config
from lanctl.dhcp4.arpwatch import INTERVAL, ArpWatch
from lanctl.dhcp4.batchio import DhcpBatch
from lanctl.dhcp4.context import Inbound
from lanctl.dhcp4.effects import Effect, LeaseChanged, Log, Probe, Send
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.filetables import FileTables
from lanctl.dhcp4.handle import Dhcp4Handle
from lanctl.dhcp4.ifaces import Interfaces, add_arp, addresses, local_interfaces
from lanctl.dhcp4.keptstore import store_for
from lanctl.dhcp4.leasewriter import LeaseFileWriter
from lanctl.dhcp4.relay import Forward, Relay, log_line, log_lines, routes
from lanctl.dhcp4.scripting import LeaseScript
from lanctl.dhcp4.selection import DhcpSelection, bound_device
from lanctl.dhcp4.startlog import range_lines
from lanctl.dhcp4.udpsocket import IP_PKTINFO, PKTINFO, open_socket
from lanctl.errors import DecodeError, FileSystemError
from lanctl.net.icmp import Pinger
from lanctl.net.neighbours import read_neighbours
from lanctl.script import ScriptRunner
from lanctl.store.backend import LeaseBackend
from lanctl.store.changes import leases_changed
from lanctl.store.lease import Lease4

log = logging.getLogger("lanctl.dhcp4")

BATCH: Final = 64
LINGER: Final = 0.001  # seconds a batch of fewer than BATCH requests waits for more
SERVER_PORT: Final = 67
CLIENT_PORT: Final = 68


class Adapter:
    """Applies engine effects: store first, then the wire, then the log."""

    def __init__(
        self,
        sock: socket.socket,
        engine: Dhcp4Engine,
        backend: LeaseBackend,
        mirror: LeaseFileWriter | None,
        ifaces: Interfaces,
        script: LeaseScript | None = None,
        ports: tuple[int, int] = (SERVER_PORT, CLIENT_PORT),
        relay: Relay | None = None,
        pinger: Pinger | None = None,
    ) -> None:
        self.sock = sock
        self.relay = relay
        self.pinger = pinger
        # --dhcp-alternate-port: the engine addresses 67/68; deliver to the configured pair.
        self.port_map = {SERVER_PORT: ports[0], CLIENT_PORT: ports[1]}
        self.engine = engine
        self.backend = backend
        self.mirror = mirror
        self.ifaces = ifaces
        self.script = script
        self.pending: list[Effect] = []
        self.batch = DhcpBatch(sock, BATCH)
        self.stored = False  # leases written since the store's last housekeeping
        self.timer_at = math.inf  # when _timer_loop wakes next (time.time() scale)
        self.wake = trio.Event()  # set to wake it earlier

    def flush(self) -> None:
        """Commit this batch's lease changes, then send its replies, then log."""
        while self.pending:  # a ping that cannot be sent resumes its DISCOVER at once
            self._flush_once()
        deadline = self.engine.next_deadline()  # a reply held by --dhcp-reply-delay, say
        if deadline is not None and deadline < self.timer_at:
            self.timer_at = deadline
            self.wake.set()

    def _flush_once(self) -> None:
        effects, self.pending = self.pending, []
        upserts: list[Lease4] = []
        changed = False
        for eff in effects:
            if type(eff) is LeaseChanged:  # (exact types: isinstance costs, per effect)
                changed = True
                if eff.action == "del":
                    if upserts:
                        self.backend.commit(upserts)
                        upserts = []
                    self.backend.release(eff.lease.address)
                else:
                    upserts.append(eff.lease)
        if upserts:
            self.backend.commit(upserts)  # one transaction for the batch, before any reply
        if changed:
            self.stored = True
            leases_changed()  # DNS in this process (lanctl all) reloads names before replies
            if self.mirror is not None:
                self.mirror.dirty = True
        if self.script is not None:
            self.script.changes(effects, int(time.time()))
        send = self.send
        for eff in effects:
            match eff:
                case Send():
                    send(eff)
                case Log():
                    log.log(eff.level, "%s", eff.text)
                case LeaseChanged():
                    pass
                case Probe():
                    self.probe(eff)
                case _:
                    assert_never(eff)
        if self.batch.queued:
            self.send_queued()

    def probe(self, eff: Probe) -> None:
        """Start a ping; without a pinger (or if it cannot be sent) the address is free."""
        deadline = time.monotonic() + eff.timeout
        if self.pinger is None or not self.pinger.send(eff.addr, deadline):
            self.pending.extend(self.engine.on_probe_result(eff.addr, False, time.time()))

    def ping_results(self) -> None:
        """Feed answered and timed-out pings back to the engine."""
        if self.pinger is None:
            return
        now = time.time()
        for addr in self.pinger.drain():
            self.pending.extend(self.engine.on_probe_result(addr, True, now))
        for addr in self.pinger.expired(time.monotonic()):
            self.pending.extend(self.engine.on_probe_result(addr, False, now))
        self.flush()

    def relayed(self, data: bytes, index: int | None) -> bool:
        """--dhcp-relay: forward a request or a server's reply; True if the packet was ours."""
        relay = self.relay
        hit = self.ifaces.lookup_any(index) if relay is not None and index is not None else None
        if relay is None or hit is None:
            return False
        name, addrs = hit
        if data[:1] == b"\x02":  # BOOTREPLY: from a server, to a client behind us
            out = relay.downstream(data, name, self.ifaces.owner)
            if isinstance(out, Send):
                self.pending.append(out)
            return out is not False
        local = relay.relays_on(str(a.ip) for a in addrs)
        if local is None or not self.ifaces.served(name, addrs):
            return False
        for fwd in relay.upstream(data, local):
            self.forward(fwd)
        return True

    def _broadcast_of(self, iface: str) -> str | None:
        """The IPv4 broadcast address of `iface` (dnsmasq: SIOCGIFBRDADDR), None if unusable."""
        if any(c in iface for c in "*?["):
            return None
        addrs = addresses(self.sock, iface)
        return str(addrs[0].network.broadcast_address) if addrs else None

    def forward(self, fwd: Forward) -> None:
        """Send a relayed request from the relay's local address (IP_PKTINFO spec_dst)."""
        dest = fwd.dest
        if fwd.iface:
            bcast = self._broadcast_of(fwd.iface)
            if bcast is None:
                log.error("Cannot broadcast DHCP relay via interface %s", fwd.iface)
                return
            dest = (bcast, dest[1])
        try:
            index = self.ifaces.index(fwd.iface) if fwd.iface else 0
            info = PKTINFO.pack(index, socket.inet_aton(fwd.source), bytes(4))
            ctl = [(socket.IPPROTO_IP, IP_PKTINFO, info)]
            self.sock.sendmsg([fwd.payload], ctl, 0, dest)
            if self.engine.cfg.log_dhcp:
                log.info("%s", log_line(fwd))
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ENETUNREACH, errno.EHOSTUNREACH):
                log.warning("cannot relay DHCP request to %s: %s", fwd.dest[0], exc)

    def send(self, eff: Send) -> None:
        """Queue a reply (out of its interface, as IP_PKTINFO says); send_queued() sends."""
        host, port = eff.dest
        dest = (host, self.port_map.get(port, port))
        if eff.hwaddr is not None and not add_arp(self.sock, eff.iface, host, eff.hwaddr):
            dest = ("255.255.255.255", dest[1])  # fallback: broadcast on that interface
        try:
            index = self.ifaces.index(eff.iface)
            if not self.batch.queue(eff.payload, dest, index):
                self.send_queued()  # full: send what is queued, then queue this one
                self.batch.queue(eff.payload, dest, index)
        except OSError as exc:
            log.warning("cannot send DHCP reply to %s via %s: %s", dest[0], eff.iface, exc)

    def send_queued(self) -> None:
        """One sendmmsg for the queued replies; a full buffer or no route drops silently."""
        for err, dest in self.batch.flush():
            if err not in (errno.EAGAIN, errno.ENETUNREACH, errno.EHOSTUNREACH):
                log.warning("cannot send DHCP reply to %s: %s", dest[0], os.strerror(err))


async def _receive_loop(adapter: Adapter, handle: Dhcp4Handle) -> None:
    """Up to BATCH requests per recvmmsg; their effects applied together (flush).

    A flush costs about as much as answering a request (an SQLite transaction, a
    sendmmsg): when the socket runs dry before BATCH requests, the batch lingers up to
    LINGER for more.  Under load that makes batches of tens of requests; a lone request
    is answered LINGER later (DHCP clients wait seconds).
    """
    sock, engine, ifaces, batch = adapter.sock, adapter.engine, adapter.ifaces, adapter.batch
    on_datagram, lookup = engine.on_datagram, ifaces.lookup
    wait_readable, monotonic = trio.lowlevel.wait_readable, time.monotonic
    held = 0  # requests answered since the last flush
    since = 0.0  # when the first of them came (monotonic)
    while True:
        try:
            n = batch.recv()
        except OSError as exc:
            log.debug("recvmmsg: %s", exc)
            continue
        if not n:
            left = since + LINGER - monotonic() if held else 0.0
            if left > 0:
                with trio.move_on_after(left):
                    await wait_readable(sock)
                continue
            adapter.flush()
            held = 0
            await wait_readable(sock)
            continue
        if not held:
            since = monotonic()
        held += n
        now = time.time()
        last: tuple[int | None, tuple[str, tuple[IPv4Interface, ...]] | None] = (None, None)
        for i in range(n):
            data, src, index = batch.datagram(i)
            if adapter.relay is not None and adapter.relayed(data, index):
                where = None
            elif index is not None and index == last[0]:  # as the datagram before
                where = last[1]
            else:
                where = lookup(index) if index is not None else None
                last = (index, where)
            if where is None:
                continue
            try:
                effects = on_datagram(Inbound(data, src, *where), now)
            except DecodeError as exc:
                handle.dropped += 1
                log.debug("dropped malformed DHCP packet from %s: %s", src[0], exc)
            except Exception:  # per-packet boundary (convention 4)
                log.exception("error answering DHCP packet from %s", src[0])
            else:
                adapter.pending.extend(effects)
        if held >= BATCH:
            adapter.flush()
            held = 0
            await trio.lowlevel.checkpoint()


async def _arp_loop(runner: ScriptRunner) -> None:
    """--script-arp: report neighbour-table changes to the script every INTERVAL seconds."""
    watch = ArpWatch()
    while True:
        try:
            entries = read_neighbours()
        except OSError as exc:
            log.warning("cannot read the neighbour table for --script-arp: %s", exc)
        else:
            for job in watch.update(entries):
                runner.submit(job)
        await trio.sleep(INTERVAL)


async def _ping_loop(adapter: Adapter, pinger: Pinger) -> None:
    """Echo replies and ping deadlines (PING_WAIT) back into the engine."""
    while True:
        deadline = pinger.next_deadline()
        wait = 0.25 if deadline is None else min(0.25, max(0.0, deadline - time.monotonic()))
        with trio.move_on_after(wait):
            await trio.lowlevel.wait_readable(pinger.sock)
        adapter.ping_results()


async def _timer_loop(
    adapter: Adapter, tables: FileTables, housekeeping: Callable[[], None] | None
) -> None:
    """Lease expiry (engine deadlines), the coalesced lease-file rewrite, -dir polling, and
    the store's housekeeping (SQLite WAL checkpoints) in a worker thread after commits.

    Wakes at least once a second, and as soon as flush() sees an earlier engine deadline
    (a --dhcp-reply-delay reply held by the receive loop), so held replies go out on time.
    """
    while True:
        tables.poll()
        now = time.time()
        adapter.pending.extend(adapter.engine.on_timer(now))
        adapter.flush()
        if adapter.mirror is not None and adapter.mirror.due(trio.current_time()):
            text = adapter.mirror.snapshot(adapter.engine, adapter.backend)
            await trio.to_thread.run_sync(adapter.mirror.write, text)
        if housekeeping is not None and adapter.stored:
            adapter.stored = False
            try:  # the SQLite checkpoint, off the receive loop (it fsyncs)
                await trio.to_thread.run_sync(housekeeping)
            except FileSystemError as exc:
                log.warning("%s", exc)
        now = time.time()
        deadline = adapter.engine.next_deadline()
        wait = 1.0 if deadline is None else min(1.0, max(0.0, deadline - now))
        adapter.timer_at = now + wait
        adapter.wake = trio.Event()  # flush() sets it when a new deadline comes earlier
        with trio.move_on_after(wait):
            await adapter.wake.wait()


async def serve(
    cfg: Config,
    ctx: object = None,
    *,
    task_status: trio.TaskStatus[Dhcp4Handle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the DHCPv4 server until cancelled; `task_status.started(handle)` once bound."""
    pinger = None
    if not cfg.dhcp4.no_ping and cfg.dhcp4.dhcp_range:
        try:  # CAP_NET_RAW: before the privilege drop
            pinger = Pinger()
        except OSError as exc:
            log.warning(
                "warning: cannot open the ICMP socket for the ping check (%s): "
                "addresses are offered as with --no-ping",
                exc.strerror,
            )
    runner = (
        ScriptRunner(cfg.dhcp4.dhcp_script, cfg.dhcp4.dhcp_scriptuser)
        if cfg.dhcp4.dhcp_script
        else None
    )
    backend, mirror, owned = store_for(cfg, ctx)  # kept across restarts (keptstore.py)
    engine = Dhcp4Engine(
        cfg.dhcp4,
        backend.all4(),
        rng=random.SystemRandom(),
        dns_enabled=cfg.dns.port == 53,
    )
    tables = FileTables(engine)
    tables.load()
    ports = cfg.dhcp4.dhcp_alternate_port or (SERVER_PORT, CLIENT_PORT)
    selection = DhcpSelection.of(cfg)
    table = routes(cfg.dhcp4.dhcp_relay, ports[0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        # dnsmasq: a relay sends towards its servers, so never bind the socket to one device.
        device = None if table else bound_device(selection, local_interfaces(probe))
    sock = open_socket(ports[0], device, share=selection.bind_interfaces)
    for line in range_lines(cfg.dhcp4.dhcp_range):  # "DHCP, IP range ..." as dnsmasq
        log.info("%s", line)
    for line in log_lines(table):
        log.info("%s", line)
    if len(table) < len(cfg.dhcp4.dhcp_relay):
        log.warning("warning: DHCPv6 relay (dhcp-relay with IPv6 addresses) is not implemented yet")
    script = LeaseScript(cfg.dhcp4, runner) if runner is not None else None
    handle = Dhcp4Handle(engine, tables, script)
    ifaces = Interfaces(sock, selection, time.monotonic)
    relay = Relay(table) if table else None
    adapter = Adapter(sock, engine, backend, mirror, ifaces, script, ports, relay, pinger)
    try:
        async with trio.open_nursery() as nursery:
            if runner is not None and script is not None:
                await nursery.start(runner.run)  # the helper starts before privileges drop
                if not cfg.dhcp4.leasefile_ro:  # dnsmasq: not for the leases "init" printed
                    script.existing(engine.leases.values(), int(time.time()))
            nursery.start_soon(_receive_loop, adapter, handle)
            if runner is not None and cfg.dhcp4.script_arp:
                nursery.start_soon(_arp_loop, runner)
            nursery.start_soon(_timer_loop, adapter, tables, backend.housekeeping())
            if pinger is not None:
                nursery.start_soon(_ping_loop, adapter, pinger)
            task_status.started(handle)
    finally:  # synchronous, so cancellation cannot interrupt the final flush
        try:
            adapter.flush()
            if mirror is not None:
                mirror.write(mirror.snapshot(engine, backend))
        finally:
            if owned:
                if mirror is not None:
                    mirror.close()
                backend.close()
            sock.close()
            if pinger is not None:
                pinger.close()
