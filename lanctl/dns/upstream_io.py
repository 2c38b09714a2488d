"""trio/socket side of forwarding: upstream sockets, the reader, the timer, resolv.conf polling.

RFC 5452 §9.1-§9.2: every upstream attempt gets its own UDP socket, bound to port 0 (a
random port from the kernel's ephemeral range, as dnsmasq >= 2.85) or to a random port in
--min-port..--max-port, and connect()ed to the server so the kernel drops datagrams from any
other address or port.  --query-port is not implemented (accepted, ignored: random ports).  A source
address/port or interface from "--server=addr@source#port" / "@iface" is bound first.
All upstream sockets sit in one epoll set that a single task waits on; the engine decides
everything (see engine.on_upstream / on_timer); this module only moves bytes.  TCP retries
of truncated replies (RFC 7766) run as one task each, bounded by dnsmasq's TCP_TIMEOUT.
"""

from __future__ import annotations

import errno
import logging
import math
import random
import select
import socket
import struct
from typing import Final

import trio

from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import Send
from lanctl.dns.resolvconf import (
    DEFAULT_RESOLV,
    POLL_INTERVAL,
    ResolvWatch,
    read_servers,
    stat_files,
)
from lanctl.dns.upstreams import Routes, Upstream

log = logging.getLogger("lanctl.dns")

TCP_TIMEOUT: Final = 10.0  # dnsmasq: 5 s to connect, doubled for the answer
PORT_TRIES: Final = 32  # random ports tried in --min-port..--max-port before giving up
DEFAULT_MIN_PORT: Final = 1024


def resolv_paths(dns: DnsCfg) -> list[str]:
    return list(dns.resolv_file) or [DEFAULT_RESOLV]


def is_own_address(up: Upstream, port: int) -> bool:
    """Whether `up` is this host on our DNS port (forwarding there would loop): an address
    is local exactly when a socket can be bound to it."""
    if up.port != port:
        return False
    family = socket.AF_INET6 if up.family_v6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((up.address, 0))
        except OSError:
            return False
    return True


def load_routes(dns: DnsCfg) -> Routes:
    """The routing table from --server lines and (unless --no-resolv) the resolv files.
    resolv.conf servers that are this host on our port are ignored, as dnsmasq does."""
    resolv: list[Upstream] = [] if dns.no_resolv else read_servers(resolv_paths(dns))
    for up in [u for u in resolv if is_own_address(u, dns.port)]:
        log.warning("ignoring nameserver %s - local interface", up.address)
        resolv.remove(up)
    routes = Routes(dns.server, resolv)
    for up in routes.all_servers():
        log.info("using nameserver %s", up.label)
    return routes


def resolv_watch(dns: DnsCfg) -> ResolvWatch:
    """The files' stamps now: take them *before* reading the files, so no change is missed."""
    paths = resolv_paths(dns)
    return ResolvWatch(paths, stat_files(paths))


async def poll_resolv(engine: DnsEngine, dns: DnsCfg, watch: ResolvWatch) -> None:
    """Re-read the resolv files when their mtime or size changes (dnsmasq without --no-poll)."""
    paths = list(watch.paths)
    while True:
        await trio.sleep(POLL_INTERVAL)
        if watch.changed(stat_files(paths)):
            for path in paths:
                log.info("reading %s", path)
            engine.set_routes(load_routes(dns))
            if dns.clear_on_reload:
                engine.cache.clear()


def open_upstream(send: Send, dns: DnsCfg, rng: random.Random) -> socket.socket:
    """A non-blocking UDP socket bound as the options say and connected to the server."""
    up = send.server
    family = socket.AF_INET6 if up.family_v6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
    try:
        if up.interface:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, up.interface.encode())
        src = up.source or ("::" if up.family_v6 else "0.0.0.0")
        if up.source_port is not None:  # "@source#port": that port, shared by every query
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((src, up.source_port))
        elif dns.min_port is not None or dns.max_port is not None:
            low = dns.min_port if dns.min_port is not None else DEFAULT_MIN_PORT
            high = dns.max_port if dns.max_port is not None else 65535
            for attempt in range(PORT_TRIES):
                try:
                    sock.bind((src, rng.randint(low, max(low, high))))
                    break
                except OSError as exc:
                    if exc.errno != errno.EADDRINUSE or attempt == PORT_TRIES - 1:
                        raise
        elif up.source:
            sock.bind((src, 0))
        sock.connect((up.address, up.port))
    except BaseException:
        sock.close()
        raise
    return sock


