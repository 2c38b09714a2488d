"""`lanctl dhcp probe` / `lanctl ra probe` find the servers on a link (netns, dnsmasq as server)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.support import require_tool
from tests.support.netns import Lab, Namespace


def start_dnsmasq(lab: Lab, ns: Namespace, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    dnsmasq = require_tool("dnsmasq")
    log = open(tmp_path / "dnsmasq.log", "w")  # noqa: SIM115 - closed with the process
    proc = ns.popen(
        [dnsmasq, "-k", "--port=0", "--pid-file=", "--user=root", "--group=root",
         "--log-facility=-", "--no-resolv", "--no-hosts", "--no-ping",
         f"--dhcp-leasefile={tmp_path / 'leases'}", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    return proc


def wait_listening(ns: Namespace, port: int, proc: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        out = ns.run(["ss", "-Hlnu"]).stdout
        if f":{port} " in out:
            return
        time.sleep(0.2)
    raise AssertionError(f"nothing listening on {port}: {log.read_text()}")


def probe(ns: Namespace, *args: str) -> list[dict[str, object]]:
    result = ns.run([sys.executable, "-m", "lanctl", *args], timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def test_dhcp_probe_lists_the_server_and_its_offer(netns: Lab, tmp_path: Path) -> None:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], [])
    proc = start_dnsmasq(
        netns, srv, tmp_path, f"--interface={link.a_if}", "--bind-interfaces",
        "--dhcp-range=192.0.2.50,192.0.2.60,1h", "--dhcp-option=option:router,192.0.2.1",
    )  # fmt: skip
    wait_listening(srv, 67, proc, tmp_path / "dnsmasq.log")
    [offer] = probe(cli, "dhcp", "probe", link.b_if, "--timeout", "3")
    assert offer["server_id"] == "192.0.2.1"
    assert offer["source_mac"] == link.a_mac
    assert offer["router"] == "192.0.2.1"
    assert offer["lease_time"] == 3600
    offered = str(offer["offered"])
    assert offered.startswith("192.0.2.") and 50 <= int(offered.rsplit(".", 1)[1]) <= 60
    assert proc.poll() is None


def test_dhcp_probe_with_no_server_prints_an_empty_list(netns: Lab) -> None:
    a, b = netns("a"), netns("b")
    link = netns.link(a, b, ["192.0.2.1/24"], [])
    assert probe(b, "dhcp", "probe", link.b_if, "--timeout", "1") == []


def test_ra_probe_lists_the_router_and_its_prefix(netns: Lab, tmp_path: Path) -> None:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["2001:db8:1::1/64"], [])
    srv.wait_ipv6_ready(link.a_if)
    cli.wait_ipv6_ready(link.b_if)
    proc = start_dnsmasq(
        netns, srv, tmp_path, f"--interface={link.a_if}", "--enable-ra",
        "--dhcp-range=2001:db8:1::,ra-only,64,1h",
    )  # fmt: skip
    time.sleep(1.0)  # RA has no socket to poll (TESTING.md §2); let dnsmasq settle
    assert proc.poll() is None, (tmp_path / "dnsmasq.log").read_text()
    adverts = probe(cli, "ra", "probe", link.b_if, "--timeout", "3")
    assert len(adverts) == 1, adverts
    [ra] = adverts
    assert ra["source_mac"] == link.a_mac
    assert str(ra["source"]).startswith("fe80::")
    assert "2001:db8:1::/64" in ra["prefixes"]
    assert ra["router_lifetime"] > 0
