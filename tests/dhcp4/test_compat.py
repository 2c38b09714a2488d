"""Differential tests: the same configuration and client against dnsmasq 2.90 and lanctl.

For each case both servers run in turn in the same namespace pair with the same client
(udhcpc or dhclient), and we compare what the client received (address and options from
its hook environment), the lease-file line (all fields but the expiry time, which must be
about now + lease) and the shape of the DHCP log lines.  test_compat_wire.py does the same
with crafted requests, comparing the replies octet by octet.
"""

from __future__ import annotations

import re
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dhcp4.netlab import (
    DHCLIENT_APPLY,
    Server,
    dhclient_argv,
    dhclient_conf,
    event,
    start_server,
    udhcpc_once,
    wait_for,
    write_hook,
)
from tests.support import require_tool
from tests.support.netns import Lab, Namespace

MAC = "02:00:00:00:01:02"
UDHCPC_KEYS = (
    "ip",
    "subnet",
    "router",
    "dns",
    "domain",
    "lease",
    "serverid",
    "broadcast",
    "hostname",
    "mtu",
    "ntpsrv",
)
DHCLIENT_KEYS = (
    "new_ip_address", "new_subnet_mask", "new_routers", "new_domain_name_servers",
    "new_domain_name", "new_dhcp_lease_time", "new_dhcp_server_identifier",
    "new_broadcast_address", "new_ntp_servers", "new_host_name",
)  # fmt: skip


@dataclass(frozen=True)
class Case:
    name: str
    conf: tuple[str, ...]
    client: str = "udhcpc"
    args: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()  # written to the work directory; "{work}" in conf
    keys: tuple[str, ...] = ()  # more udhcpc hook variables to compare


