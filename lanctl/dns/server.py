"""trio adapter for the DNS service: UDP and TCP listeners over `DnsEngine` (no decisions here).

UDP uses the drain loop of ARCHITECTURE §5: a non-blocking stdlib socket read in a tight
loop, `wait_readable` only when it would block, a checkpoint every 64 packets.  TCP
(RFC 1035 §4.2.2, RFC 7766): length-prefixed, pipelined queries answered in order, at most
--max-tcp-connections (default 20) at once (further clients wait in the backlog, as with
dnsmasq), 100 queries and 150 s per connection (dnsmasq's TCP_MAX_QUERIES/CHILD_LIFETIME)
and a 10 s idle timeout.  Binding: no --listen-address: the wildcard 0.0.0.0 and :: on
--port, as dnsmasq; with --listen-address: those addresses (dnsmasq binds the wildcard and
filters unless --bind-interfaces; answering the same queries, we always bind them).
Forwarding (upstream_io.py): one connected UDP socket per upstream attempt, read through
one epoll set, and a timer task driven by engine.next_deadline()/on_timer(); resolv.conf is
polled once a second unless --no-poll.  --localise-queries (localise.py): a UDP socket bound
to one address and a TCP connection know the subnet queries arrive on; the wildcard UDP
sockets do not (that would need IP_PKTINFO), so their queries are not localised.
Not yet: --interface/--except-interface, --local-service.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import socket
import struct
from typing import Final

import trio

from lanctl.config.model import DEFAULT_HOSTS_FILE, Config, CoreCfg, DnsCfg
from lanctl.dns.access import IPNetwork, LocalSubnets, connected_networks, service_mode
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import TIMEOUT
from lanctl.dns.hosts import HostsFile, parse_hosts
from lanctl.dns.hostsdir import load_dirs, watch_hostsdirs
from lanctl.dns.leases import attach, follow_leases, lease_names
from lanctl.dns.local import LocalData, build_local
from lanctl.dns.localise import Net, arrival_net
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.upstream_io import UpstreamIO, load_routes, poll_resolv, resolv_watch
from lanctl.errors import NetworkError, NotImplementedServiceError
from lanctl.service import JsonValue
from lanctl.store.names import trim_heap

log = logging.getLogger("lanctl.dns")

BATCH: Final = 64  # packets between checkpoints in the UDP drain loop
TCP_MAX_QUERIES: Final = 100  # dnsmasq src/config.h
TCP_LIFETIME: Final = 150.0  # dnsmasq CHILD_LIFETIME, seconds
TCP_IDLE: Final = 10.0  # seconds without a complete query before the connection is closed
MAX_UDP_IN: Final = 65535


def check_supported(cfg: Config) -> None:
    """Refuse, before binding anything, configurations this slice cannot serve honestly."""
    core = cfg.core
    for option, value in (
        ("interface", core.interface),
        ("except-interface", core.except_interface),
    ):
        if value:
            raise NotImplementedServiceError(
                f"dns: --{option} is not implemented yet; use --listen-address with the "
                "interface's addresses"
            )


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
    for path in _hosts_paths(dns):
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
    for line in failures + local.messages:
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

    def arrival(self, local: str) -> Net | None:
        """The subnet of a local address queries arrive on (--localise-queries, localise.py)."""
        return arrival_net(local, self.nets) if self.nets is not None else None

    def stats(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = dict(self.engine.stats())
        out["tcp_in_use"] = self.tcp_in_use
        out["tcp_highest"] = self.tcp_highest
        out["max_tcp_connections"] = self.dns.max_tcp_connections
        out["refused_non_local"] = self.subnets.refused if self.subnets is not None else 0
        return out

    def reload(self) -> None:
        self.engine.set_local(load_local(self.dns))
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
        lines = self.engine.log_stats()
        lines.append(
            f"TCP connections: in use {self.tcp_in_use}, highest since last SIGUSR1 "
            f"{self.tcp_highest}, max allowed {self.dns.max_tcp_connections}."
        )
        self.tcp_highest = self.tcp_in_use
        return lines


def _bind_targets(
    core: CoreCfg, loopback: bool = False
) -> tuple[list[tuple[socket.AddressFamily, str]], bool]:
    """(family, address) pairs to bind and whether they are the wildcards (or, with
    --local-service=host, the loopback addresses: a missing ::1 is then tolerated too)."""
    if loopback:
        return [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")], True
    if core.listen_address:
        v4, v6 = socket.AF_INET, socket.AF_INET6
        return [(v6 if ":" in a else v4, a) for a in core.listen_address], False
    return [(socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")], True


def _open(
    family: socket.AddressFamily, kind: socket.SocketKind, addr: str, port: int
) -> socket.socket:
    sock = socket.socket(family, kind)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((addr, port))
        if kind == socket.SOCK_STREAM:
            sock.listen(64)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


def open_sockets(
    core: CoreCfg, port: int, loopback: bool = False
) -> tuple[list[socket.socket], list[socket.socket]]:
    """Bind UDP and TCP sockets; NetworkError with dnsmasq's wording when one fails."""
    targets, wildcard = _bind_targets(core, loopback)
    udp: list[socket.socket] = []
    tcp: list[socket.socket] = []
    try:
        for family, addr in targets:
            try:
                udp.append(_open(family, socket.SOCK_DGRAM, addr, port))
                tcp.append(_open(family, socket.SOCK_STREAM, addr, port))
            except OSError as exc:
                if (
                    wildcard
                    and family == socket.AF_INET6
                    and exc.errno
                    in (
                        errno.EAFNOSUPPORT,
                        errno.EADDRNOTAVAIL,
                    )
                ):
                    continue  # no IPv6 on this host: dnsmasq carries on with IPv4
                what = f"port {port}" if wildcard else addr
                raise NetworkError(
                    f"failed to create listening socket for {what}: {exc.strerror}"
                ) from exc
    except BaseException:
        for s in udp + tcp:
            s.close()
        raise
    return udp, tcp


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
    """The drain loop: recvfrom until it would block; one reply per packet, no awaits.
    With --local-service, packets from sources off the connected subnets are dropped.
    `net`: the subnet of the socket's address (--localise-queries; None when wildcard)."""
    allows = subnets.allows if subnets is not None else None
    recv, send, on_query = sock.recvfrom, sock.sendto, engine.on_query
    clock = trio.current_time
    logging_on = engine.log_queries
    count = 0
    while True:
        try:
            data, peer = recv(MAX_UDP_IN)
        except BlockingIOError:
            if logging_on:
                _flush_logs(engine)
            await trio.lowlevel.wait_readable(sock)
            continue
        except OSError as exc:  # e.g. ICMP errors surfaced on the socket: not fatal
            log.debug("recvfrom: %s", exc)
            continue
        if allows is not None and not allows(peer[0]):
            continue
        try:
            reply = on_query(data, peer, clock(), "udp", (sock, peer), net)
        except Exception:  # per-packet boundary (convention 4): log, SERVFAIL, carry on
            log.exception("error answering DNS query from %s", peer[0])
            reply = engine.servfail(data)
        if not reply:
            if engine.has_actions:
                io.dispatch()
        else:
            try:
                send(reply, peer)
            except OSError as exc:  # full buffer or unreachable peer: UDP may drop
                log.debug("sendto %s: %s", peer[0], exc)
        count += 1
        if count >= BATCH:
            count = 0
            if logging_on:
                _flush_logs(engine)
            await trio.lowlevel.checkpoint()


