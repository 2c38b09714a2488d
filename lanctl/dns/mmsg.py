"""Batched UDP I/O for the DNS drain loop: recvmmsg(2) and sendmmsg(2) through ctypes.

ARCHITECTURE §5 (one recv -> one send, no per-packet object we can avoid): one system call
moves up to `size` datagrams each way, and the client's address stays a raw sockaddr: a
reply's msg_name points at the sockaddr its query arrived with, so no (host, port) tuple is
made or parsed unless the slow path asks for `peer(i)`.  Linux only: `MsgBatch.supported()`
is False elsewhere (or when libc lacks the calls) and the server keeps recvfrom/sendto.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import socket
import struct
from collections.abc import Callable
from typing import Final

from lanctl.net.mmsgcalls import CALLS, IOV_STRIDE, LEN_AT, PTR, STRIDE, Iovec, Mmsghdr, received

SLOT: Final = 65536  # bytes per datagram: any UDP payload fits, so nothing is truncated
_NAME: Final = 128  # sizeof(struct sockaddr_storage)
_V4: Final = struct.Struct("!H4s")  # sockaddr_in after the family: port, address
_V6: Final = struct.Struct("!HI16sI")  # sockaddr_in6 after the family: port, flow, addr, scope


class MsgBatch:
    """Receive up to `size` datagrams at once on a UDP socket, queue replies, send them at once.

    recv() -> n; packet(i) / peer(i) for i < n; reply(i, data) queues the answer to packet i
    (to the address it came from); flush() sends the queued replies and returns the send
    errors (errno values) it skipped, so the caller can log them.  A queued reply points at
    its query's address slot: flush before the next recv()."""

    def __init__(self, sock: socket.socket, size: int = 64) -> None:
        if CALLS is None:
            raise OSError(errno.ENOSYS, "recvmmsg/sendmmsg not available")
        self._recvmmsg, self._sendmmsg = CALLS
        self.fd = sock.fileno()
        self.family = sock.family
        self.size = size
        # Anonymous mappings: the kernel hands out zeroed pages as they are first touched,
        # so the 64 KiB slots cost memory only for the bytes datagrams actually use.
        self._rbuf = mmap.mmap(-1, SLOT * size)
        self._sbuf = mmap.mmap(-1, SLOT * size)
        rbase = ctypes.addressof(ctypes.c_char.from_buffer(self._rbuf))
        sbase = ctypes.addressof(ctypes.c_char.from_buffer(self._sbuf))
        self._names = ctypes.create_string_buffer(_NAME * size)
        self._riov = (Iovec * size)()
        self._siov = (Iovec * size)()
        self._rmsg = (Mmsghdr * size)()
        self._smsg = (Mmsghdr * size)()
        names = ctypes.addressof(self._names)
        namelen = 16 if sock.family == socket.AF_INET else 28
        for i in range(size):
            self._riov[i].iov_base = rbase + i * SLOT
            self._riov[i].iov_len = SLOT
            self._siov[i].iov_base = sbase + i * SLOT
            for msgs, iov in ((self._rmsg, self._riov), (self._smsg, self._siov)):
                hdr = msgs[i].msg_hdr
                hdr.msg_name = names + i * _NAME
                hdr.msg_namelen = _NAME if msgs is self._rmsg else namelen
                hdr.msg_iov = ctypes.addressof(iov) + i * IOV_STRIDE
                hdr.msg_iovlen = 1
        self._name_at = [names + i * _NAME for i in range(size)]
        self._rmv = memoryview(self._rbuf)
        self._smv = memoryview(self._sbuf)
        self._namemv = memoryview(self._names).cast("B")
        self._rlen = memoryview(self._rmsg).cast("B").cast("I")  # msg_len, by 4-byte index
        self._slen = memoryview(self._siov).cast("B").cast("L" if PTR == 8 else "I")
        self._sname = memoryview(self._smsg).cast("B").cast("L" if PTR == 8 else "I")
        self._len_idx = LEN_AT // 4
        self._stride4 = STRIDE // 4
        self._stride_p = STRIDE // PTR
        self.queued = 0

    @staticmethod
    def supported() -> bool:
        return CALLS is not None

    def recv(self) -> int:
        """Datagrams now waiting, up to `size` (0: none, the socket would block).
        OSError for other errors (e.g. an ICMP error reported on the socket)."""
        return received(self._recvmmsg(self.fd, self._rmsg, self.size, socket.MSG_DONTWAIT, None))

    def answer(
        self, n: int, fast: Callable[[bytes, float], bytes | None], now: float
    ) -> list[tuple[int, bytes]]:
        """Offer each of the first `n` datagrams to `fast(data, now)` and queue the replies
        it gives; (index, data) of the datagrams it did not answer (or raised on), in order.
        The drain loop's inner loop, kept here so that it runs on local variables only."""
        rlen, idx, stride = self._rlen, self._len_idx, self._stride4
        rmv, smv, slen, sname = self._rmv, self._smv, self._slen, self._sname
        name_at, stride_p, limit = self._name_at, self._stride_p, self.size
        rest: list[tuple[int, bytes]] = []
        j = self.queued
        for i in range(n):
            off = i * SLOT
            data = rmv[off : off + rlen[idx + i * stride]].tobytes()
            try:
                out = fast(data, now)
            except Exception:  # the full path answers it (and reports what goes wrong)
                out = None
            if out is None:
                rest.append((i, data))
            elif j < limit:
                size = len(out)
                off = j * SLOT
                smv[off : off + size] = out
                slen[2 * j + 1] = size
                sname[j * stride_p] = name_at[i]
                j += 1
        self.queued = j
        return rest

    def lengths(self, n: int) -> list[int]:
        """Sizes of the first `n` datagrams of the last recv()."""
        rlen, idx, stride = self._rlen, self._len_idx, self._stride4
        return [rlen[idx + i * stride] for i in range(n)]

    def packet(self, i: int, length: int) -> bytes:
        """Datagram `i` of the last recv() (its size from lengths())."""
        off = i * SLOT
        return self._rmv[off : off + length].tobytes()

    def peer(self, i: int) -> tuple[str, int] | tuple[str, int, int, int]:
        """The sender of datagram `i` as socket.recvfrom would give it."""
        mv = self._namemv
        off = i * _NAME
        if self.family == socket.AF_INET:
            port, addr = _V4.unpack_from(mv, off + 2)
            return socket.inet_ntop(socket.AF_INET, addr), port
        port, flow, addr6, scope = _V6.unpack_from(mv, off + 2)
        host = socket.inet_ntop(socket.AF_INET6, addr6)
        if scope:
            try:
                host = f"{host}%{socket.if_indextoname(scope)}"
            except OSError:
                host = f"{host}%{scope}"
        return host, port, flow, scope

    def reply(self, i: int, data: bytes) -> None:
        """Queue `data` for the sender of datagram `i` (dropped if the queue is full)."""
        j = self.queued
        if j >= self.size or len(data) > SLOT:
            return
        off = j * SLOT
        self._smv[off : off + len(data)] = data
        self._slen[2 * j + 1] = len(data)
        self._sname[j * self._stride_p] = self._name_at[i]
        self.queued = j + 1

    def flush(self) -> list[int]:
        """Send the queued replies; the errno of each one the kernel refused (skipped)."""
        total, done, errors = self.queued, 0, []
        self.queued = 0
        base = ctypes.addressof(self._smsg)
        while done < total:
            sent: int = self._sendmmsg(self.fd, base + done * STRIDE, total - done, 0)
            if sent < 0:
                errors.append(ctypes.get_errno())
                done += 1  # UDP may drop: skip the datagram the kernel refused
            else:
                done += sent
        return errors
