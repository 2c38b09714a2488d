"""trio adapter for the DHCPv4 server: UDP 67 with IP_PKTINFO over `Dhcp4Engine`.

One wildcard socket on 0.0.0.0:67 (as dnsmasq) with SO_BROADCAST and IP_PKTINFO, read in
the drain loop of ARCHITECTURE §5.  The receiving interface comes from the PKTINFO index;
its IPv4 addresses (cached, refreshed on a miss and every few seconds) tell the engine
which ranges apply; --interface/--except-interface choose the interfaces served (lo only
when named).  Effects of a batch are applied in order: lease changes committed to the
store in one transaction, *then* replies sent (RFC 2131 §3.1), then log lines.  Replies to
an unconfigured client are unicast after adding an ARP entry (SIOCSARP, as dnsmasq; needs
CAP_NET_ADMIN) and broadcast on that interface when that fails.  The dnsmasq lease file
is rewritten atomically, at most once a second, from a worker thread; --leasefile-ro keeps
leases in memory only and writes no file (with --dhcp-script, `<script> init` fills them).
--dhcp-script runs after each commit (lanctl.dhcp4.scripting); --dhcp-hostsdir and
--dhcp-optsdir are polled once a second.  A 4 MiB receive buffer absorbs boot storms.
Not yet: --dhcp-alternate-port, --bind-interfaces/--bind-dynamic per interface sockets.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import random
import socket
import struct
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Interface
from typing import Final, assert_never

import trio

from lanctl.config.model import Config, CoreCfg
from lanctl.dhcp4.context import Inbound
from lanctl.dhcp4.effects import Effect, LeaseChanged, Log, Send
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.filetables import FileTables
from lanctl.dhcp4.scripting import LeaseScript, init_leases
from lanctl.errors import DecodeError, FileSystemError, NetworkError
from lanctl.script import ScriptRunner
from lanctl.service import JsonValue
from lanctl.store.backend import LeaseBackend, MemoryBackend
from lanctl.store.lease import Lease4
from lanctl.store.leasefile import LeaseFile, render
from lanctl.store.mirror import import_leasefile, write_atomic
from lanctl.store.records import lease_record, store_paths

log = logging.getLogger("lanctl.dhcp4")

IP_PKTINFO: Final = 8  # Linux value; absent from Python 3.11's socket module
SIOCSARP: Final = 0x8955
SIOCGIFADDR: Final = 0x8915
SIOCGIFNETMASK: Final = 0x891B
ATF_COM: Final = 0x02
PKTINFO: Final = struct.Struct("I4s4s")
BATCH: Final = 64
MAX_IN: Final = 16384  # dnsmasq DHCP_PACKET_MAX
ADDR_TTL: Final = 5.0  # seconds interface addresses stay cached
SO_RCVBUFFORCE: Final = 33  # Linux
RCVBUF: Final = 4 << 20


def open_socket(port: int = 67) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        try:  # absorb bursts (many clients booting at once); FORCE needs CAP_NET_ADMIN
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.bind(("0.0.0.0", port))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise NetworkError(f"failed to bind DHCP server socket: {exc.strerror}") from exc
    return sock


def _ioctl_addr(sock: socket.socket, request: int, name: str) -> IPv4Address | None:
    try:
        raw = fcntl.ioctl(sock.fileno(), request, struct.pack("256s", name.encode()[:15]))
    except OSError:
        return None
    return IPv4Address(raw[20:24])


class Interfaces:
    """ifindex -> (name, IPv4 addresses), cached; filtered by --interface/--except-interface."""

    def __init__(self, sock: socket.socket, core: CoreCfg, clock: Callable[[], float]) -> None:
        self.sock = sock
        self.core = core
        self.clock = clock
        self._cache: dict[int, tuple[float, str, tuple[IPv4Interface, ...]]] = {}

    def served(self, name: str) -> bool:
        if name in self.core.except_interface:
            return False
        if self.core.interface:
            return name in self.core.interface
        return name != "lo"

    def lookup(self, index: int) -> tuple[str, tuple[IPv4Interface, ...]] | None:
        hit = self._cache.get(index)
        now = self.clock()
        if hit is None or hit[0] < now:
            try:
                name = socket.if_indextoname(index)
            except OSError:
                return None
            addr = _ioctl_addr(self.sock, SIOCGIFADDR, name)
            mask = _ioctl_addr(self.sock, SIOCGIFNETMASK, name)
            addrs = (IPv4Interface(f"{addr}/{mask}"),) if addr and mask else ()
            hit = (now + ADDR_TTL, name, addrs)
            self._cache[index] = hit
        if not self.served(hit[1]):
            return None
        return hit[1], hit[2]

    def index(self, name: str) -> int:
        return socket.if_nametoindex(name)


def add_arp(sock: socket.socket, iface: str, addr: str, hwaddr: bytes) -> bool:
    """Put `addr` -> `hwaddr` in the ARP table of `iface` (dnsmasq's unicast to new clients)."""
    pa = struct.pack("=H2x4s8x", socket.AF_INET, socket.inet_aton(addr))
    ha = struct.pack("=H14s", 1, hwaddr[:14])  # ARPHRD_ETHER, host byte order family
    req = pa + ha + struct.pack("=i", ATF_COM) + bytes(16) + iface.encode()[:15].ljust(16, b"\0")
    try:
        fcntl.ioctl(sock.fileno(), SIOCSARP, req)
    except OSError as exc:
        log.debug("SIOCSARP %s on %s: %s", addr, iface, exc)
        return False
    return True


class Dhcp4Handle:
    """The ServiceHandle of the DHCPv4 service (lanctl/service.py)."""

    name = "dhcp4"

    def __init__(
        self, engine: Dhcp4Engine, tables: FileTables, script: LeaseScript | None = None
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.script = script
        self.dropped = 0

    def stats(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = dict(self.engine.stats())
        out["malformed"] = self.dropped
        return out

    def reload(self) -> None:
        """SIGHUP: re-read the host and option files and directories; "old" for each lease."""
        self.tables.load()
        if self.script is not None:
            self.script.existing(self.engine.leases.values(), int(time.time()))

    def control(self, command: str, args: dict[str, JsonValue]) -> JsonValue:
        if command == "leases.list":
            now = int(time.time())
            leases = sorted(self.engine.leases.values(), key=lambda x: int(x.address))
            return [lease_record(x, now) for x in leases]
        raise KeyError(command)

    def log_stats(self) -> list[str]:
        return [f"DHCPv4 leases: {len(self.engine.leases)}"]


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
    ) -> None:
        self.sock = sock
        self.engine = engine
        self.backend = backend
        self.mirror = mirror
        self.ifaces = ifaces
        self.script = script
        self.pending: list[Effect] = []

    def flush(self) -> None:
        """Commit this batch's lease changes, then send its replies, then log."""
        effects, self.pending = self.pending, []
        upserts: list[Lease4] = []
        for eff in effects:
            if isinstance(eff, LeaseChanged):
                if eff.action == "del":
                    if upserts:
                        self.backend.commit(upserts)
                        upserts = []
                    self.backend.release(eff.lease.address)
                else:
                    upserts.append(eff.lease)
        if upserts:
            self.backend.commit(upserts)
        if self.mirror is not None and any(isinstance(e, LeaseChanged) for e in effects):
            self.mirror.dirty = True
        if self.script is not None:
            self.script.changes(effects, int(time.time()))
        for eff in effects:
            match eff:
                case Send():
                    self.send(eff)
                case Log():
                    log.log(eff.level, "%s", eff.text)
                case LeaseChanged():
                    pass
                case _:
                    assert_never(eff)

    def send(self, eff: Send) -> None:
        dest = eff.dest
        if eff.hwaddr is not None and not add_arp(self.sock, eff.iface, dest[0], eff.hwaddr):
            dest = ("255.255.255.255", dest[1])  # fallback: broadcast on that interface
        try:
            index = self.ifaces.index(eff.iface)
            info = PKTINFO.pack(index, bytes(4), bytes(4))
            self.sock.sendmsg([eff.payload], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, dest)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ENETUNREACH, errno.EHOSTUNREACH):
                log.warning("cannot send DHCP reply to %s via %s: %s", dest[0], eff.iface, exc)


async def _receive_loop(adapter: Adapter, handle: Dhcp4Handle) -> None:
    sock, engine, ifaces = adapter.sock, adapter.engine, adapter.ifaces
    space = socket.CMSG_SPACE(PKTINFO.size)
    count = 0
    while True:
        try:
            data, anc, _flags, src = sock.recvmsg(MAX_IN, space)
        except BlockingIOError:
            adapter.flush()
            await trio.lowlevel.wait_readable(sock)
            continue
        except OSError as exc:
            log.debug("recvmsg: %s", exc)
            continue
        index = next(
            (PKTINFO.unpack(d[: PKTINFO.size])[0] for lv, ty, d in anc if ty == IP_PKTINFO), None
        )
        where = ifaces.lookup(index) if index is not None else None
        if where is not None:
            try:
                effects = engine.on_datagram(Inbound(data, src, *where), time.time())
            except DecodeError as exc:
                handle.dropped += 1
                log.debug("dropped malformed DHCP packet from %s: %s", src[0], exc)
            except Exception:  # per-packet boundary (convention 4)
                log.exception("error answering DHCP packet from %s", src[0])
            else:
                adapter.pending.extend(effects)
        count += 1
        if count >= BATCH:
            count = 0
            adapter.flush()
            await trio.lowlevel.checkpoint()


async def _timer_loop(adapter: Adapter, tables: FileTables) -> None:
    """Lease expiry (engine deadlines), the coalesced lease-file rewrite, -dir polling."""
    while True:
        tables.poll()
        now = time.time()
        adapter.pending.extend(adapter.engine.on_timer(now))
        adapter.flush()
        if adapter.mirror is not None and adapter.mirror.due(trio.current_time()):
            text = adapter.mirror.snapshot(adapter.engine, adapter.backend)
            await trio.to_thread.run_sync(adapter.mirror.write, text)
        deadline = adapter.engine.next_deadline()
        wait = 1.0 if deadline is None else min(1.0, max(0.0, deadline - now))
        await trio.sleep(wait)


LEASE_RETRY: Final = 60.0  # dnsmasq: a failed lease-file write is retried after a minute


class LeaseFileWriter:
    """dnsmasq's lease file, rewritten atomically at most once per `interval` seconds.

    The v4 rows come from the engine's table (the store holds the same leases, committed
    before each reply); rendering and writing run in a worker thread so a large file never
    stalls the receive loop (a synchronous writer cost drops under load).

    After the supervisor drops root, the lease file's directory is often not writable
    (/var/lib/misc), so the atomic temp-file-and-rename fails.  Like dnsmasq, the file is
    opened before the drop and then rewritten in place through that descriptor.  A write
    that still fails is logged and retried after LEASE_RETRY: it never stops the server
    (the leases themselves are safe in the store).
    """

    def __init__(self, path: str, interval: float = 1.0) -> None:
        self.path = path
        self.interval = interval
        self.dirty = True
        self.last = -interval
        try:
            self.fd: int | None = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise FileSystemError(
                f"cannot open or create lease file {path}: {exc.strerror}"
            ) from exc

    def due(self, now: float) -> bool:
        if not self.dirty or now < self.last + self.interval:
            return False
        self.dirty, self.last = False, now
        return True

    def snapshot(self, engine: Dhcp4Engine, backend: LeaseBackend) -> LeaseFile:
        v4 = tuple(engine.leases.values())
        return LeaseFile(v4, backend.get_server_duid(), tuple(backend.all6()))

    def write(self, leases: LeaseFile) -> None:
        v4 = tuple(sorted(leases.v4, key=lambda x: int(x.address)))
        text = render(LeaseFile(v4, leases.server_duid, leases.v6))
        try:
            self._write(text)
        except OSError as exc:
            log.error(
                "failed to write %s: %s (retry in %ds)",
                self.path,
                exc.strerror or exc,
                int(LEASE_RETRY),
            )
            self.dirty = True
            self.last += LEASE_RETRY - self.interval

    def _write(self, text: str) -> None:
        try:
            write_atomic(self.path, text)
        except FileSystemError as exc:
            cause = exc.__cause__
            if not isinstance(cause, PermissionError) or self.fd is None:
                raise cause if isinstance(cause, OSError) else OSError(str(exc)) from exc
            data = text.encode("utf-8")  # in place, through the descriptor opened as root
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, data, 0)
            os.fsync(self.fd)
            return
        # The rename made a new file: follow it, so a later in-place write lands there.
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            return
        if self.fd is not None:
            os.close(self.fd)
        self.fd = fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def open_store(cfg: Config) -> tuple[LeaseBackend, LeaseFileWriter | None]:
    """The lease store and the dnsmasq lease-file mirror (none with --leasefile-ro)."""
    d = cfg.dhcp4
    if d.leasefile_ro:
        memory = MemoryBackend()
        if d.dhcp_script is not None:
            memory.commit(init_leases(d, int(time.time())))
        return memory, None
    store, lease_file = store_paths(d.lease_store, d.dhcp_leasefile)
    if store is None:
        return MemoryBackend(), None
    from lanctl.store.sqlite import SqliteBackend

    backend = SqliteBackend(store, fsync="full" if d.lease_fsync == "full" else "normal")
    if lease_file is not None:
        for warning in import_leasefile(backend, lease_file):
            log.warning("%s: %s", lease_file, warning)
    return backend, (LeaseFileWriter(lease_file) if lease_file is not None else None)