CASES = [
    Case("dynamic-hash", ("dhcp-range=192.0.2.50,192.0.2.99,12h",)),
    Case("small-range-1h", ("dhcp-range=192.0.2.10,192.0.2.12,255.255.255.0,1h",)),
    Case(
        "reservation-with-name",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", f"dhcp-host={MAC},192.0.2.20,fixedbox"),
    ),
    Case(
        "options-and-domain",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,2h",
            "dhcp-option=option:router,192.0.2.254",
            "dhcp-option=option:dns-server,192.0.2.53,192.0.2.54",
            "domain=example.test",
        ),
        args=("-x", "hostname:optbox"),
    ),
    Case(
        "tagged-option",
        (
            "dhcp-range=set:pool,192.0.2.50,192.0.2.99,12h",
            "dhcp-option=option:router,192.0.2.250",
            "dhcp-option=tag:pool,option:router,192.0.2.251",
        ),
    ),
    Case("infinite-range", ("dhcp-range=192.0.2.50,192.0.2.99,infinite",)),
    Case(
        "netmask-broadcast-given",
        ("dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,192.0.2.255,3h",),
    ),
    Case(
        "negated-tag-and-force",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-option=tag:!known,option:router,192.0.2.252",
            "dhcp-option-force=option:mtu,1400",
            "dhcp-option=option:ntp-server,192.0.2.123",
        ),
    ),
    Case(
        "name-only-reservation",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-host=namebox,192.0.2.40"),
        args=("-x", "hostname:namebox"),
    ),
    Case(
        "client-id-reservation",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", f"dhcp-host=id:01:{MAC},192.0.2.41,cidbox"),
    ),
    Case("sequential", ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-sequential-ip")),
    Case("requested-address", ("dhcp-range=192.0.2.50,192.0.2.99,12h",), args=("-r", "192.0.2.77")),
    Case("ignore-clid", ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-ignore-clid")),
    Case(
        "hostsfile",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-hostsfile={work}/hosts.dhcp"),
        files=(("hosts.dhcp", f"# reserved\n{MAC},192.0.2.25,filebox\n"),),
    ),
    Case(
        "optsfile",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-optsfile={work}/opts"),
        files=(("opts", "option:router,192.0.2.253\n# comment\noption:mtu,1300\n"),),
    ),
    Case(
        "dhclient-options",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-option=option:dns-server,192.0.2.1",
            "dhcp-option=option:ntp-server,192.0.2.123",
            "domain=example.test",
        ),
        client="dhclient",
    ),
    Case(
        "dhclient-reservation-infinite",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", f"dhcp-host={MAC},192.0.2.30,dhfixed,infinite"),
        client="dhclient",
    ),
    Case(
        "vendorclass-tag",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-vendorclass=set:vc,vendor-1",
            "dhcp-option=tag:vc,option:router,192.0.2.240",
            "dhcp-option=tag:!vc,option:ntp-server,192.0.2.123",
        ),
        args=("-V", "lanctl-vendor-1.0"),
    ),
    Case(
        "dhcp-mac-wildcard",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-mac=set:lab,02:00:00:*:*:*",
            "dhcp-mac=set:other,0a:*:*:*:*:*",
            "dhcp-option=tag:lab,option:router,192.0.2.241",
            "dhcp-option=tag:other,option:mtu,1300",
        ),
    ),
    Case(
        "ignore-unknown-serves-known",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-ignore=tag:!known",
            f"dhcp-host={MAC},192.0.2.21,okbox",
        ),
    ),
    Case(
        "userclass-and-match",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-userclass=set:acct,accounts",
            "dhcp-match=set:vc,option:vendor-class",
            "dhcp-option=tag:acct,option:router,192.0.2.242",
            "dhcp-option=tag:vc,option:ntp-server,192.0.2.124",
        ),
        args=("-x", "0x4d:086163636f756e7473"),
    ),
    Case(
        "name-match-ignore-names",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-name-match=set:bad,evil*",
            "dhcp-ignore-names=tag:bad",
            "dhcp-option=tag:bad,option:router,192.0.2.243",
        ),
        args=("-x", "hostname:evilbox"),
    ),
    Case("generate-names", ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-generate-names")),
    Case(
        "class-tags-filter-dhcp-host",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-vendorclass=set:vc,vendor-1",
            "dhcp-mac=set:lab,02:00:00:*:*:*",
            f"dhcp-host=tag:vc,tag:lab,{MAC},192.0.2.22,classbox",
        ),
        args=("-V", "lanctl-vendor-1.0"),
    ),
    Case(
        "name-match-filters-dhcp-host",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-name-match=set:n,tagme",
            f"dhcp-host=tag:n,{MAC},192.0.2.23",
        ),
        args=("-x", "hostname:tagme"),
    ),
    Case(
        "known-othernet",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            f"dhcp-host={MAC},198.51.100.20,farbox",
            "dhcp-option=tag:known-othernet,option:router,192.0.2.244",
            "dhcp-option=tag:known,option:ntp-server,192.0.2.125",
        ),
    ),
    Case(
        "vendorclass-enterprise-is-v6-only",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-vendorclass=set:vc,enterprise:311,vendor-1",
            "dhcp-option=tag:vc,option:router,192.0.2.240",
        ),
        args=("-V", "lanctl-vendor-1.0"),
    ),
    Case(
        "shared-network",
        (
            "dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0,1h",
            "shared-network=192.0.2.1,198.51.100.1",
            "dhcp-option=option:router,198.51.100.1",
        ),
    ),
    Case(
        "boot-names-as-options",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-boot=pxe.0,bootsrv,192.0.2.7"),
        args=("-O", "66", "-O", "67"),
        keys=("siaddr", "sname", "boot_file", "tftp", "bootfile"),
    ),
    Case(
        "dhcp-no-override",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-boot=pxe.0,bootsrv,192.0.2.7",
            "dhcp-no-override",
        ),
        args=("-O", "66", "-O", "67"),
        keys=("siaddr", "sname", "boot_file", "tftp", "bootfile"),
    ),
    Case(
        "option-66-67-to-header",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-option=66,tftpsrv",
            "dhcp-option=67,file.bin",
        ),
        keys=("siaddr", "sname", "boot_file", "tftp", "bootfile"),
    ),
    Case("reply-delay", ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-reply-delay=1")),
    Case(
        "fqdn-option-81",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", "domain=example.test"),
        args=("-F", "fqbox"),
    ),
    Case(
        "fqdn-client-update",
        ("dhcp-range=192.0.2.50,192.0.2.99,12h", "domain=example.test", "dhcp-client-update"),
        args=("-F", "fqbox.example.test"),
    ),
    Case(
        "encap-vendor-vi-encap",
        (
            "dhcp-range=192.0.2.50,192.0.2.99,12h",
            "dhcp-option=vendor:PXEClient,1,0.0.0.0",
            "dhcp-option=vendor:Other,2,5",
            "dhcp-option=encap:175,190,iscsi0",
            "dhcp-option=vi-encap:2,10,text",
        ),
        args=("-V", "PXEClient:Arch:00000", "-O", "43", "-O", "125", "-O", "175"),
        keys=("opt43", "opt60", "opt125", "opt175"),
    ),
]


