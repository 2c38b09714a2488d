"""The per-transfer worker of the TFTP adapter: one thread per transfer socket.

The hot path of a lock-step transfer is one ACK in, one DATA out.  A thread blocked in
recv(2) is woken by the kernel directly, which costs far less per block than a trip
through trio's scheduler (bench/tftp.sh); its socket is connected to the client, so no
address is converted per packet (other senders reach the unconnected twin, which the
trio side answers with `tid_mismatch`).  A window of DATA (RFC 7440) leaves as one UDP
GSO send (UDP_SEGMENT, Linux >= 4.18: the kernel cuts it into the datagrams), with one
sendto(2) per packet as the fallback.  The thread only moves bytes: every decision is the
engine's.
"""

from __future__ import annotations

import errno
import logging
import socket
import struct
import threading
import time
from typing import Final

from lanctl.tftp.engine import Transfer
from lanctl.tftp.wire import ErrorCode, encode_error

log = logging.getLogger("lanctl.tftp")

POLL: Final = 0.1  # seconds: timer granularity and stop latency of transfer threads
_RCVTIMEO: Final = struct.pack("@ll", 0, int(POLL * 1_000_000))  # struct timeval
MAX_DATAGRAM: Final = 65536
UDP_SEGMENT: Final = 103  # <linux/udp.h>; missing from Python 3.11's socket module
GSO_MAX_SEGMENTS: Final = 64  # UDP_MAX_SEGMENTS of older kernels
GSO_MAX_BYTES: Final = 65000  # one GSO send is one (unfragmented-size) IP packet
# errnos meaning "no UDP GSO for this socket or route": stop trying for this transfer
GSO_UNSUPPORTED: Final = frozenset(
    {errno.EINVAL, errno.EIO, errno.ENOPROTOOPT, errno.EOPNOTSUPP, errno.EMSGSIZE}
)
Peer = tuple[str, int]


def transfer_thread(
    sock: socket.socket, transfer: Transfer, peer: Peer, stop: threading.Event
) -> None:
    """Run `transfer` on `sock`, connected to the client's transfer ID `peer` (so the kernel
    delivers only the client's datagrams: sockets.peer_socket), until it ends or `stop` is
    set (checked at least every POLL seconds).

    Only this thread touches `transfer` until it returns; timers use the monotonic clock.
    """
    clock = time.monotonic
    recv, send = sock.recv, sock.send
    on_packet, on_timer = transfer.on_packet, transfer.on_timer
    stopped = stop.is_set
    batch = Batcher(sock, peer)
    # SO_RCVTIMEO on a blocking socket: one recv(2) per packet, EAGAIN on timeout
    # (Python's own socket timeouts would add a poll(2) before every receive).
    sock.setblocking(True)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _RCVTIMEO)
    batch.send(transfer.start(clock()))
    check = clock() + POLL  # when to look at `stop` and the timer while packets flow
    while transfer.outcome is None:
        try:
            data = recv(MAX_DATAGRAM)
        except BlockingIOError:  # SO_RCVTIMEO expired
            now = clock()
            batch.send(on_timer(now))
            if stopped():
                return
            check = now + POLL
            continue
        except OSError as exc:  # e.g. ECONNREFUSED: an ICMP error surfaced on the socket
            log.debug("recv from %s: %s", peer[0], exc)
            data = None
        now = clock()
        if data is not None:
            packets = on_packet(data, now)
            if len(packets) == 1:  # lock-step: the hot path, kept free of calls
                try:
                    send(packets[0])
                except OSError as exc:  # full buffer: the retransmit timer covers it
                    log.debug("send to %s: %s", peer[0], exc)
            elif packets:
                batch.send(packets)
            # Progress re-armed the engine's timer, so it is not due; look at `stop` and
            # the timer (a client repeating itself keeps recv from timing out) now and then.
            if packets and now < check:
                continue
        if now >= transfer.deadline:
            batch.send(on_timer(now))
        if stopped():
            return
        check = now + POLL


class Batcher:
    """Sends a transfer's datagrams on a socket connected to its peer, a window as UDP GSO
    sends when it can (`peer` is for log lines)."""

    def __init__(self, sock: socket.socket, peer: Peer) -> None:
        self.sock = sock
        self.peer = peer
        self.gso = True  # until the kernel or the route says otherwise

    def send(self, packets: list[bytes]) -> None:
        if len(packets) > 1 and self.gso:
            packets = self._send_gso(packets)
        for packet in packets:
            try:
                self.sock.send(packet)
            except OSError as exc:  # full buffer or unreachable: the timer covers it
                log.debug("send to %s: %s", self.peer[0], exc)

    def _send_gso(self, packets: list[bytes]) -> list[bytes]:
        """Send `packets` as GSO batches; what is left to send one by one is returned.

        The kernel cuts a GSO buffer every `size` bytes, so all packets of a batch but the
        last must be exactly `size` long (only a transfer's final block is shorter).
        """
        size = len(packets[0])
        if set(map(len, packets[:-1])) != {size} or len(packets[-1]) > size:
            return packets
        step = max(1, min(GSO_MAX_SEGMENTS, GSO_MAX_BYTES // size))
        segment = [(socket.SOL_UDP, UDP_SEGMENT, struct.pack("=H", size))]
        for i in range(0, len(packets), step):
            try:
                self.sock.sendmsg(packets[i : i + step], segment)
            except OSError as exc:
                if exc.errno in GSO_UNSUPPORTED:
                    log.debug("UDP GSO to %s: %s; one datagram per send", self.peer[0], exc)
                    self.gso = False
                    return packets[i:]
                log.debug("sendmsg to %s: %s", self.peer[0], exc)  # the timer covers it
        return []


def tid_mismatch(ip: str) -> bytes:
    """ERROR 5 for a datagram from another transfer ID, worded as dnsmasq 2.90's."""
    return encode_error(ErrorCode.UNKNOWN_TID, f"ignoring packet from {ip} (TID mismatch)")


def send_all(sock: socket.socket, packets: list[bytes], peer: Peer) -> None:
    for packet in packets:
        try:
            sock.sendto(packet, peer)
        except OSError as exc:  # full buffer or unreachable: the retransmit timer covers it
            log.debug("sendto %s: %s", peer[0], exc)
