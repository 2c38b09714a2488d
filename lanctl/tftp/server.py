"""trio adapter for the TFTP service: the well-known port plus one socket per transfer.

Listeners are the IPv4/IPv6 wildcards on port 69 (TftpCfg.port) with PKTINFO, so each
request's interface (selection.py, per-interface --tftp-root, MTU) and local address are
known; with --bind-interfaces, one listener per selected interface address instead.  Each
transfer gets its own socket (a port of --tftp-port-range) driven by a worker thread, or,
with --tftp-single-port, shares the listener.  A --tftp-root that is not a directory stops
the service (exit 3) unless --tftp-no-fail; a completed transfer runs --dhcp-script's
"tftp" action.  Decisions live in admission.py / engine.py / selection.py.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import socket
import threading
from typing import Final

import trio

from lanctl.config.model import Config, TftpCfg
from lanctl.errors import FileSystemError
from lanctl.net.interfaces import CMSG_SIZE, interface_addresses, pktinfo
from lanctl.script import ScriptRunner, tftp_job
from lanctl.service import JsonValue
from lanctl.tftp.admission import Admitted, Refused, TftpEngine
from lanctl.tftp.engine import Outcome, Transfer
from lanctl.tftp.files import FileSource, OsFileSystem
from lanctl.tftp.paths import Refusal
from lanctl.tftp.selection import Selection, serve_request
from lanctl.tftp.sockets import (
    arp_mac,
    bound_addresses,
    interface_mtu,
    open_bound_listeners,
    open_listeners,
    peer_socket,
    transfer_socket,
)
from lanctl.tftp.wire import ErrorCode, encode_error
from lanctl.tftp.worker import MAX_DATAGRAM, Peer, send_all, tid_mismatch, transfer_thread

log = logging.getLogger("lanctl.tftp")

BATCH: Final = 64  # datagrams between checkpoints in the listener's drain loop


def check_roots(tftp: TftpCfg) -> None:
    """dnsmasq refuses to start when a --tftp-root is inaccessible (exit 3)."""
    for root in tftp.tftp_root:
        path, iface = getattr(root, "path", ""), getattr(root, "interface", None)
        log.info("TFTP root is %s%s", path, f" for {iface}" if iface else "")
        try:
            ok = os.path.isdir(path) and os.access(path, os.X_OK)
        except OSError:
            ok = False
        if not ok:
            if tftp.tftp_no_fail:
                log.warning("warning: %s inaccessible", path)
                continue
            raise FileSystemError(f"TFTP directory {path} inaccessible")


class TftpHandle:
    """The ServiceHandle of the TFTP service (see lanctl/service.py)."""

    name = "tftp"

    def __init__(self, engine: TftpEngine) -> None:
        self.engine = engine
        self.addresses: list[tuple[str, int]] = []

    def stats(self) -> dict[str, JsonValue]:
        return dict(self.engine.stats())

    def reload(self) -> None:
        """Nothing cached: every request looks at the filesystem afresh."""

    def control(self, command: str, args: dict[str, JsonValue]) -> JsonValue:
        raise KeyError(command)

    def log_stats(self) -> list[str]:
        return self.engine.log_stats()


class TftpServer:
    """Sockets and tasks; every decision is delegated to the engine."""

    def __init__(
        self, cfg: Config, nursery: trio.Nursery, script: ScriptRunner | None = None
    ) -> None:
        self.cfg = cfg
        self.script = script
        self.tftp = cfg.tftp
        self.selection = Selection.of(cfg.tftp, cfg.core)
        self.engine = TftpEngine(cfg.tftp)
        self.nursery = nursery
        self.fs = OsFileSystem()
        self.rng = random.SystemRandom()
        self.mtus: dict[str, int | None] = {}
        self.peers: dict[Peer, Transfer] = {}  # active transfers by client transfer ID
        self.scopes: dict[Peer, trio.CancelScope] = {}
        self.limiter = trio.CapacityLimiter(self.engine.limit + 1)

    def flush(self, transfer: Transfer | None = None) -> None:
        for line in self.engine.take_logs():
            log.info("%s", line)
        if transfer is not None:
            for line in transfer.take_logs():
                log.info("%s", line)

    def _mtu(self, ifname: str | None) -> int | None:
        if ifname is None:
            return None
        if ifname not in self.mtus:
            self.mtus[ifname] = interface_mtu(ifname)
        return self.mtus[ifname]

    def on_datagram(
        self,
        listener: socket.socket,
        data: bytes,
        peer: Peer,
        ifindex: int,
        local: str | None,
        bound: str | None = None,
    ) -> None:
        """A datagram on the well-known port: a request, or single-port transfer traffic.

        `bound` is the interface of a --bind-interfaces listener (already selected, as in
        dnsmasq); None for a wildcard listener, whose requests are filtered here."""
        transfer = self.peers.get(peer)
        if transfer is not None and self.tftp.tftp_single_port:
            self._send_all(listener, transfer.on_packet(data, trio.current_time()), peer)
            if transfer.done:
                # Forget the peer at once: a late packet from it is then a request, refused
                # with ERROR 4 as dnsmasq 2.90 does on the wire (tests/tftp/test_compat.py).
                del self.peers[peer]
                self.scopes.pop(peer).cancel()
            return
        if transfer is not None:
            return  # a retransmitted RRQ of a running transfer: already being answered
        ifname: str | None = bound
        if bound is None:
            try:
                ifname = socket.if_indextoname(ifindex) if ifindex else None
            except OSError:
                ifname = None
            if not serve_request(self.selection, ifname, local):
                return
        ip = peer[0]
        mac = arp_mac(ip) if self.tftp.tftp_unique_root == "mac" else None
        decision = self.engine.on_request(
            data, ip, self.fs, euid=os.geteuid(), interface=ifname, client_mac=mac
        )
        if isinstance(decision, Refused):
            self._send_all(listener, [decision.packet], peer)
            self.flush()
            return
        self._start(listener, decision, peer, ifname, ifindex, local)

    def _start(
        self,
        listener: socket.socket,
        admitted: Admitted,
        peer: Peer,
        ifname: str | None,
        ifindex: int,
        local: str | None,
    ) -> None:
        try:
            source = FileSource.open(admitted.resolved.path, admitted.resolved.identity)
        except OSError as exc:
            path = admitted.resolved.path
            if exc.errno in (errno.EACCES, errno.EPERM):
                refusal = Refusal(
                    ErrorCode.ACCESS_VIOLATION, f"cannot access {path}: {exc.strerror}"
                )
            else:
                refusal = Refusal(ErrorCode.NOT_DEFINED, f"cannot read {path}: {exc.strerror}")
            self._send_all(listener, [self.engine.refuse(refusal).packet], peer)
            self.flush()
            return
        socks: tuple[socket.socket, socket.socket] | None = None
        if not self.tftp.tftp_single_port:
            try:
                socks = self._transfer_sockets(listener.family, local, ifindex, peer)
            except OSError as exc:
                source.close()
                log.error("unable to get free port for TFTP: %s", exc.strerror)
                self._send_all(
                    listener, [encode_error(ErrorCode.NOT_DEFINED, "no free port")], peer
                )
                return
        ipv6 = listener.family == socket.AF_INET6
        transfer = self.engine.start(admitted, source, peer[0], mtu=self._mtu(ifname), ipv6=ipv6)
        self.peers[peer] = transfer
        scope = trio.CancelScope()
        self.scopes[peer] = scope
        if socks is None:
            self.nursery.start_soon(
                self._single_port_timer, listener, transfer, source, peer, scope
            )
        else:
            self.nursery.start_soon(self._run_transfer, socks, transfer, source, peer, scope)

    def _transfer_sockets(
        self, family: socket.AddressFamily, local: str | None, ifindex: int, peer: Peer
    ) -> tuple[socket.socket, socket.socket]:
        """A port for the transfer: (the socket connected to the client, its unconnected
        twin that receives other senders' datagrams)."""
        sock = transfer_socket(family, local, ifindex, self.tftp.tftp_port_range, self.rng)
        try:
            return peer_socket(sock, peer), sock
        except BaseException:
            sock.close()
            raise

    @staticmethod
    def _send_all(sock: socket.socket, packets: list[bytes], peer: Peer) -> None:
        send_all(sock, packets, peer)

    def _end(self, transfer: Transfer, source: FileSource, peer: Peer) -> None:
        source.close()
        if self.peers.get(peer) is transfer:  # not a newer transfer from the same peer
            del self.peers[peer]
            self.scopes.pop(peer, None)
        self.engine.finished(transfer)
        self.flush(transfer)
        if self.script is not None and transfer.outcome is Outcome.SENT:
            self.script.submit(tftp_job(transfer.size_sent, transfer.client, transfer.path))

    async def _run_transfer(
        self,
        socks: tuple[socket.socket, socket.socket],
        transfer: Transfer,
        source: FileSource,
        peer: Peer,
        scope: trio.CancelScope,
    ) -> None:
        """One transfer on its own port, driven by a worker thread (worker.transfer_thread)
        on the socket connected to the client; other senders are answered from here.

        Cancellation sets `stop`; the thread notices within POLL seconds and returns, and
        only then are the sockets and the file closed.  A bug inside one transfer ends that
        transfer only (convention 4: the per-packet boundary), never the service.
        """
        sock, strangers = socks
        stop = threading.Event()

        async def watch() -> None:
            try:
                await trio.sleep_forever()
            finally:
                stop.set()

        try:
            with scope:
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(watch)
                    nursery.start_soon(self._answer_strangers, strangers)
                    try:
                        await trio.to_thread.run_sync(
                            transfer_thread, sock, transfer, peer, stop, limiter=self.limiter
                        )
                    except Exception:
                        log.exception("error in the TFTP transfer to %s", peer[0])
                    nursery.cancel_scope.cancel()
        finally:
            sock.close()
            strangers.close()
            self._end(transfer, source, peer)

    @staticmethod
    async def _answer_strangers(sock: socket.socket) -> None:
        """ERROR 5 to datagrams on a transfer's port from another transfer ID (RFC 1350 §4),
        worded as dnsmasq's."""
        while True:
            try:
                _data, addr = sock.recvfrom(MAX_DATAGRAM)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(sock)
                continue
            except OSError as exc:
                log.debug("recvfrom: %s", exc)
                await trio.lowlevel.checkpoint()
                continue
            send_all(sock, [tid_mismatch(addr[0])], addr)
            await trio.lowlevel.checkpoint()

    async def _single_port_timer(
        self,
        listener: socket.socket,
        transfer: Transfer,
        source: FileSource,
        peer: Peer,
        scope: trio.CancelScope,
    ) -> None:
        """--tftp-single-port: packets arrive via the listener; this task owns the timer."""
        try:
            with scope:
                self._send_all(listener, transfer.start(trio.current_time()), peer)
                while not transfer.done:
                    deadline = transfer.next_deadline()
                    await trio.sleep_until(
                        deadline if deadline is not None else trio.current_time() + 1.0
                    )
                    self._send_all(listener, transfer.on_timer(trio.current_time()), peer)
        finally:
            self._end(transfer, source, peer)

    async def listen(self, sock: socket.socket, bound: str | None = None) -> None:
        """The drain loop on a well-known-port socket."""
        count = 0
        while True:
            try:
                data, ancdata, _flags, peer = sock.recvmsg(MAX_DATAGRAM, CMSG_SIZE)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(sock)
                continue
            except OSError as exc:
                log.debug("recvmsg: %s", exc)
                continue
            ifindex, local = pktinfo(ancdata)
            try:
                self.on_datagram(sock, data, (peer[0], peer[1]), ifindex, local, bound)
            except Exception:  # per-packet boundary (convention 4): log and carry on
                log.exception("error handling TFTP request from %s", peer[0])
            count += 1
            if count >= BATCH:
                count = 0
                await trio.lowlevel.checkpoint()


async def serve(
    cfg: Config,
    ctx: object = None,
    *,
    task_status: trio.TaskStatus[TftpHandle] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Run the TFTP service until cancelled; `task_status.started(handle)` once bound."""
    check_roots(cfg.tftp)
    selection = Selection.of(cfg.tftp, cfg.core)
    if selection.bind_interfaces:
        addrs = bound_addresses(selection, interface_addresses())
        bound: list[tuple[socket.socket, str | None]] = [
            (s, name) for s, name in open_bound_listeners(cfg.tftp.port, addrs)
        ]
    else:
        bound = [(s, None) for s in open_listeners(cfg.tftp.port)]
    listeners = [s for s, _name in bound]
    try:
        async with trio.open_nursery() as nursery:
            runner = None
            if cfg.tftp.dhcp_script:
                runner = ScriptRunner(cfg.tftp.dhcp_script, cfg.tftp.dhcp_scriptuser)
                await nursery.start(runner.run)  # the helper starts before privileges drop
            server = TftpServer(cfg, nursery, runner)
            handle = TftpHandle(server.engine)
            handle.addresses = [s.getsockname()[:2] for s in listeners]
            for sock, name in bound:
                nursery.start_soon(server.listen, sock, name)
            task_status.started(handle)
    finally:
        for sock in listeners:
            sock.close()
