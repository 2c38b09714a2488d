"""trio/socket side of forwarding: upstream sockets, the reader, the timer, resolv.conf polling.

The sockets (RFC 5452 §9.1-§9.2 random ports, sharing under load, --query-port, --min-port,
--max-port, "--server=addr@source#port" / "@iface") are upsock.py's; they sit in one epoll
set that a single task waits on.  The engine decides everything (see engine.on_upstream /
on_timer); this module only moves bytes.  TCP retries of truncated replies (RFC 7766) run as
one task each, bounded by dnsmasq's TCP_TIMEOUT.
"""

from __future__ import annotations

import logging
import math
import socket
import struct
from typing import Final

import trio

from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.forward import Send
from lanctl.dns.idrand import BlockRandom
from lanctl.dns.resolvconf import (
    DEFAULT_RESOLV,
    POLL_INTERVAL,
    ResolvWatch,
    read_servers,
    stat_files,
)
from lanctl.dns.serverlog import resolv_lines, server_lines
from lanctl.dns.upsock import UpstreamSockets
from lanctl.dns.upstreams import Routes, Upstream

log = logging.getLogger("lanctl.dns")

TCP_TIMEOUT: Final = 10.0  # dnsmasq: 5 s to connect, doubled for the answer


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
    resolv: list[Upstream] = []
    lines = server_lines(dns.server, dns.no_resolv)  # dnsmasq's shapes (serverlog.py)
    for path in [] if dns.no_resolv else resolv_paths(dns):
        found = [u for u in read_servers([path]) if u not in resolv]
        for up in [u for u in found if is_own_address(u, dns.port)]:
            log.warning("ignoring nameserver %s - local interface", up.address)
            found.remove(up)
        lines.extend(resolv_lines(path, found))
        resolv.extend(found)
    for line in lines:
        log.log(logging.WARNING if line.startswith("warning:") else logging.INFO, "%s", line)
    return Routes(dns.server, resolv)


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
            engine.set_routes(load_routes(dns))
            if dns.clear_on_reload:
                engine.cache.clear()


class UpstreamIO:
    """Carries out the engine's actions and feeds it upstream datagrams and timer ticks."""

    def __init__(self, engine: DnsEngine, dns: DnsCfg) -> None:
        self.engine = engine
        self.dns = dns
        self.rng = BlockRandom()
        self.socks = UpstreamSockets(dns, self.rng)
        engine.fwd.id_taken = self.socks.id_taken
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
        send_udp = self.socks.send
        while engine.has_actions:
            sends, closes, replies = engine.take_actions()
            for send in sends:
                if send.tcp:
                    self._send(send)
                    continue
                try:  # _send, inline for the usual UDP query
                    send_udp(send.token, send.server, send.data)
                except OSError as exc:
                    self._send_failed(send, exc)
            release = self.socks.release
            for token in closes:
                if self._tcp:
                    scope = self._tcp.pop(token, None)
                    if scope is not None:
                        scope.cancel()
                release(token)
            for dest, data in replies:
                if type(dest) is tuple:  # _reply, inline for a UDP client
                    sock, peer = dest
                    try:
                        sock.sendto(data, peer)
                    except OSError as exc:
                        log.debug("sendto %s: %s", peer[0], exc)
                else:
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
            self.socks.send(send.token, send.server, send.data)
        except OSError as exc:
            self._send_failed(send, exc)

    def _send_failed(self, send: Send, exc: OSError) -> None:
        log.warning("failed to send query to %s: %s", send.server.label, exc.strerror)
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
        """Wait on the epoll set; hand each ready socket's datagram to the engine.  One
        recv(2) per ready socket and round: an upstream socket rarely holds more than one
        reply, and recv costs a third of a recvmmsg(2) through ctypes for one datagram;
        what is left is reported again by the next epoll round (level-triggered), which
        runs at once, before waiting again."""
        engine = self.engine
        by_fd, owner = self.socks.by_fd, self.socks.owner
        on_upstream, logs = engine.on_upstream, engine.pending_logs
        epoll = self.socks.epoll
        poll, clock = epoll.poll, trio.current_time
        wait_readable, checkpoint = trio.lowlevel.wait_readable, trio.lowlevel.checkpoint
        while True:
            await wait_readable(epoll.fileno())
            while True:
                events = poll(0)
                if not events:
                    break
                now = clock()
                for fd, _ in events:
                    s = by_fd.get(fd)
                    if s is None:
                        continue
                    try:
                        data = s.sock.recv(65535)
                    except BlockingIOError:
                        continue
                    except OSError as exc:  # ECONNREFUSED: ICMP port unreachable
                        log.debug("upstream socket: %s", exc)
                        for failed in list(s.ids.values()):
                            engine.on_upstream_error(failed, now)
                        continue
                    token = s.ids.get(int.from_bytes(data[:2], "big"))  # the usual case
                    if token is None:
                        token = owner(s, data)  # unknown ID: the forwarder counts it
                    if token is not None:
                        on_upstream(token, data, now)
                if logs:  # warnings (rebinding) are logged without --log-queries too
                    for line in engine.take_logs():
                        log.info("%s", line)
                self.dispatch()
                await checkpoint()  # the client loops run between two rounds

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
            for line in self.engine.take_logs():  # SERVFAIL after a timeout, retries
                log.info("%s", line)

    def close(self) -> None:
        self.socks.close()


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
