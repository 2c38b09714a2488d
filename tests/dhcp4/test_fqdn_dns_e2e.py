"""--dhcp-fqdn on the wire: `lanctl all` and dnsmasq 2.90 with the same configuration.

Server 192.0.2.1/24 in namespace srv runs DHCP and DNS; udhcpc in namespace cli takes a
lease sending host name "fqbox"; `dig` from cli then asks for `fqbox.example.test`, for the
bare `fqbox` and for the PTR of the lease's address.  Without --dhcp-fqdn both names
resolve; with it only the qualified one (dnsmasq lease_update_dns skips the bare name).
Both servers run each case, so the expected answers are dnsmasq's, not assumptions.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dhcp4.netlab import Server, start_server, udhcpc_once
from tests.support import require_tool
from tests.support.netns import Lab, Namespace

RANGE = "dhcp-range=192.0.2.50,192.0.2.99,12h"
CONF = (RANGE, "domain=example.test", "no-resolv", "no-hosts")


@dataclass
class Setup:
    srv: Namespace
    cli: Namespace
    cli_if: str
    work: Path


@pytest.fixture
def lab(netns: Lab, tmp_path: Path) -> Iterator[Setup]:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], [])
    yield Setup(srv, cli, link.b_if, tmp_path)


def dig(ns: Namespace, *args: str) -> tuple[str, list[str]]:
    """(status, answer lines 'name ttl class type value' without the TTL) from dig in `ns`."""
    argv = [require_tool("dig"), "@192.0.2.1", "+time=2", "+tries=1", "+noall", "+comments"]
    out = ns.run([*argv, "+answer", *args], check=False, timeout=20).stdout
    status = re.search(r"status: (\w+)", out)
    answers = []
    for line in out.splitlines():
        if line and line[0] != ";":
            name, _ttl, *rest = line.split()
            answers.append(" ".join([name, *rest]))
    return (status.group(1) if status else "no reply"), answers


def poll(ns: Namespace, *args: str) -> tuple[str, list[str]]:
    """Dig until an answer arrives (the DNS side polls the lease store; at most ~15 s)."""
    deadline = time.monotonic() + 15
    result = dig(ns, *args)
    while not result[1] and time.monotonic() < deadline:
        time.sleep(0.2)
        result = dig(ns, *args)
    return result


def run_case(lab: Setup, kind: str, *extra: str) -> tuple[Server, str]:
    server = start_server(kind, lab.srv, lab.work, *CONF, *extra, command=("all",), port=53)
    env = udhcpc_once(lab.cli, lab.cli_if, lab.work, "-x", "hostname:fqbox")
    return server, env["ip"]


@pytest.mark.parametrize("kind", ["lanctl", "dnsmasq"])
def test_dhcp_fqdn_publishes_only_the_qualified_name(lab: Setup, kind: str) -> None:
    server, ip = run_case(lab, kind, "dhcp-fqdn")
    assert poll(lab.cli, "fqbox.example.test") == (
        "NOERROR",
        [f"fqbox.example.test. IN A {ip}"],
    )
    status, answers = dig(lab.cli, "fqbox")
    assert answers == [] and status == "REFUSED"  # not a DHCP name; no upstream
    assert dig(lab.cli, "-x", ip)[1] == [
        f"{'.'.join(reversed(ip.split('.')))}.in-addr.arpa. IN PTR fqbox.example.test."
    ]
    server.alive()


@pytest.mark.parametrize("kind", ["lanctl", "dnsmasq"])
def test_without_dhcp_fqdn_the_bare_name_resolves_too(lab: Setup, kind: str) -> None:
    server, ip = run_case(lab, kind)
    assert poll(lab.cli, "fqbox.example.test")[1] == [f"fqbox.example.test. IN A {ip}"]
    assert dig(lab.cli, "fqbox") == ("NOERROR", [f"fqbox. IN A {ip}"])
    server.alive()
