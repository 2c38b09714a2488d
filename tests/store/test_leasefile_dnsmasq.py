"""Real dnsmasq 2.90 reads the lease files lanctl renders (needs root: network namespace).

dnsmasq loads `--dhcp-leasefile` at start-up and calls `--dhcp-script` with "old" for every
lease it kept; the script records its arguments and environment, and they must describe
exactly the leases we rendered.  The IA_PD line (a lanctl extension) is skipped by dnsmasq
without disturbing the lines around it, and the server DUID is kept.
"""

from __future__ import annotations

import time
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from pathlib import Path

import pytest

from lanctl.store.lease import Lease4, Lease6
from lanctl.store.leasefile import LeaseFile, hex_colon, render
from tests.support import require_tool
from tests.support.netns import Lab

pytestmark = pytest.mark.netns

DUID = bytes.fromhex("0003000102000000cc01")
SERVER_DUID = bytes.fromhex("000100013299b519020000000101")
LEASES = LeaseFile(
    v4=(
        Lease4(IPv4Address("192.0.2.52"), bytes.fromhex("02000000aa01"), 1,
               b"\x01\x02\x00\x00\x00\xaa\x01", "alpha", 1_900_000_000),
        Lease4(IPv4Address("192.0.2.60"), bytes.fromhex("020000bb0006"), 6, None, None, 0),
        Lease4(IPv4Address("192.0.2.50"), b"", 32, b"\xff\x00\x01", None, 1_900_000_001),
    ),
    server_duid=SERVER_DUID,
    v6=(
        Lease6(IPv6Address("2001:db8::171"), DUID, 5, "ta", None, 1_900_000_002),
        Lease6(IPv6Network("2001:db8:1::/48"), DUID, 6, "pd", None, 1_900_000_003),
        Lease6(IPv6Address("2001:db8::1b8"), DUID, 52225, "na", "echo1", 1_900_000_004),
    ),
)  # fmt: skip
SCRIPT = """#!/bin/sh
echo "$1|$2|$3|$4|$DNSMASQ_CLIENT_ID|$DNSMASQ_IAID|$DNSMASQ_LEASE_EXPIRES" >> "$0.out"
"""


def _expected() -> set[str]:
    rows = set()
    for x in LEASES.v4:
        hw = hex_colon(x.hwaddr)
        hw = hw if x.hwtype == 1 and x.hwaddr else f"{x.hwtype:02x}-{hw}"
        clid = hex_colon(x.client_id) if x.client_id else ""
        rows.add(f"old|{hw}|{x.address}|{x.hostname or ''}|{clid}||{x.expires}")
    for y in LEASES.v6:
        if y.kind != "pd":
            iaid = f"T{y.iaid}" if y.kind == "ta" else str(y.iaid)
            rows.add(f"old|{hex_colon(y.duid)}|{y.address}|{y.hostname or ''}||{iaid}|{y.expires}")
    return rows


def _wait_lines(path: Path, want: int, timeout: float = 15.0) -> set[str]:
    deadline = time.monotonic() + timeout
    lines: set[str] = set()
    while time.monotonic() < deadline:
        if path.exists():
            lines = set(path.read_text().splitlines())
            if len(lines) >= want:
                return lines
        time.sleep(0.05)
    return lines


def test_dnsmasq_loads_what_lanctl_renders(netns: Lab, tmp_path: Path) -> None:
    dnsmasq = require_tool("dnsmasq")
    srv, cli = netns("srv"), netns("cli")
    veth = netns.link(srv, cli, ["192.0.2.1/24", "2001:db8::1/64"], [])
    leasefile = tmp_path / "dnsmasq.leases"
    leasefile.write_text(render(LEASES))
    script = tmp_path / "script.sh"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    srv.popen(
        [
            dnsmasq, "-k", "--port=0", f"--interface={veth.a_if}", "--bind-interfaces",
            "--dhcp-range=192.0.2.50,192.0.2.60,1h",
            "--dhcp-range=2001:db8::100,2001:db8::1ff,64,1h",
            f"--dhcp-leasefile={leasefile}", f"--dhcp-script={script}", "--no-ping",
            "--pid-file=", "--user=root", "--group=root", "--log-facility=-",
        ]
    )  # fmt: skip
    expected = _expected()
    seen = _wait_lines(Path(f"{script}.out"), len(expected))
    assert seen == expected
    duid_line = f"duid {hex_colon(SERVER_DUID)}\n"
    assert duid_line in leasefile.read_text()  # dnsmasq kept our server DUID
