"""recvmmsg(2) and sendmmsg(2) through ctypes: the C structures and the libc calls.

Shared by the batched UDP loops (lanctl.dns.mmsg for DNS, lanctl.dhcp4.batchio for DHCPv4).
`CALLS` is None where libc lacks the calls (not Linux); each user decides what to do then.
"""

from __future__ import annotations

import ctypes
import errno
from collections.abc import Callable
from typing import Final


class Iovec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class Msghdr(ctypes.Structure):
    _fields_ = [
        ("msg_name", ctypes.c_void_p),
        ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.c_void_p),
        ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p),
        ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    ]


class Mmsghdr(ctypes.Structure):
    _fields_ = [("msg_hdr", Msghdr), ("msg_len", ctypes.c_uint32)]


STRIDE: Final = ctypes.sizeof(Mmsghdr)
PTR: Final = ctypes.sizeof(ctypes.c_void_p)
IOV_STRIDE: Final = ctypes.sizeof(Iovec)
LEN_AT: Final = Mmsghdr.msg_len.offset
CONTROLLEN_AT: Final = Msghdr.msg_controllen.offset


def _libc_calls() -> tuple[Callable[..., int], Callable[..., int]] | None:
    try:
        # PyDLL keeps the GIL across the call: the calls never block (MSG_DONTWAIT) and
        # releasing and taking it back would cost more than the call itself.
        libc = ctypes.PyDLL(None, use_errno=True)
        recv, send = libc.recvmmsg, libc.sendmmsg
    except (OSError, AttributeError):
        return None
    recv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_void_p]
    recv.restype = ctypes.c_int
    send.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int]
    send.restype = ctypes.c_int
    return recv, send


CALLS: Final = _libc_calls()


def received(n: int) -> int:
    """recvmmsg's result as a count: -1 with EAGAIN/EINTR is 0 (nothing waiting); any other
    error is an OSError (e.g. an ICMP error reported on the socket)."""
    if n >= 0:
        return n
    err = ctypes.get_errno()
    if err in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EINTR):
        return 0
    raise OSError(err, errno.errorcode.get(err, str(err)))


__all__ = [
    "CALLS",
    "CONTROLLEN_AT",
    "IOV_STRIDE",
    "LEN_AT",
    "PTR",
    "STRIDE",
    "Iovec",
    "Mmsghdr",
    "Msghdr",
    "received",
]
