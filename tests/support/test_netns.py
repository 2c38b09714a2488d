"""Tests of the network-namespace fixture itself (tests/support/netns.py).

Checks that namespaces joined by a veth pair reach each other over documentation ranges,
that nothing is left behind after teardown (namespaces, /etc/netns, processes), that only
documentation addresses are accepted, and that the skip/fail switches for CI work.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import free_port, require_tool, skip_or_fail
from tests.support.netns import (
    ETC_NETNS,
    Lab,
    _base36,
    _pid_tag,
    check_doc_interface,
    check_local_mac,
    list_netns,
    sweep_stale,
)


def _host_links() -> str:
    return subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status  # dead, waiting for its (re)parent to reap it


# -- pure checks (no root needed) ------------------------------------------------------


@pytest.mark.parametrize(
    "cidr",
    ["192.0.2.1/24", "198.51.100.7/32", "203.0.113.200/25", "2001:db8::1/64", "2001:db8:ff::2/128"],
)
def test_documentation_addresses_are_accepted(cidr: str) -> None:
    assert str(check_doc_interface(cidr)) == cidr


@pytest.mark.parametrize(
    "cidr",
    [
        "10.0.0.1/24",  # private, not documentation
        "192.0.2.1/16",  # the prefix leaves TEST-NET-1
        "192.0.3.1/24",
        "127.0.0.1/8",
        "::192.0.2.1/128",  # v4 digits in a v6 address are not TEST-NET-1
        "2001:db9::1/64",
        "2001:db8::1/16",  # the prefix leaves 2001:db8::/32
        "fe80::1/64",
        "192.0.2.1",  # no prefix length
    ],
)
def test_other_addresses_are_refused(cidr: str) -> None:
    with pytest.raises(ValueError):
        check_doc_interface(cidr)


def test_mac_must_be_locally_administered_unicast() -> None:
    assert check_local_mac("02:00:C0:00:02:01") == "02:00:c0:00:02:01"
    for bad in ("00:11:22:33:44:55", "03:00:00:00:00:01", "02:00:00:00:01", "zz:00:00:00:00:01"):
        with pytest.raises(ValueError):
            check_local_mac(bad)


def test_names_fit_interface_limit() -> None:
    assert _pid_tag(2**22) == "2hwcg"  # the largest Linux pid_max still fits 5 characters
    assert len(f"lct{_pid_tag(2**22)}{_base36(36**6 - 1)}a") == 15


def test_skip_or_fail_skips_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LANCTL_REQUIRE_TOOLS", raising=False)
    with pytest.raises(pytest.skip.Exception):
        skip_or_fail("no tool", "LANCTL_REQUIRE_TOOLS")


def test_skip_or_fail_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANCTL_REQUIRE_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="no tool"):
        skip_or_fail("no tool", "LANCTL_REQUIRE_TOOLS")


def test_require_tool_missing_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANCTL_REQUIRE_TOOLS", "1")
    with pytest.raises(pytest.fail.Exception, match="lanctl-no-such-client"):
        require_tool("lanctl-no-such-client")
    monkeypatch.setenv("LANCTL_REQUIRE_TOOLS", "0")
    with pytest.raises(pytest.skip.Exception):
        require_tool("lanctl-no-such-client")


def test_require_tool_looks_in_sbin(monkeypatch: pytest.MonkeyPatch) -> None:
    sbin = sorted(p for p in Path("/usr/sbin").glob("*") if p.is_file() and os.access(p, os.X_OK))
    if not sbin:
        pytest.skip("no executable in /usr/sbin to look for")
    monkeypatch.setenv("PATH", "/nonexistent")  # e.g. a non-root PATH without sbin
    assert require_tool(sbin[0].name) == str(sbin[0])


def test_free_port_is_free_for_udp_and_tcp() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", port))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", port))


# -- namespaces (root) -----------------------------------------------------------------


def test_veth_pair_pings_and_is_gone_after_teardown(netns: Lab) -> None:
    ping = require_tool("ping")
    cli, srv = netns("cli"), netns("srv")
    veth = netns.link(srv, cli, ["192.0.2.1/24", "2001:db8:20::1/64"], ["192.0.2.250/24"])
    cli.add_address(veth.b_if, "2001:db8:20::250/64")
    assert veth.a_mac == "02:00:00:00:01:01" and veth.b_mac == "02:00:00:00:01:02"
    assert veth.a_if not in _host_links() and veth.b_if not in _host_links()

    cli.run([ping, "-c", "1", "-W", "2", "192.0.2.1"])
    srv.run([ping, "-c", "1", "-W", "2", "192.0.2.250"])
    cli.run([ping, "-6", "-c", "1", "-W", "2", "2001:db8:20::1"])  # nodad: usable at once
    # No default route: anything outside the test subnet is unreachable.
    unroutable = cli.run([ping, "-c", "1", "-W", "1", "198.51.100.1"], check=False)
    assert unroutable.returncode != 0

    names = [srv.name, cli.name]
    assert set(names) <= set(list_netns())
    netns.close()
    assert not set(names) & set(list_netns())
    assert not any((ETC_NETNS / n).exists() for n in names)
    assert not list(Path("/run/netns").glob(f"{srv.name}*"))


def test_namespace_defaults(netns: Lab) -> None:
    ns = netns(nameservers=["192.0.2.1"])
    assert ns.run(["ip", "route", "show", "default"]).stdout.strip() == ""
    assert ns.run(["ip", "-6", "route", "show", "default"]).stdout.strip() == ""
    assert ",UP," in ns.run(["ip", "link", "show", "lo"]).stdout  # lo is up
    assert ns.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip() == "0"
    # ip netns exec shows the per-namespace files instead of the host's.
    resolv = ns.run(["cat", "/etc/resolv.conf"]).stdout
    assert f"test namespace {ns.name}" in resolv and "nameserver 192.0.2.1" in resolv
    assert ns.run(["cat", "/etc/hosts"]).stdout.startswith("127.0.0.1\tlocalhost")


def test_sysctl_writes_only_the_namespace(netns: Lab) -> None:
    ns = netns()
    host_value = Path("/proc/sys/net/ipv4/ip_forward").read_text()
    ns.sysctl("net.ipv4.ip_forward", 1)
    assert ns.run(["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip() == "1"
    assert ns.read_sysctl("net.ipv4.ip_forward") == "1"
    assert Path("/proc/sys/net/ipv4/ip_forward").read_text() == host_value


def test_link_refuses_non_documentation_address_before_creating(netns: Lab) -> None:
    a, b = netns(), netns()
    with pytest.raises(ValueError):
        netns.link(a, b, ["192.0.2.1/24"], ["10.1.2.3/24"])
    assert "veth" not in a.run(["ip", "-o", "link", "show", "type", "veth"]).stdout


def test_socket_is_created_inside_the_namespace(netns: Lab) -> None:
    a, b = netns(), netns()
    netns.link(a, b, ["198.51.100.1/24"], ["198.51.100.2/24"])
    before = os.readlink("/proc/thread-self/ns/net")
    with a.socket() as rx, b.socket() as tx:
        assert os.readlink("/proc/thread-self/ns/net") == before  # switched back
        rx.bind(("198.51.100.1", 0))  # only possible inside `a`
        rx.settimeout(5)
        tx.sendto(b"ping", rx.getsockname())
        data, src = rx.recvfrom(100)
    assert data == b"ping" and src[0] == "198.51.100.2"
    with socket.socket() as host_sock, pytest.raises(OSError):
        host_sock.bind(("198.51.100.1", 0))  # the host has no such address


def test_teardown_stops_processes_and_stragglers(netns: Lab) -> None:
    ns = netns()
    sleeper = ns.popen(["sleep", "300"])
    # A daemonised child outside our process group: only `ip netns pids` finds it.
    ns.run(["sh", "-c", "setsid sleep 301 </dev/null >/dev/null 2>&1 &"])
    deadline = time.monotonic() + 5
    pids: list[int] = []
    while time.monotonic() < deadline and len(pids) < 2:
        out = subprocess.run(["ip", "netns", "pids", ns.name], capture_output=True, text=True)
        pids = [int(p) for p in out.stdout.split()]
        time.sleep(0.05)
    assert sleeper.pid in pids and len(pids) == 2
    netns.close()
    assert sleeper.poll() is not None
    assert all(_gone(pid) for pid in pids)


def test_sweep_deletes_only_our_dead_namespaces(netns: Lab) -> None:
    dead_pid = subprocess.Popen(["true"])  # a pid that has exited
    dead_pid.wait()
    alive = subprocess.Popen(["sleep", "60"])
    dead_name = f"lct-{_pid_tag(dead_pid.pid)}-1-sweep"
    live_name = f"lct-{_pid_tag(alive.pid)}-1-sweep"
    foreign = f"lcx-{_pid_tag(dead_pid.pid)}-1-sweep"  # not our prefix
    made = [dead_name, live_name, foreign]
    try:
        for name in made:
            subprocess.run(["ip", "netns", "add", name], check=True)
        (ETC_NETNS / dead_name).mkdir(parents=True)
        swept = sweep_stale()
        assert dead_name in swept
        assert not {live_name, foreign} & set(swept)
        remaining = set(list_netns())
        assert dead_name not in remaining and {live_name, foreign} <= remaining
        assert not (ETC_NETNS / dead_name).exists()
    finally:
        alive.kill()
        alive.wait()
        for name in made:
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
        subprocess.run(["rm", "-rf", str(ETC_NETNS / dead_name)])


def test_wait_ipv6_ready_waits_out_link_local_dad(netns: Lab) -> None:
    a, b = netns(), netns()
    veth = netns.link(a, b)
    a.wait_ipv6_ready(veth.a_if)
    out = a.run(["ip", "-6", "-o", "addr", "show", "dev", veth.a_if, "scope", "link"]).stdout
    # EUI-64 from the fixed MAC 02:00:00:00:01:01 (TESTING.md §1: predictable link-local).
    assert "fe80::ff:fe00:101/64" in out and "tentative" not in out
