"""Upstream UDP sockets: which socket carries which forwarded query, and whose reply is whose.

RFC 5452 §9.2 / dnsmasq >= 2.85 (its "random sockets"): a query gets a fresh socket on a
random source port (port 0: the kernel's ephemeral range, or a random port in
--min-port..--max-port), connect()ed to the server so the kernel drops datagrams from any
other address or port.  Under load, once SHARE_AT sockets to a server are open, queries
share them, each socket carrying distinct random IDs (dnsmasq shares its 64 the same way);
a socket takes at most MAX_USES queries.  Under load, too, a socket whose last query is
done while other queries to its server are in flight stays open for up to IDLE_KEEP
seconds, and the next query to that server takes it instead of opening one (this saves a
socket/connect/close per query; dnsmasq closes at once and pays them).  When the server
has no query in flight its sockets are closed, so queries one at a time each get a fresh
port, as with dnsmasq.  Keeping them adds no exposure that load cannot force already: an
attacker who keeps SHARE_AT queries waiting gets the same sharing, within the same MAX_USES.
--query-port (and "--server=addr@source#port") use one socket on that fixed port per
server, kept open; --query-port=0 takes one port from the kernel and keeps it, as dnsmasq
before 2.43.  dnsmasq ignores --query-port for servers with
a source address; so do we.  A datagram is handed to the query whose ID it carries on that
socket; the forwarder still checks ID and question (RFC 5452 §9.1).
"""

from __future__ import annotations

import errno
import random
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from lanctl.config.model import DnsCfg
from lanctl.dns.upstreams import Upstream

SHARE_AT: Final = 16  # sockets per server before new queries share the open ones
MAX_USES: Final = 100  # queries one random-port socket carries before it is retired
IDLE_KEEP: Final = 0.5  # seconds an idle random-port socket waits for the next query
PORT_TRIES: Final = 32  # random ports tried in --min-port..--max-port before giving up
DEFAULT_MIN_PORT: Final = 1024


@dataclass(slots=True, eq=False)
class UpSock:
    """One open upstream socket and the queries it carries (ID -> token)."""

    sock: socket.socket
    server: Upstream
    fixed: bool  # --query-port or @source#port: shared by every query, kept open
    ids: dict[int, int] = field(default_factory=dict)
    uses: int = 0
    idle_since: float = 0.0  # when its last query ended (on the server's idle list)


def fixed_port(up: Upstream, dns: DnsCfg) -> int | None:
    """The fixed source port for queries to `up`, or None for random ports."""
    if up.source_port is not None:
        return up.source_port
    if dns.query_port is not None and not up.source:
        return dns.query_port
    return None


def open_upstream(
    up: Upstream, dns: DnsCfg, rng: random.Random, port: int | None = None
) -> socket.socket:
    """A non-blocking UDP socket bound as the options say and connected to `up`; `port`:
    a fixed source port (shared, SO_REUSEPORT; 0 lets the kernel choose one)."""
    family = socket.AF_INET6 if up.family_v6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
    try:
        if up.interface:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, up.interface.encode())
        src = up.source or ("::" if up.family_v6 else "0.0.0.0")
        if port is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((src, port))
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


Opener = Callable[[Upstream, DnsCfg, random.Random, "int | None"], socket.socket]


