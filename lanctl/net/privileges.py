"""Drop root after every socket is bound: `-u/--user` and `-g/--group`, as dnsmasq does.

The user defaults to "nobody"; `--user=` (empty) keeps the current identity.  The group
defaults to "dip" when that group exists, else the user's primary group (dnsmasq.c).  An
unknown user or group is a configuration error, exit 1 ("unknown user or group: NAME"),
found before anything is bound.  Nothing changes unless the process runs as root, and
`-d/--no-daemon` never changes user (dnsmasq's debug mode).
Not done yet: keeping CAP_NET_ADMIN/CAP_NET_RAW across the drop (DHCP ARP injection).
"""

from __future__ import annotations

import grp
import logging
import os
import pwd
from dataclasses import dataclass
from typing import Final

from lanctl.errors import ConfigError, LanctlError

log = logging.getLogger("lanctl.net.privileges")

DEFAULT_GROUP: Final = "dip"  # dnsmasq CHGRP: "to facilitate access to /etc/ppp/resolv.conf"


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


def drop_privileges(run_as: RunAs | None) -> bool:
    """Switch to `run_as` if running as root; True if the identity changed.

    Raises LanctlError (exit 5) if the kernel refuses, as dnsmasq's "failed to change
    user-id to nobody: ..." does.
    """
    if run_as is None:
        return False
    if os.geteuid() != 0:
        log.debug("not running as root: keeping uid %d", os.geteuid())
        return False
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
    return True