async def _tcp_loop(
    handle: DnsHandle, sock: socket.socket, io: UpstreamIO, subnets: LocalSubnets | None = None
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
            if subnets is not None and not subnets.allows(peer[0]):
                conn.close()  # --local-service: not a connected subnet
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
                if engine.log_queries:
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
    check_supported(cfg)
    dns = cfg.dns
    engine = DnsEngine(dns, load_local(dns), rng=random.SystemRandom())
    leases = lease_names(cfg)  # names of DHCP leases in the lease store (dns/leases.py)
    if leases is not None:
        attach(engine, leases)
    watch = resolv_watch(dns)
    engine.set_routes(load_routes(dns))
    handle = DnsHandle(engine, dns)
    if not dns.enabled:  # --port=0: DNS disabled
        task_status.started(handle)
        await trio.sleep_forever()
    mode = service_mode(cfg)  # --local-service (access.py)
    udp, tcp = open_sockets(cfg.core, dns.port, loopback=mode == "host")
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
            for s in udp:
                nursery.start_soon(
                    _udp_loop, engine, s, io, subnets, handle.arrival(s.getsockname()[0])
                )
            for s in tcp:
                nursery.start_soon(_tcp_loop, handle, s, io, subnets)
            task_status.started(handle)
    finally:
        io.close()
        for s in udp + tcp:
            s.close()