class UpstreamIO:
    """Carries out the engine's actions and feeds it upstream datagrams and timer ticks."""

    def __init__(self, engine: DnsEngine, dns: DnsCfg) -> None:
        self.engine = engine
        self.dns = dns
        self.rng = random.SystemRandom()
        self.epoll = select.epoll()
        self.by_fd: dict[int, tuple[int, socket.socket]] = {}
        self.by_token: dict[int, socket.socket] = {}
        self._timer: trio.CancelScope | None = None
        self._nursery: trio.Nursery | None = None
        self._tcp: dict[int, trio.CancelScope] = {}

    async def run(self) -> None:
        """The reader and timer tasks, and a home for TCP retries; until cancelled."""
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            nursery.start_soon(self.reader_loop)
            nursery.start_soon(self.timer_loop)

    def dispatch(self) -> None:
        """Do what the engine asked: send upstream, close sockets, answer clients."""
        engine = self.engine
        while engine.has_actions:
            sends, closes, replies = engine.take_actions()
            for send in sends:
                self._send(send)
            for token in closes:
                scope = self._tcp.pop(token, None)
                if scope is not None:
                    scope.cancel()
                sock = self.by_token.pop(token, None)
                if sock is not None:
                    self.by_fd.pop(sock.fileno(), None)
                    self.epoll.unregister(sock)
                    sock.close()
            for dest, data in replies:
                _reply(dest, data)
        timer = self._timer
        if timer is not None:
            deadline = engine.next_deadline()
            if deadline is not None and deadline < timer.deadline:
                timer.deadline = deadline

    def _send(self, send: Send) -> None:
        if send.tcp:
            if self._nursery is None:
                self.engine.on_upstream_error(send.token, trio.current_time())
            else:
                self._tcp[send.token] = trio.CancelScope()
                self._nursery.start_soon(self._tcp_query, send)
            return
        try:
            sock = open_upstream(send, self.dns, self.rng)
        except OSError as exc:
            log.warning("failed to send query to %s: %s", send.server.label, exc.strerror)
            self.engine.on_upstream_error(send.token, trio.current_time())
            return
        self.by_token[send.token] = sock
        self.by_fd[sock.fileno()] = (send.token, sock)
        self.epoll.register(sock, select.EPOLLIN | select.EPOLLERR)
        try:
            sock.send(send.data)
        except OSError as exc:
            log.debug("send to %s: %s", send.server.label, exc)
            self.engine.on_upstream_error(send.token, trio.current_time())

    async def _tcp_query(self, send: Send) -> None:
        """One length-prefixed query and answer over TCP (RFC 1035 §4.2.2)."""
        scope = self._tcp.get(send.token)
        if scope is None:
            return
        up = send.server
        data: bytes | None = None
        with scope:
            try:
                with trio.fail_after(TCP_TIMEOUT):
                    stream = await trio.open_tcp_stream(
                        up.address, up.port, local_address=up.source
                    )
                    async with stream:
                        await stream.send_all(struct.pack("!H", len(send.data)) + send.data)
                        buf = b""
                        while len(buf) < 2 or len(buf) < 2 + struct.unpack_from("!H", buf)[0]:
                            chunk = await stream.receive_some(65537)
                            if not chunk:
                                raise OSError("connection closed before the answer")
                            buf += chunk
                data = buf[2 : 2 + struct.unpack_from("!H", buf)[0]]
            except (OSError, trio.TooSlowError, trio.BrokenResourceError) as exc:
                log.debug("TCP query to %s: %s", up.label, exc)
        if scope.cancel_called:
            return  # the query finished meanwhile (deadline, or another server answered)
        self._tcp.pop(send.token, None)
        if data is None:
            self.engine.on_upstream_error(send.token, trio.current_time())
        else:
            self.engine.on_upstream(send.token, data, trio.current_time())
        self.dispatch()
        for line in self.engine.take_logs():
            log.info("%s", line)

    async def reader_loop(self) -> None:
        """Wait on the epoll set; drain every ready socket into the engine."""
        engine = self.engine
        while True:
            await trio.lowlevel.wait_readable(self.epoll.fileno())
            for fd, _ in self.epoll.poll(0):
                entry = self.by_fd.get(fd)
                if entry is None:
                    continue
                token, sock = entry
                is_open = engine.fwd.is_open
                while is_open(token):
                    try:
                        data = sock.recv(65535)
                    except BlockingIOError:
                        break
                    except OSError as exc:  # ECONNREFUSED: ICMP port unreachable
                        log.debug("upstream socket: %s", exc)
                        engine.on_upstream_error(token, trio.current_time())
                        break
                    engine.on_upstream(token, data, trio.current_time())
                    if engine.log_queries:
                        for line in engine.take_logs():
                            log.info("%s", line)
            self.dispatch()

    async def timer_loop(self) -> None:
        """Sleep until the engine's next deadline (moved earlier by dispatch); tick it."""
        while True:
            deadline = self.engine.next_deadline()
            with trio.CancelScope(deadline=math.inf if deadline is None else deadline) as scope:
                self._timer = scope
                await trio.sleep_forever()
            self._timer = None
            self.engine.on_timer(trio.current_time())
            self.dispatch()

    def close(self) -> None:
        for sock in self.by_token.values():
            sock.close()
        self.by_token.clear()
        self.by_fd.clear()
        self.epoll.close()


def _reply(dest: object, data: bytes) -> None:
    if isinstance(dest, tuple):
        sock, peer = dest
        try:
            sock.sendto(data, peer)
        except OSError as exc:
            log.debug("sendto %s: %s", peer[0], exc)
    elif isinstance(dest, trio.MemorySendChannel):
        try:
            dest.send_nowait(data)
        except (trio.WouldBlock, trio.BrokenResourceError, trio.ClosedResourceError):
            pass  # the TCP connection went away
