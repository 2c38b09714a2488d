"""`lanctl dhcp serve` in a network namespace with real clients: udhcpc, dhclient, dhcpcd.

Server 192.0.2.1/24 (namespace srv), client interface without an address (namespace cli,
MAC 02:00:00:00:01:02).  Each test checks what the client's hook received, the dnsmasq
lease file, `lanctl dhcp leases --json`, and that the server is still running at the end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.control import client as control
from tests.dhcp4.netlab import (
    DHCLIENT_APPLY,
    REPO,
    UDHCPC_APPLY,
    Server,
    dhclient_argv,
    dhclient_conf,
    dhcpcd_conf,
    dhcpcd_state,
    event,
    read_events,
    start_server,
    udhcpc_once,
    wait_for,
    write_hook,
)
from tests.support import require_tool
from tests.support.netns import Lab, Namespace

CLIENT_MAC = "02:00:00:00:01:02"
RANGE = "dhcp-range=192.0.2.50,192.0.2.99,12h"
OPTIONS = ("dhcp-option=option:dns-server,192.0.2.1", "domain=example.test")


@dataclass
class Setup:
    srv: Namespace
    cli: Namespace
    srv_if: str
    cli_if: str
    work: Path

    def start(self, *extra: str) -> Server:
        return start_server("lanctl", self.srv, self.work, RANGE, *OPTIONS, *extra)


@pytest.fixture
def lab(netns: Lab, tmp_path: Path) -> Iterator[Setup]:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], [])
    assert link.b_mac == CLIENT_MAC
    yield Setup(srv, cli, link.a_if, link.b_if, tmp_path)


def in_range(ip: str) -> bool:
    return IPv4Address("192.0.2.50") <= IPv4Address(ip) <= IPv4Address("192.0.2.99")


def lease_line(server: Server, ip: str) -> str | None:
    return next((x for x in server.lease_lines() if f" {ip} " in x), None)


def leases_json(server: Server) -> list[dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "lanctl", "dhcp", "leases", "--json", "-C", str(server.conf)]
    out = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=30, check=True)
    return list(json.loads(out.stdout))


def test_udhcpc_gets_address_options_lease_file_and_leases_json(lab: Setup) -> None:
    server = lab.start()
    env = udhcpc_once(lab.cli, lab.cli_if, lab.work, "-x", "hostname:udbox")
    ip = env["ip"]
    assert in_range(ip)
    assert env["router"] == "192.0.2.1" and env["dns"].strip() == "192.0.2.1"
    assert env["domain"] == "example.test" and env["lease"] == "43200"
    assert env["serverid"] == "192.0.2.1" and env["subnet"] == "255.255.255.0"
    line = wait_for(lambda: lease_line(server, ip), "lease file line", log=server.log)
    assert re.fullmatch(rf"\d+ {CLIENT_MAC} {re.escape(ip)} udbox 01:{CLIENT_MAC}", line), line
    # The OFFER went unicast to an address the client did not have yet: through an ARP
    # entry the server added itself (SIOCSARP), as dnsmasq does.
    neigh = lab.srv.run(["ip", "neigh", "show", ip, "dev", lab.srv_if]).stdout
    assert CLIENT_MAC in neigh, neigh
    (record,) = leases_json(server)
    assert record["address"] == ip and record["hwaddr"] == CLIENT_MAC
    assert record["hostname"] == "udbox"
    live = control.request(str(lab.work / "ctl.sock"), "leases.list")
    assert isinstance(live, dict) and [x["address"] for x in live["dhcp4"]] == [ip]
    stats = control.request(str(lab.work / "ctl.sock"), "stats")
    assert "dhcp4" in json.dumps(stats)
    log = server.log.read_text()
    assert f"DHCPACK({lab.srv_if}) {ip} {CLIENT_MAC} udbox" in log
    assert f"DHCPDISCOVER({lab.srv_if}) {CLIENT_MAC}" in log
    server.alive()


def test_udhcpc_reservation_renew_and_release(lab: Setup) -> None:
    server = lab.start(f"dhcp-host={CLIENT_MAC},192.0.2.20,fixedbox")
    hook, events = write_hook(lab.work, "udhcpc", UDHCPC_APPLY)
    tool = require_tool("udhcpc")
    argv = [tool, "-f", "-i", lab.cli_if, "-s", str(hook), "-t", "6", "-T", "3"]
    proc = lab.cli.popen(argv)
    bound = wait_for(lambda: event(events, ("bound",)), "udhcpc bound", log=server.log)
    assert bound["ip"] == "192.0.2.20" and bound["hostname"] == "fixedbox"
    wait_for(lambda: lease_line(server, "192.0.2.20"), "lease line", log=server.log)
    proc.send_signal(signal.SIGUSR1)  # renew: unicast REQUEST with ciaddr
    wait_for(lambda: event(events, ("renew",)), "udhcpc renew", log=server.log)
    proc.send_signal(signal.SIGUSR2)  # release
    wait_for(lambda: lease_line(server, "192.0.2.20") is None, "release", log=server.log)
    assert "DHCPRELEASE" in server.log.read_text()
    assert leases_json(server) == []
    proc.terminate()
    proc.wait(10)
    server.alive()


def test_dhclient_obtains_reboots_and_releases(lab: Setup) -> None:
    server = lab.start()
    hook, events = write_hook(lab.work, "dhclient", DHCLIENT_APPLY)
    conf = dhclient_conf(lab.work, "dhbox")
    proc = lab.cli.popen(dhclient_argv(lab.work, lab.cli_if, hook, conf))
    bound = wait_for(lambda: event(events, ("BOUND",)), "dhclient BOUND", log=server.log)
    ip = bound["new_ip_address"]
    assert in_range(ip) and bound["new_routers"] == "192.0.2.1"
    assert bound["new_domain_name_servers"] == "192.0.2.1"
    assert bound["new_domain_name"] == "example.test"
    assert bound["new_dhcp_server_identifier"] == "192.0.2.1"
    wait_for(lambda: lease_line(server, ip), "lease line", log=server.log)
    assert " dhbox " in (lease_line(server, ip) or "")
    proc.terminate()
    proc.wait(10)
    # Restart on the same lease file: INIT-REBOOT (REQUEST with option 50, no server id).
    proc = lab.cli.popen(dhclient_argv(lab.work, lab.cli_if, hook, conf))
    reboot = wait_for(lambda: event(events, ("REBOOT",)), "dhclient REBOOT", log=server.log)
    assert reboot["new_ip_address"] == ip
    # -r releases and stops the instance named in the pid file.
    release = lab.cli.run(dhclient_argv(lab.work, lab.cli_if, hook, conf, "-r"), check=False)
    assert release.returncode == 0, release.stderr
    wait_for(lambda: lease_line(server, ip) is None, "release", log=server.log)
    proc.wait(10)
    server.alive()


def test_dhcpcd_obtains_address_and_options(lab: Setup) -> None:
    server = lab.start()
    hook, events = write_hook(lab.work, "dhcpcd")
    tool = require_tool("dhcpcd")
    with dhcpcd_state(lab.cli_if):
        argv = [tool, "-f", str(dhcpcd_conf(lab.work, "cdbox")), "-c", str(hook), "-4", "-B", "-1"]
        res = lab.cli.run([*argv, lab.cli_if], check=False, timeout=60)
        bound = event(events, ("BOUND",))
        assert bound is not None, res.stdout + res.stderr + str(read_events(events))
        ip = bound["new_ip_address"]
        assert in_range(ip) and bound["new_routers"] == "192.0.2.1"
        assert bound["new_domain_name_servers"] == "192.0.2.1"
        assert bound["new_domain_name"] == "example.test"
        line = wait_for(lambda: lease_line(server, ip), "lease line", log=server.log)
        assert f" {CLIENT_MAC} {ip} cdbox " in line
    server.alive()


def test_leasefile_ro_writes_no_lease_file(lab: Setup) -> None:
    server = lab.start("leasefile-ro")
    env = udhcpc_once(lab.cli, lab.cli_if, lab.work)
    assert in_range(env["ip"])
    assert f"DHCPACK({lab.srv_if}) {env['ip']}" in server.log.read_text()
    assert not server.leasefile.exists()
    server.alive()


def test_lanctl_all_runs_dhcp_beside_dns_and_advertises_itself_as_dns(lab: Setup) -> None:
    server = start_server(
        "lanctl", lab.srv, lab.work, RANGE, "no-resolv", "no-hosts", command=("all",)
    )
    env = udhcpc_once(lab.cli, lab.cli_if, lab.work)
    assert in_range(env["ip"])
    assert env["dns"].strip() == "192.0.2.1"  # DNS on port 53: dnsmasq's default option 6
    assert env["router"] == "192.0.2.1"
    server.alive()


def test_dhcp_hostsfile_reservation_reloaded_on_sighup(lab: Setup) -> None:
    hostsfile = lab.work / "hosts.dhcp"
    hostsfile.write_text(f"{CLIENT_MAC},192.0.2.21,filebox\n")
    server = lab.start(f"dhcp-hostsfile={hostsfile}")
    assert udhcpc_once(lab.cli, lab.cli_if, lab.work)["ip"] == "192.0.2.21"
    assert f"read {hostsfile}\n" in server.log.read_text()  # as dnsmasq 2.90: no count
    wait_for(lambda: lease_line(server, "192.0.2.21"), "first lease", log=server.log)
    hostsfile.write_text(f"{CLIENT_MAC},192.0.2.22,filebox\n")
    server.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: server.log.read_text().count(f"read {hostsfile}") == 2, "reload", 15)
    env = udhcpc_once(lab.cli, lab.cli_if, lab.work)
    assert env["ip"] == "192.0.2.22" and env["hostname"] == "filebox"
    wait_for(lambda: lease_line(server, "192.0.2.22"), "new lease", log=server.log)
    assert lease_line(server, "192.0.2.21") is None  # the client moved: one lease only
    server.alive()
