"""trio adapter for the DNS service: UDP and TCP listeners over `DnsEngine` (no decisions here).

UDP uses the drain loop of ARCHITECTURE §5: a non-blocking stdlib socket read in a tight
loop, `wait_readable` only when it would block, a checkpoint every 64 packets; on Linux the
batched form (drain.py: recvmmsg/sendmmsg, fast path first) unless --local-service.  TCP
(RFC 1035 §4.2.2, RFC 7766): length-prefixed, pipelined queries answered in order, at most
--max-tcp-connections (default 20) at once (further clients wait in the backlog, as with
dnsmasq), 100 queries and 150 s per connection (dnsmasq's TCP_MAX_QUERIES/CHILD_LIFETIME)
and a 10 s idle timeout.  Binding and per-query interface checks: listen.py (and
listeners.py for --bind-dynamic); queries that need their arrival interface or local
address on a wildcard socket go through gated.py's recvmsg loop.
Forwarding (upstream_io.py, upsock.py): connected random-port UDP sockets, shared under load
(or one --query-port socket), read through one epoll set, and a timer task driven by
engine.next_deadline()/on_timer(); resolv.conf is polled once a second unless --no-poll.
--localise-queries (localise.py): the subnet a query arrived on comes from the socket's
address, the TCP connection's local end, or IP_PKTINFO on wildcard sockets.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
from typing import Final

import trio

from lanctl.config.model import DEFAULT_HOSTS_FILE, Config, DnsCfg
from lanctl.dns import listen
from lanctl.dns.access import IPNetwork, LocalSubnets, connected_networks, service_mode
from lanctl.dns.cachedump import dump_lines
from lanctl.dns.drain import batched_udp_loop
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import TIMEOUT
from lanctl.dns.gated import gated_udp_loop
from lanctl.dns.hosts import HostsFile, parse_hosts
from lanctl.dns.hostsdir import load_dirs, watch_hostsdirs
from lanctl.dns.idrand import BlockRandom
from lanctl.dns.leases import attach, follow_leases, lease_names
from lanctl.dns.listen import Gate, needs_interfaces
from lanctl.dns.listeners import DynamicListeners
from lanctl.dns.local import LocalData, build_local
from lanctl.dns.localise import Net, arrival_net
from lanctl.dns.mmsg import MsgBatch
from lanctl.dns.neighbours import attach_neighbours
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.serversfile import load_servers_file
from lanctl.dns.stats import tcp_line
from lanctl.dns.upstream_io import UpstreamIO, load_routes, poll_resolv, resolv_watch
from lanctl.net.interfaces import Interfaces
from lanctl.service import JsonValue
from lanctl.store.names import trim_heap

log = logging.getLogger("lanctl.dns")

TCP_MAX_QUERIES: Final = 100  # dnsmasq src/config.h
TCP_LIFETIME: Final = 150.0  # dnsmasq CHILD_LIFETIME, seconds
TCP_IDLE: Final = 10.0  # seconds without a complete query before the connection is closed


def _hosts_paths(dns: DnsCfg) -> list[str]:
    """Hosts files in dnsmasq's read order: /etc/hosts, then --addn-hosts from the last given
    to the first (dnsmasq keeps them in a list it prepends to); a directory contributes
    its files in alphabetical order.  --hostsdir files are read and watched by hostsdir.py."""
    paths = [] if dns.no_hosts else [DEFAULT_HOSTS_FILE]
    for path in reversed(dns.addn_hosts):
        if os.path.isdir(path):
            names = sorted(os.listdir(path))
            paths.extend(p for n in names if os.path.isfile(p := os.path.join(path, n)))
        else:
            paths.append(path)
    return paths


def load_local(dns: DnsCfg) -> LocalData:
    """Read and parse the hosts files and build the local data; problems are logged."""
    files: list[HostsFile] = []
    failures: list[str] = []
    paths = _hosts_paths(dns)
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except OSError as exc:
            failures.append(f"failed to load names from {path}: {exc.strerror}")
            continue
        files.append(parse_hosts(text, path))
    local = build_local(dns, files)
    files.clear()
    local.dirs = load_dirs(dns)
    if local.dirs is not None:
        local.messages.extend(local.dirs.take_messages())
    trim_heap()  # a million-line hosts file leaves much freed heap behind
    # dnsmasq says "cleared cache" instead of "read FILE" lines when there is no file
    for line in failures + local.messages + ([] if paths else ["cleared cache"]):
        log.info("%s", line)
    return local


class DnsHandle:
    """The ServiceHandle of the DNS service (see lanctl/service.py)."""

    name = "dns"

    def __init__(self, engine: DnsEngine, dns: DnsCfg) -> None:
        self.engine = engine
        self.dns = dns
        self.addresses: list[tuple[str, int]] = []
        self.tcp_in_use = 0
        self.tcp_highest = 0
        self.subnets: LocalSubnets | None = None  # --local-service=net
        self.nets: list[IPNetwork] | None = None  # --localise-queries: connected networks
        self.gate: Gate | None = None  # --interface / --except-interface / --listen-address

    def arrival(self, local: str) -> Net | None:
        """The subnet of a local address queries arrive on (--localise-queries, localise.py)."""
        return arrival_net(local, self.nets) if self.nets is not None else None

    def stats(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = dict(self.engine.stats())
        out["tcp_in_use"] = self.tcp_in_use
        out["tcp_highest"] = self.tcp_highest
        out["max_tcp_connections"] = self.dns.max_tcp_connections
        out["refused_non_local"] = self.subnets.refused if self.subnets is not None else 0
        out["refused_interface"] = self.gate.refused if self.gate is not None else 0
        return out

    def reload(self) -> None:
        self.engine.set_local(load_local(self.dns))
        load_servers_file(self.engine, self.dns)  # --servers-file is re-read on SIGHUP
        self.engine.set_routes(load_routes(self.dns))

    def control(self, command: str, args: dict[str, JsonValue]) -> JsonValue:
        if command == "cache.clear":
            return {"cleared": self.engine.clear_cache()}
        if command == "cache.dump":
            # One shape for every row: local data ("H", its TTL) and cached replies.
            ttl = self.dns.local_ttl
            entries: list[JsonValue] = [
                {"name": n, "type": t, "value": v, "ttl": ttl, "flags": "H", "source": src}
                for n, t, v, src in self.engine.local.dump()
            ]
            for c in self.engine.cache.dump(trio.current_time()):
                entries.append(
                    {"name": c.name, "type": c.type, "value": c.value, "ttl": c.ttl,
                     "flags": c.flags, "source": c.source}
                )  # fmt: skip
            return {"entries": entries}
        raise KeyError(command)

    def log_stats(self) -> list[str]:
        """SIGUSR1: dnsmasq's statistics lines (stats.py), TCP connections in the place of
        its TCP child processes; with --log-queries the cache dump."""
        tcp = tcp_line(self.tcp_in_use, self.tcp_highest, self.dns.max_tcp_connections)
        self.tcp_highest = self.tcp_in_use
        lines = self.engine.log_stats(tcp)
        if self.dns.log_queries:  # dnsmasq dumps its cache too (cachedump.py)
            cached = self.engine.cache.dump(trio.current_time())
            lines += dump_lines(self.engine.local.dump(), cached)
        return lines


def _flush_logs(engine: DnsEngine) -> None:
    for line in engine.take_logs():
        log.info("%s", line)


async def _udp_loop(
    engine: DnsEngine,
    sock: socket.socket,
    io: UpstreamIO,
    subnets: LocalSubnets | None = None,
    net: Net | None = None,
) -> None:
    """The drain loop of a socket bound to one address (or the wildcard, no interface
    rules).  With --local-service, packets from sources off the connected subnets are
    dropped (gated.py's per-datagram loop).
    `net`: the subnet of the socket's address (--localise-queries; None when wildcard).
    Without --local-service the batched loop (drain.py: recvmmsg/sendmmsg) runs instead."""
    if subnets is None and MsgBatch.supported():
        await batched_udp_loop(engine, sock, io, net)
        return
    allows = subnets.allows if subnets is not None else None
    await gated_udp_loop(engine, sock, io, None, None, allows, net)


async def _tcp_loop(
    handle: DnsHandle,
    sock: socket.socket,
    io: UpstreamIO,
    subnets: LocalSubnets | None = None,
    gate: Gate | None = None,
) -> None:
    """Accept while below --max-tcp-connections; each connection gets its own task."""
    tsock = trio.socket.from_stdlib_socket(sock)
    slots = trio.Semaphore(max(1, handle.dns.max_tcp_connections))
    async with trio.open_nursery() as nursery:
        while True:
            await slots.acquire()
            try:
                conn, peer = await tsock.accept()
            except OSError as exc:
                slots.release()
                log.debug("accept: %s", exc)
                await trio.sleep(0.1)  # e.g. EMFILE: do not spin
                continue
            refused = subnets is not None and not subnets.allows(peer[0])
            if refused or (gate is not None and not gate.tcp(conn)):  # type: ignore[arg-type]
                conn.close()  # --local-service / interface selection: not served
                slots.release()
                continue
            nursery.start_soon(_tcp_connection, handle, conn, peer, slots, io)


async def _tcp_connection(
    handle: DnsHandle,
    conn: trio.socket.SocketType,
    peer: tuple[str, int],
    slots: trio.Semaphore,
    io: UpstreamIO,
) -> None:
    handle.tcp_in_use += 1
    handle.tcp_highest = max(handle.tcp_highest, handle.tcp_in_use)
    engine = handle.engine
    serial = engine.querylog.tcp_block()  # --log-queries=extra: as dnsmasq's TCP child
    net = handle.arrival(conn.getsockname()[0])  # --localise-queries
    stream = trio.SocketStream(conn)
    buf = bytearray()
    send_ch, recv_ch = trio.open_memory_channel[bytes](16)
    try:
        with trio.move_on_after(TCP_LIFETIME):
            for _ in range(TCP_MAX_QUERIES):
                while len(buf) < 2 or len(buf) < 2 + struct.unpack_from("!H", buf)[0]:
                    with trio.move_on_after(TCP_IDLE) as idle:
                        chunk = await stream.receive_some(65536)
                    if idle.cancelled_caught or not chunk:
                        return
                    buf += chunk
                length = struct.unpack_from("!H", buf)[0]
                data = bytes(buf[2 : 2 + length])
                del buf[: 2 + length]
                serial += 1
                engine.querylog.tcp_next = serial
                try:
                    reply = engine.on_query(data, peer, trio.current_time(), "tcp", send_ch, net)
                    if reply == FORWARDED:
                        io.dispatch()
                        with trio.move_on_after(TIMEOUT + 1.0):
                            reply = await recv_ch.receive()
                        if reply == FORWARDED:
                            return  # no answer at all (cannot happen: SERVFAIL at TIMEOUT)
                except Exception:  # per-packet boundary
                    log.exception("error answering DNS query from %s", peer[0])
                    reply = engine.servfail(data)
                if engine.pending_logs:  # warnings are logged without --log-queries too
                    _flush_logs(engine)
                if reply is None:
                    return  # not a query: close, as dnsmasq does
                await stream.send_all(struct.pack("!H", len(reply)) + reply)
    except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
        log.debug("TCP connection from %s: %s", peer[0], exc)
    finally:
        handle.tcp_in_use -= 1
        slots.release()
        with trio.CancelScope(shield=True):
            await stream.aclose()


async def serve(
    cfg: Config,
    ctx: object = None,
    *,
    task_status: trio.TaskStatus[DnsHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the DNS service until cancelled; `task_status.started(handle)` once bound."""
    dns = cfg.dns
    watch = resolv_watch(dns)  # stamps before the files are read: no change missed
    routes = load_routes(dns)  # first: dnsmasq logs its servers before the local data
    engine = DnsEngine(dns, load_local(dns), rng=BlockRandom())
    leases = lease_names(cfg)  # names of DHCP leases in the lease store (dns/leases.py)
    if leases is not None:
        attach(engine, leases)
    load_servers_file(engine, dns)
    attach_neighbours(engine, dns)  # --add-mac (neighbours.py)
    engine.set_routes(routes)
    handle = DnsHandle(engine, dns)
    if not dns.enabled:  # --port=0: DNS disabled
        task_status.started(handle)
        await trio.sleep_forever()
    mode = service_mode(cfg)  # --local-service (access.py)
    core = cfg.core
    ifaces = Interfaces() if needs_interfaces(core) else None
    plan = listen.plan(core, ifaces, loopback=mode == "host")
    dynamic = None
    if core.bind_dynamic and ifaces is not None:
        dynamic = DynamicListeners(core, dns.port, ifaces)
        initial = dynamic.open_initial()
        udp, tcp = [p[0] for _k, p in initial], [p[1] for _k, p in initial]
    else:
        udp, tcp = listen.open_sockets(plan, dns.port)
    handle.gate = plan.gate
    subnets = LocalSubnets() if mode == "net" else None
    handle.subnets = subnets
    handle.addresses = [s.getsockname()[:2] for s in udp]
    if dns.localise_queries:
        handle.nets = connected_networks()
    io = UpstreamIO(engine, dns)
    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(io.run)
            if not dns.no_resolv and not dns.no_poll:
                nursery.start_soon(poll_resolv, engine, dns, watch)
            nursery.start_soon(follow_leases, engine, cfg, leases)
            if dns.hostsdir:
                nursery.start_soon(watch_hostsdirs, engine)

            async def run_udp(s: socket.socket) -> None:
                local = s.getsockname()[0]
                gated = plan.gate is not None and plan.gate.udp_checks
                if gated or (handle.nets is not None and plan.wildcard):
                    arrival = handle.arrival if handle.nets is not None else None
                    await gated_udp_loop(engine, s, io, plan.gate, arrival)
                else:
                    await _udp_loop(engine, s, io, subnets, handle.arrival(local))

            async def run_tcp(s: socket.socket) -> None:
                await _tcp_loop(handle, s, io, subnets, plan.gate)

            if dynamic is not None:
                nursery.start_soon(dynamic.run, initial, run_udp, run_tcp)
            else:
                for s in udp:
                    nursery.start_soon(run_udp, s)
                for s in tcp:
                    nursery.start_soon(run_tcp, s)
            task_status.started(handle)
    finally:
        io.close()
        for s in udp + tcp:
            s.close()
