"""--user/--group resolution (dnsmasq defaults) and the drop itself (root only)."""

from __future__ import annotations

import grp
import os
import pwd
import subprocess
import sys

import pytest

from lanctl.errors import ConfigError
from lanctl.net.privileges import RunAs, drop_privileges, resolve_run_as


def _default_gid(user: str) -> int:
    try:
        return grp.getgrnam("dip").gr_gid
    except KeyError:
        return pwd.getpwnam(user).pw_gid


def test_default_group_is_dip_else_the_users_primary_group() -> None:
    run_as = resolve_run_as("nobody", None)
    assert run_as is not None
    assert (run_as.user, run_as.uid) == ("nobody", pwd.getpwnam("nobody").pw_uid)
    assert run_as.gid == _default_gid("nobody")


def test_explicit_group_wins() -> None:
    group = grp.getgrgid(0).gr_name
    run_as = resolve_run_as("nobody", group)
    assert run_as is not None and (run_as.group, run_as.gid) == (group, 0)


def test_empty_user_changes_nothing() -> None:
    assert resolve_run_as(None, None) is None
    assert resolve_run_as("", None) is None


@pytest.mark.parametrize(
    ("user", "group", "bad"),
    [
        ("no-such-user-xyz", None, "no-such-user-xyz"),
        ("nobody", "no-such-group-xyz", "no-such-group-xyz"),
    ],
)
def test_unknown_names_are_config_errors(user: str, group: str | None, bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_run_as(user, group)
    assert info.value.exit_code == 1
    assert str(info.value) == f"unknown user or group: {bad}"


def test_owner_keeps_unset_fields() -> None:
    assert RunAs(None, None, "dip", 30).owner == (-1, 30)


def test_nothing_to_drop_is_a_no_op() -> None:
    assert drop_privileges(None) is False


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_drop_switches_every_uid_and_gid_in_a_child() -> None:
    code = (
        "import os; from lanctl.net.privileges import resolve_run_as, drop_privileges\n"
        "assert drop_privileges(resolve_run_as('nobody', None))\n"
        "print(os.getresuid(), os.getresgid(), os.getgroups())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    uid, gid = pwd.getpwnam("nobody").pw_uid, _default_gid("nobody")
    assert out == f"({uid}, {uid}, {uid}) ({gid}, {gid}, {gid}) []"
