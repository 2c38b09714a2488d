"""Batched DHCPv4 socket I/O: recvmmsg(2) with each datagram's IP_PKTINFO, sendmmsg(2) out.

One system call takes up to `size` requests with their arrival interface, and one sends a
flush's replies, each with its own destination and outgoing interface (an in_pktinfo
control message, as a single sendmsg would carry).  Sources and destinations are raw
sockaddr_in bytes, converted through small caches: a relay or a broadcast address repeats
for every packet.  Linux only (recvmmsg/sendmmsg through ctypes, lanctl.net.mmsgcalls), as
the rest of the DHCPv4 server (IP_PKTINFO's value, SIOCSARP).
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import socket
import struct
from typing import Final

from lanctl.dhcp4.udpsocket import IP_PKTINFO, MAX_IN, PKTINFO
from lanctl.net.mmsgcalls import CALLS, CONTROLLEN_AT, LEN_AT, STRIDE, Iovec, Mmsghdr, received

__all__ = ["DhcpBatch", "SendError"]

_NAME: Final = 16  # sizeof(struct sockaddr_in)
_CONTROL: Final = 64  # room for an in_pktinfo control message (CMSG_SPACE(12) = 32)
_CMSGHDR: Final = struct.Struct("@Nii")  # cmsg_len, cmsg_level, cmsg_type
_ALIGN: Final = ctypes.sizeof(ctypes.c_size_t)  # == unsigned long ("L") on Linux
_SOCKADDR: Final = struct.Struct("=H2s4s8x")  # family (host order), port, address (network)
_PKTINFO_CMSG_LEN: Final = _CMSGHDR.size + PKTINFO.size
_PKTINFO_SPACE: Final = (_PKTINFO_CMSG_LEN + _ALIGN - 1) // _ALIGN * _ALIGN
_CACHE_MAX: Final = 4096

SendError = tuple[int, tuple[str, int]]  # errno, destination


def _align(n: int) -> int:
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


def _ifindex(control: bytes) -> int | None:
    """The interface index of the IP_PKTINFO control message in `control`, if there is one."""
    off = 0
    while off + _CMSGHDR.size <= len(control):
        length, level, kind = _CMSGHDR.unpack_from(control, off)
        if length < _CMSGHDR.size or off + length > len(control):
            return None
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and length >= _PKTINFO_CMSG_LEN:
            index: int = PKTINFO.unpack_from(control, off + _CMSGHDR.size)[0]
            return index
        off += _align(length)
    return None


class DhcpBatch:
    """Up to `size` datagrams in per recv(), up to `size` replies out per flush()."""

    def __init__(self, sock: socket.socket, size: int = 64) -> None:
        if CALLS is None:
            raise OSError(errno.ENOSYS, "recvmmsg/sendmmsg not available")
        self._recvmmsg, self._sendmmsg = CALLS
        self.fd = sock.fileno()
        self.size = size
        # Anonymous mappings: pages cost memory only once a datagram has touched them.
        self._rbuf = mmap.mmap(-1, MAX_IN * size)
        self._sbuf = mmap.mmap(-1, MAX_IN * size)
        rbase = ctypes.addressof(ctypes.c_char.from_buffer(self._rbuf))
        sbase = ctypes.addressof(ctypes.c_char.from_buffer(self._sbuf))
        self._names = ctypes.create_string_buffer(2 * _NAME * size)  # receive, then send
        self._control = ctypes.create_string_buffer(2 * _CONTROL * size)
        self._riov, self._siov = (Iovec * size)(), (Iovec * size)()
        self._rmsg, self._smsg = (Mmsghdr * size)(), (Mmsghdr * size)()
        names, control = ctypes.addressof(self._names), ctypes.addressof(self._control)
        for i in range(size):
            self._riov[i].iov_base, self._riov[i].iov_len = rbase + i * MAX_IN, MAX_IN
            self._siov[i].iov_base = sbase + i * MAX_IN
            for side, (msgs, iov) in enumerate(
                ((self._rmsg, self._riov), (self._smsg, self._siov))
            ):
                hdr = msgs[i].msg_hdr
                slot = side * size + i
                hdr.msg_name, hdr.msg_namelen = names + slot * _NAME, _NAME
                hdr.msg_iov, hdr.msg_iovlen = ctypes.addressof(iov[i]), 1
                hdr.msg_control = control + slot * _CONTROL
                hdr.msg_controllen = _CONTROL if side == 0 else _PKTINFO_SPACE
        self._rmv, self._smv = memoryview(self._rbuf), memoryview(self._sbuf)
        self._namemv = memoryview(self._names).cast("B")
        self._ctlmv = memoryview(self._control).cast("B")
        u32 = memoryview(self._rmsg).cast("B").cast("I")
        self._rlen = u32  # msg_len of slot i at LEN_AT // 4 + i * STRIDE // 4
        self._rctl = memoryview(self._rmsg).cast("B").cast("L")  # msg_controllen, reset each time
        self._slen = memoryview(self._siov).cast("B").cast("L")  # iov_len of slot j at 2j + 1
        self._peers: dict[bytes, tuple[str, int]] = {}
        self._dests: dict[tuple[str, int], bytes] = {}
        self._infos: dict[int, bytes] = {}
        self._sdest: list[tuple[str, int]] = [("", 0)] * size  # for the error report
        self.queued = 0
        self._filled = 0  # slots the last recv() filled (their control lengths to reset)

    def recv(self) -> int:
        """Datagrams now waiting, up to `size` (0: none, the socket would block).
        OSError for other errors (e.g. an ICMP error reported on the socket)."""
        rctl, at, step = self._rctl, CONTROLLEN_AT // _ALIGN, STRIDE // _ALIGN
        for i in range(self._filled):  # the kernel wrote back the lengths these used
            rctl[at + i * step] = _CONTROL
        n = received(self._recvmmsg(self.fd, self._rmsg, self.size, socket.MSG_DONTWAIT, None))
        self._filled = n
        return n

    def datagram(self, i: int) -> tuple[bytes, tuple[str, int], int | None]:
        """Datagram `i` of the last recv(): its bytes, its sender, its arrival interface."""
        length = self._rlen[LEN_AT // 4 + i * (STRIDE // 4)]
        off = i * MAX_IN
        data = self._rmv[off : off + length].tobytes()
        raw = self._namemv[i * _NAME + 2 : i * _NAME + 8].tobytes()  # port, address
        peer = self._peers.get(raw)
        if peer is None:
            if len(self._peers) >= _CACHE_MAX:
                self._peers.clear()
            peer = self._peers[raw] = (socket.inet_ntoa(raw[2:]), int.from_bytes(raw[:2], "big"))
        used = self._rctl[CONTROLLEN_AT // _ALIGN + i * (STRIDE // _ALIGN)]
        coff = i * _CONTROL
        return data, peer, _ifindex(self._ctlmv[coff : coff + min(used, _CONTROL)].tobytes())

    def queue(self, payload: bytes, dest: tuple[str, int], ifindex: int) -> bool:
        """Queue a reply to `dest` out of interface `ifindex` (0: by the routing table).
        False when it cannot be queued (the batch is full: flush first; or too large)."""
        j = self.queued
        if j >= self.size or len(payload) > MAX_IN:
            return False
        name = self._dests.get(dest)
        if name is None:
            if len(self._dests) >= _CACHE_MAX:
                self._dests.clear()
            packed = socket.inet_aton(dest[0])  # OSError for a bad address, as sendmsg's
            name = _SOCKADDR.pack(socket.AF_INET, dest[1].to_bytes(2, "big"), packed)
            self._dests[dest] = name
        info = self._infos.get(ifindex)
        if info is None:
            cmsg = _CMSGHDR.pack(_PKTINFO_CMSG_LEN, socket.IPPROTO_IP, IP_PKTINFO)
            info = cmsg + PKTINFO.pack(ifindex, bytes(4), bytes(4))
            info = self._infos[ifindex] = info.ljust(_PKTINFO_SPACE, b"\0")
        off = j * MAX_IN
        self._smv[off : off + len(payload)] = payload
        self._slen[2 * j + 1] = len(payload)
        slot = self.size + j
        self._namemv[slot * _NAME : (slot + 1) * _NAME] = name
        self._ctlmv[slot * _CONTROL : slot * _CONTROL + _PKTINFO_SPACE] = info
        self._sdest[j] = dest
        self.queued = j + 1
        return True

    def flush(self) -> list[SendError]:
        """Send the queued replies in order; the ones the kernel refused (errno, dest)."""
        total, self.queued = self.queued, 0
        errors: list[SendError] = []
        done = 0
        base = ctypes.addressof(self._smsg)
        while done < total:
            sent: int = self._sendmmsg(self.fd, base + done * STRIDE, total - done, 0)
            if sent < 0:
                err = ctypes.get_errno()
                if err == errno.EINTR:
                    continue
                errors.append((err, self._sdest[done]))  # that one is dropped; go on after it
                done += 1
            else:
                done += sent
        return errors
