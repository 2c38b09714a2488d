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


def test_dhcp_keeps_net_admin_and_net_raw_unless_no_ping() -> None:
    from lanctl.config import load
    from lanctl.net.privileges import CAP_NET_ADMIN, CAP_NET_RAW, needed_capabilities

    base = ["-C", "/dev/null", "--port=0"]
    assert needed_capabilities(load([*base, "--dhcp-range=192.0.2.50,192.0.2.99"])) == {
        CAP_NET_ADMIN,
        CAP_NET_RAW,
    }
    no_ping = load([*base, "--dhcp-range=192.0.2.50,192.0.2.99", "--no-ping"])
    assert needed_capabilities(no_ping) == {CAP_NET_ADMIN}
    assert needed_capabilities(load(["-C", "/dev/null"])) == frozenset()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_kept_capabilities_survive_the_drop_to_nobody_and_nothing_else() -> None:
    code = (
        "import os\n"
        "from lanctl.net.privileges import resolve_run_as, drop_privileges, current_capabilities\n"
        "assert drop_privileges(resolve_run_as('nobody', None), frozenset({12, 13}))\n"
        "print(os.getresuid()[0], hex(current_capabilities()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert out == f"{pwd.getpwnam('nobody').pw_uid} {hex((1 << 12) | (1 << 13))}"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_without_keep_nobody_has_no_capabilities() -> None:
    code = (
        "from lanctl.net.privileges import resolve_run_as, drop_privileges, current_capabilities\n"
        "assert drop_privileges(resolve_run_as('nobody', None))\n"
        "print(hex(current_capabilities()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert out == "0x0"