@dataclass
class Outcome:
    received: dict[str, str]
    lease_fields: list[str]
    expiry: int
    log_lines: list[str]
    started: float


def _log_lines(server: Server) -> list[str]:
    out = []
    for line in server.log.read_text().splitlines():
        m = re.search(r"(DHCP(DISCOVER|OFFER|REQUEST|ACK)\(.*)$", line)
        if m:
            out.append(m.group(1))
    return out


def run_client(case: Case, cli: Namespace, ifname: str, work: Path) -> dict[str, str]:
    if case.client == "udhcpc":
        env = udhcpc_once(cli, ifname, work, *case.args)
        return {k: env.get(k, "").strip() for k in (*UDHCPC_KEYS, *case.keys)}
    hook, events = write_hook(work, "dhclient", DHCLIENT_APPLY)
    proc = cli.popen(dhclient_argv(work, ifname, hook, dhclient_conf(work, None)))
    env = wait_for(lambda: event(events, ("BOUND",)), "dhclient BOUND")
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)
    return {k: env.get(k, "") for k in DHCLIENT_KEYS}


def run(kind: str, case: Case, lab: Lab, tmp: Path) -> Outcome:
    srv, cli = lab(kind[:3]), lab("cli")
    link = lab.link(srv, cli, ["192.0.2.1/24"], [], b_mac=MAC)
    work = tmp / kind
    work.mkdir()
    started = time.time()
    for name, text in case.files:
        (work / name).write_text(text)
    conf = [line.replace("{work}", str(work)) for line in case.conf]
    server = start_server(kind, srv, work, *conf)
    received = run_client(case, cli, link.b_if, work)
    ip = received.get("ip") or received["new_ip_address"]
    line = wait_for(
        lambda: next((x for x in server.lease_lines() if f" {ip} " in x), None), "lease line"
    )
    server.alive()
    fields = line.split()
    lines = [x.replace(link.a_if, "IF") for x in _log_lines(server)]
    return Outcome(received, fields[1:], int(fields[0]), lines, started)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_as_dnsmasq(case: Case, netns: Lab, tmp_path: Path) -> None:
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq is not installed")
    require_tool("udhcpc" if case.client == "udhcpc" else "dhclient")
    theirs = run("dnsmasq", case, netns, tmp_path)
    ours = run("lanctl", case, netns, tmp_path)
    assert ours.received == theirs.received
    assert ours.lease_fields == theirs.lease_fields
    if theirs.expiry == 0:
        assert ours.expiry == 0
    else:
        lease = theirs.expiry - int(theirs.started)
        assert abs((ours.expiry - int(ours.started)) - lease) <= 3
    assert ours.log_lines == theirs.log_lines


def _refused(kind: str, lab: Lab, tmp: Path) -> list[str]:
    """A client unknown to a server with dhcp-ignore=tag:!known: no lease, the log lines."""
    srv, cli = lab(kind[:3]), lab("cli")
    link = lab.link(srv, cli, ["192.0.2.1/24"], [], b_mac=MAC)
    work = tmp / kind
    work.mkdir()
    conf = ("dhcp-range=192.0.2.50,192.0.2.99,12h", "dhcp-ignore=tag:!known")
    server = start_server(kind, srv, work, *conf, "dhcp-host=02:00:00:00:09:09,192.0.2.21")
    hook, events = write_hook(work, "udhcpc", "")
    tool = require_tool("udhcpc")
    argv = [tool, "-f", "-q", "-n", "-i", link.b_if, "-s", str(hook), "-t", "2", "-T", "1"]
    res = cli.run(argv, check=False, timeout=60)
    assert res.returncode != 0 and event(events, ("bound",)) is None
    wait_for(lambda: "ignored" in server.log.read_text(), f"{kind} logs the refusal")
    server.alive()
    assert server.lease_lines() == []
    return [x.replace(link.a_if, "IF") for x in _log_lines(server)]


def test_dhcp_ignore_refuses_an_unknown_client_like_dnsmasq(netns: Lab, tmp_path: Path) -> None:
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq is not installed")
    theirs = _refused("dnsmasq", netns, tmp_path)
    ours = _refused("lanctl", netns, tmp_path)
    assert theirs and set(theirs) == {f"DHCPDISCOVER(IF) {MAC} ignored"}
    assert set(ours) == set(theirs)
