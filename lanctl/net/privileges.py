"""Drop root after every socket is bound: `-u/--user` and `-g/--group`, as dnsmasq does.

The user defaults to "nobody"; `--user=` (empty) keeps the current identity.  The group
defaults to "dip" when that group exists, else the user's primary group (dnsmasq.c).  An
unknown user or group is a configuration error, exit 1 ("unknown user or group: NAME"),
found before anything is bound.  Nothing changes unless the process runs as root, and
`-d/--no-daemon` never changes user (dnsmasq's debug mode).  Capabilities the running
service still needs survive the drop as in dnsmasq.c: CAP_NET_ADMIN when DHCPv4 serves or
relays (SIOCSARP for unicast replies to unconfigured clients), CAP_NET_RAW unless
--no-ping (ICMP echo).  Linux only: PR_SET_KEEPCAPS, then capset(2) after the uid change.
"""

from __future__ import annotations

import ctypes
import grp
import logging
import os
import pwd
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from lanctl.config.model import Config
from lanctl.errors import ConfigError, LanctlError

log = logging.getLogger("lanctl.net.privileges")

DEFAULT_GROUP: Final = "dip"  # dnsmasq CHGRP: "to facilitate access to /etc/ppp/resolv.conf"
CAP_NET_BIND_SERVICE: Final = 10  # linux/capability.h
CAP_NET_ADMIN: Final = 12
CAP_NET_RAW: Final = 13
PR_SET_KEEPCAPS: Final = 8  # linux/prctl.h
CAP_VERSION_3: Final = 0x20080522  # _LINUX_CAPABILITY_VERSION_3: two 32-bit data words


@dataclass(frozen=True, slots=True)
class RunAs:
    """The identity to switch to; None in a field means "leave it as it is"."""

    user: str | None
    uid: int | None
    group: str | None
    gid: int | None

    @property
    def owner(self) -> tuple[int, int]:
        """(uid, gid) for chown of files created before the drop; -1 keeps a field."""
        return (
            self.uid if self.uid is not None else -1,
            self.gid if self.gid is not None else -1,
        )


def resolve_run_as(user: str | None, group: str | None) -> RunAs | None:
    """Look the names up now (before binding); None when nothing is to change.

    `user=None` ("--user=" empty) keeps the user; only an explicit `group` is then applied.
    """
    pw: pwd.struct_passwd | None = None
    if user:
        try:
            pw = pwd.getpwnam(user)
        except KeyError:
            raise ConfigError(f"unknown user or group: {user}") from None
    gr: grp.struct_group | None = None
    if group:
        try:
            gr = grp.getgrnam(group)
        except KeyError:
            raise ConfigError(f"unknown user or group: {group}") from None
    elif pw is not None:
        try:
            gr = grp.getgrnam(DEFAULT_GROUP)
        except KeyError:
            try:
                gr = grp.getgrgid(pw.pw_gid)
            except KeyError:
                gr = None
    if pw is None and gr is None:
        return None
    return RunAs(
        user=pw.pw_name if pw else None,
        uid=pw.pw_uid if pw else None,
        group=gr.gr_name if gr else None,
        gid=gr.gr_gid if gr else (pw.pw_gid if pw else None),
    )


def needed_capabilities(cfg: Config) -> frozenset[int]:
    """What dnsmasq keeps after the drop for this configuration (dnsmasq.c, Linux)."""
    keep: set[int] = set()
    if cfg.dns.enabled and cfg.core.bind_dynamic:
        keep.add(CAP_NET_BIND_SERVICE)  # --bind-dynamic binds port 53 on new addresses
    if cfg.dhcp4.enabled:
        keep.add(CAP_NET_ADMIN)  # SIOCSARP: unicast replies to clients without an address
        if not cfg.dhcp4.no_ping:
            keep.add(CAP_NET_RAW)  # ICMP echo before offering an address
    return frozenset(keep)


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def set_capabilities(caps: Iterable[int]) -> None:
    """capset(2) on the calling thread: exactly `caps` permitted and effective."""
    mask = 0
    for cap in caps:
        mask |= 1 << cap
    header = ctypes.create_string_buffer(struct.pack("=Ii", CAP_VERSION_3, 0))
    lo, hi = mask & 0xFFFFFFFF, mask >> 32
    data = ctypes.create_string_buffer(struct.pack("=6I", lo, lo, 0, hi, hi, 0))
    if _libc().capset(header, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def current_capabilities() -> int:
    """The effective capability mask of the calling thread (capget(2))."""
    header = ctypes.create_string_buffer(struct.pack("=Ii", CAP_VERSION_3, 0))
    data = ctypes.create_string_buffer(24)
    if _libc().capget(header, data) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    words: tuple[int, ...] = struct.unpack("=6I", data.raw)
    return words[0] | (words[3] << 32)


def _keep_caps(on: bool) -> None:
    if _libc().prctl(PR_SET_KEEPCAPS, int(on), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def drop_privileges(run_as: RunAs | None, keep: frozenset[int] = frozenset()) -> bool:
    """Switch to `run_as` if running as root; True if the identity changed.

    `keep` (CAP_* numbers) stay permitted and effective on the calling thread, the one
    trio runs on, as dnsmasq keeps CAP_NET_ADMIN for ARP; every other thread and
    capability is gone.  Raises LanctlError (exit 5) if the kernel refuses, as dnsmasq's
    "failed to change user-id to nobody: ..." does.
    """
    if run_as is None:
        return False
    if os.geteuid() != 0:
        log.debug("not running as root: keeping uid %d", os.geteuid())
        return False
    changes_uid = run_as.uid is not None and run_as.uid != 0
    if keep and changes_uid:
        try:
            _keep_caps(True)  # permitted set survives the uid change (effective is cleared)
        except OSError as exc:
            raise LanctlError(f"process is missing required capability: {exc.strerror}") from None
    try:
        if run_as.gid is not None:
            os.setgroups([])
            os.setresgid(run_as.gid, run_as.gid, run_as.gid)
    except OSError as exc:
        raise LanctlError(f"failed to change group-id to {run_as.group}: {exc.strerror}") from None
    try:
        if run_as.uid is not None and run_as.uid != 0:
            os.setresuid(run_as.uid, run_as.uid, run_as.uid)
    except OSError as exc:
        raise LanctlError(f"failed to change user-id to {run_as.user}: {exc.strerror}") from None
    if keep and changes_uid:
        try:
            _keep_caps(False)
            set_capabilities(keep)  # setuid cleared the effective set; permitted survived
        except OSError as exc:
            raise LanctlError(f"cannot keep capabilities: {exc.strerror}") from None
    return True
