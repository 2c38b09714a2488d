"""--read-ethers against dnsmasq 2.90 on the wire: warnings, and ethers lines merged into
--dhcp-host lines (dnsmasq dhcp_read_ethers).

dnsmasq does not add an ethers line as a host of its own when a --dhcp-host already has its
address (`MAC a.b.c.d`) or its name (`MAC name`): that --dhcp-host takes the ethers MAC
instead.  Otherwise, a --dhcp-host for exactly that one MAC takes the ethers address or
name (the ethers value wins).  A second ethers line with the same name or address is
ignored with a warning.  --dhcp-hostsfile lines are not merged into.  Each case starts
dnsmasq, then lanctl, with the same config and /etc/ethers (tests/dhcp4/wireprobe.py),
sends the same DISCOVER and REQUEST, and compares replies, lease lines and log lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dhcp4.helpers import packet
from tests.dhcp4.netlab import wait_for
from tests.dhcp4.wireprobe import CLIENT_MAC, Probe, probe, shape
from tests.support.netns import Lab

R12 = "dhcp-range=192.0.2.50,192.0.2.99,12h"
HW = bytes.fromhex(CLIENT_MAC.replace(":", ""))
OTHER = "02:00:00:00:09:09"


def discover_then_request(addr: str) -> tuple[bytes, ...]:
    """DISCOVER, then REQUEST for `addr` (what the case expects dnsmasq to offer)."""
    from lanctl.dhcp4.wire import MessageType

    opts = {54: bytes([192, 0, 2, 1]), 50: bytes(int(x) for x in addr.split("."))}
    return (
        packet(MessageType.DHCPDISCOVER, HW, xid=1, flags=0x8000),
        packet(MessageType.DHCPREQUEST, HW, xid=2, flags=0x8000, extra=opts),
    )


@dataclass(frozen=True)
class Case:
    name: str
    conf: tuple[str, ...]
    ethers: str
    expect: str  # the address dnsmasq offers (checked, then requested)
    files: tuple[tuple[str, str], ...] = ()  # files in the work directory ({work})


CASES = [
    Case(  # the dhcp-host for this MAC takes the ethers address; its name stays
        "mac-match-address-wins",
        (R12, f"dhcp-host={CLIENT_MAC},192.0.2.50,cfgname"),
        f"{CLIENT_MAC} 192.0.2.60\n",
        "192.0.2.60",
    ),
    Case(  # ... and the ethers name
        "mac-match-name-wins",
        (R12, f"dhcp-host={CLIENT_MAC},192.0.2.50,cfgname"),
        f"{CLIENT_MAC} EthName\n",
        "192.0.2.50",
    ),
    Case(  # the dhcp-host holding the address takes the ethers MAC (instead of its own)
        "address-match-takes-the-mac",
        (R12, f"dhcp-host={OTHER},192.0.2.61,cfgname"),
        f"{CLIENT_MAC} 192.0.2.61\n",
        "192.0.2.61",
    ),
    Case(  # the dhcp-host with that name takes the MAC, so its address goes to the client
        "name-match-takes-the-mac",
        (R12, "dhcp-host=cfgname,192.0.2.62"),
        f"{CLIENT_MAC} cfgname\n",
        "192.0.2.62",
    ),
    Case(  # a --dhcp-hostsfile line is not merged into: it wins over the ethers line
        "hostsfile-line-not-merged",
        (R12, "dhcp-hostsfile={work}/hosts"),
        f"{CLIENT_MAC} 192.0.2.60\n",
        "192.0.2.50",
        files=(("hosts", f"{CLIENT_MAC},192.0.2.50,cfgname\n"),),
    ),
    Case(  # warnings: bad MAC, lone MAC, leading blank, '#' is not a comment mid-line,
        # a bad address, a duplicate name; the last good line still counts
        "warnings",
        (R12,),
        (
            "zz:00:00:00:01:02 x\n"
            f"{CLIENT_MAC}\n"
            f" {OTHER} y\n"
            f"{OTHER} 192.0.2.70 # comment\n"
            "02:00:00:00:09:0a 192.0.2.999\n"
            "02:00:00:00:09:0b dup\n"
            "02:00:00:00:09:0c dup\n"
            "+nis\n"
            f"{CLIENT_MAC} 192.0.2.63\n"
        ),
        "192.0.2.63",
    ),
]


def _ethers_log(p: Probe) -> list[str]:
    out = []
    for line in p.server.log.read_text().splitlines():
        m = re.search(r"((bad|ignoring|read) .*/etc/ethers.*)$", line)
        if m:
            out.append(m.group(1))
    return out


def _dhcp_log(p: Probe) -> list[str]:
    out = []
    for line in p.server.log.read_text().splitlines():
        m = re.search(r"(DHCP[A-Z]+\(.*)$", line)
        if m:
            out.append(re.sub(r"\(\w+\)", "(IF)", m.group(1), count=1))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ethers_as_dnsmasq(case: Case, netns: Lab, tmp_path: Path) -> None:
    conf = (*case.conf, "read-ethers")
    requests = discover_then_request(case.expect)
    etc = (("ethers", case.ethers),)
    theirs = probe("dnsmasq", netns, tmp_path, conf, requests, etc=etc, files=case.files)
    ours = probe("lanctl", netns, tmp_path, conf, requests, etc=etc, files=case.files)
    assert [str(r.packet.yiaddr) for rs in theirs.replies for r in rs] == [case.expect] * 2
    assert [[shape(r.packet) for r in rs] for rs in ours.replies] == [
        [shape(r.packet) for r in rs] for rs in theirs.replies
    ]
    want = [line.split(" ", 1)[1] for line in theirs.server.lease_lines()]
    wait_for(lambda: len(ours.server.lease_lines()) >= len(want), "lease lines")
    assert [line.split(" ", 1)[1] for line in ours.server.lease_lines()] == want
    assert _ethers_log(ours) == _ethers_log(theirs)
    expected = _dhcp_log(theirs)
    wait_for(lambda: len(_dhcp_log(ours)) >= len(expected), "log lines", log=ours.server.log)
    assert _dhcp_log(ours) == expected