class UpstreamSockets:
    """The open upstream sockets, in one epoll set (see the module docstring)."""

    def __init__(
        self,
        dns: DnsCfg,
        rng: random.Random,
        opener: Opener = open_upstream,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dns = dns
        self.rng = rng
        self.opener = opener
        self.clock = clock
        self.epoll = select.epoll()
        self.by_fd: dict[int, UpSock] = {}
        self.by_token: dict[int, tuple[UpSock, int]] = {}  # token -> (socket, query ID)
        self._random: dict[Upstream, list[UpSock]] = {}  # sockets still taking queries
        self._idle: dict[Upstream, list[UpSock]] = {}  # of those, the ones with none now
        self._fixed: dict[Upstream, UpSock] = {}
        self._kernel_port: dict[socket.AddressFamily, int] = {}  # --query-port=0
        self._finger = 0

    def __len__(self) -> int:
        return len(self.by_fd)

    def id_taken(self, server: Upstream, qid: int) -> bool:
        """Whether `qid` cannot be sent to `server` now (its fixed socket carries it)."""
        s = self._fixed.get(server)
        return s is not None and qid in s.ids

    def send(self, token: int, server: Upstream, data: bytes) -> None:
        """Send upstream query `token` (its ID in the first two octets); OSError on failure
        (the token is then not registered)."""
        qid = int.from_bytes(data[:2], "big")
        s = self._socket_for(server, qid)
        if qid in s.ids:
            raise OSError(errno.EADDRINUSE, "query ID already in flight on the shared socket")
        s.ids[qid] = token
        s.uses += 1
        self.by_token[token] = (s, qid)
        try:
            s.sock.send(data)
        except OSError:
            self.release(token)
            raise

    def _socket_for(self, server: Upstream, qid: int) -> UpSock:
        socks = self._random.get(server)  # only random-port servers have an entry here
        if socks is None:
            port = fixed_port(server, self.dns)
            if port is not None:
                s = self._fixed.get(server)
                if s is None:
                    s = self._fixed[server] = self._open(server, port)
                return s
            socks = self._random[server] = []
        idle = self._idle.get(server)
        if idle:
            s = self._take_idle(socks, idle)
            if s is not None:
                return s
        if len(socks) >= SHARE_AT:
            n = len(socks)
            for k in range(n):
                cand = socks[(self._finger + k) % n]
                if qid not in cand.ids:
                    self._finger = (self._finger + k + 1) % n
                    if cand.uses + 1 >= MAX_USES:
                        socks.remove(cand)  # retired: closed once its queries are done
                    return cand
        s = self._open(server, None)
        socks.append(s)
        return s

    def _take_idle(self, socks: list[UpSock], idle: list[UpSock]) -> UpSock | None:
        """The socket that went idle last, if within IDLE_KEEP; older idle ones are closed."""
        oldest = self.clock() - IDLE_KEEP
        if idle[0].idle_since < oldest:
            keep = [s for s in idle if s.idle_since >= oldest]
            for s in idle:
                if s.idle_since < oldest:
                    socks.remove(s)
                    self._close(s)
            idle[:] = keep
            if not idle:
                return None
        s = idle.pop()
        if s.uses + 1 >= MAX_USES:
            socks.remove(s)  # retired: closed once this query is done
        return s

    def _open(self, server: Upstream, port: int | None) -> UpSock:
        family = socket.AF_INET6 if server.family_v6 else socket.AF_INET
        if port == 0 and family in self._kernel_port:
            port = self._kernel_port[family]
        sock = self.opener(server, self.dns, self.rng, port)
        if port == 0:
            self._kernel_port[family] = sock.getsockname()[1]
        s = UpSock(sock, server, port is not None)
        self.by_fd[sock.fileno()] = s
        self.epoll.register(sock.fileno(), select.EPOLLIN | select.EPOLLERR)
        return s

    def owner(self, s: UpSock, data: bytes) -> int | None:
        """The token a datagram on `s` is for: the query with its ID, else (for the
        forwarder to count it as mismatched) any query on the socket; None when idle."""
        if len(data) >= 2:
            token = s.ids.get(int.from_bytes(data[:2], "big"))
            if token is not None:
                return token
        for token in s.ids.values():
            return token
        return None

    def release(self, token: int) -> None:
        """Query `token` is finished: forget it.  A random-port socket left with no query
        waits on its server's idle list (IDLE_KEEP) while other queries to that server are
        in flight; when none is, it and the idle ones are closed (module docstring)."""
        entry = self.by_token.pop(token, None)
        if entry is None:
            return
        s, qid = entry
        del s.ids[qid]
        if s.ids or s.fixed:
            return
        socks = self._random.get(s.server)
        if socks is None or s not in socks:
            self._close(s)  # retired
            return
        idle = self._idle.get(s.server)
        if idle is None:
            idle = self._idle[s.server] = []
        if len(socks) - len(idle) > 1:  # the server is busy: keep this one for the next
            s.idle_since = self.clock()
            idle.append(s)
            return
        for quiet in (*idle, s):  # the server went quiet: queries to come get fresh ports
            socks.remove(quiet)
            self._close(quiet)
        idle.clear()
        if not socks:
            del self._random[s.server]

    def _close(self, s: UpSock) -> None:
        fd = s.sock.fileno()
        if self.by_fd.get(fd) is s:
            del self.by_fd[fd]  # closing the only descriptor also leaves the epoll set
        s.sock.close()

    def close(self) -> None:
        for s in list(self.by_fd.values()):
            self._close(s)
        self.by_token.clear()
        self._random.clear()
        self._idle.clear()
        self._fixed.clear()
        self.epoll.close()