async def serve(
    cfg: Config,
    ctx: object = None,
    *,
    task_status: trio.TaskStatus[Dhcp4Handle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the DHCPv4 server until cancelled; `task_status.started(handle)` once bound."""
    if not cfg.dhcp4.no_ping:
        # dnsmasq pings an address before offering it; lanctl does not yet, so say so.
        log.warning(
            "warning: the ping check before offering an address is not implemented yet; "
            "addresses are offered as with --no-ping"
        )
    runner = (
        ScriptRunner(cfg.dhcp4.dhcp_script, cfg.dhcp4.dhcp_scriptuser)
        if cfg.dhcp4.dhcp_script
        else None
    )
    backend, mirror = open_store(cfg)
    engine = Dhcp4Engine(
        cfg.dhcp4,
        backend.all4(),
        rng=random.SystemRandom(),
        dns_enabled=cfg.dns.port == 53,
    )
    tables = FileTables(engine)
    tables.load()
    sock = open_socket()
    script = LeaseScript(cfg.dhcp4, runner) if runner is not None else None
    handle = Dhcp4Handle(engine, tables, script)
    ifaces = Interfaces(sock, cfg.core, time.monotonic)
    adapter = Adapter(sock, engine, backend, mirror, ifaces, script)
    try:
        async with trio.open_nursery() as nursery:
            if runner is not None and script is not None:
                await nursery.start(runner.run)  # the helper starts before privileges drop
                if not cfg.dhcp4.leasefile_ro:  # dnsmasq: not for the leases "init" printed
                    script.existing(engine.leases.values(), int(time.time()))
            nursery.start_soon(_receive_loop, adapter, handle)
            nursery.start_soon(_timer_loop, adapter, tables)
            task_status.started(handle)
    finally:  # synchronous, so cancellation cannot interrupt the final flush
        try:
            adapter.flush()
            if mirror is not None:
                mirror.write(mirror.snapshot(engine, backend))
        finally:
            if mirror is not None:
                mirror.close()
            backend.close()
            sock.close()
