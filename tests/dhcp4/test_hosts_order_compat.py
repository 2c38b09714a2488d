"""Which host line wins: dhcp-host lines, /etc/ethers (--read-ethers) and --dhcp-hostsfile
naming the same client, on the wire, lanctl against dnsmasq 2.90.

dnsmasq reads the dhcp-host lines, then /etc/ethers (merged into the dhcp-host lines as
tests/dhcp4/test_ethers_compat.py shows), then the hosts files, and searches the hosts
newest first: of two lines for one MAC (or one name) the last read wins, so a hosts-file
line wins over an ethers line and over a dhcp-host line -- except that a MAC pattern with
fewer `*` bytes wins over one with more, wherever it is.  A hosts-file line whose address
an earlier host already has is dropped ("duplicate dhcp-host IP address A at line N of
FILE").  Each case starts dnsmasq, then lanctl, with the same files, sends a DISCOVER from
the test MAC (no name) and from another MAC asking for "ethname", then a REQUEST for the
first offer, and compares the replies, lease lines and the file-reading log lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from lanctl.dhcp4.wire import MessageType
from tests.dhcp4.helpers import packet
from tests.dhcp4.netlab import wait_for
from tests.dhcp4.wireprobe import CLIENT_MAC, Probe, probe, shape
from tests.support.netns import Lab

M, OTHER = CLIENT_MAC, "02:00:00:00:09:09"
R12 = "dhcp-range=192.0.2.50,192.0.2.99,12h"


def hw(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", ""))


@dataclass(frozen=True)
class Case:
    name: str
    conf: tuple[str, ...]  # dhcp-host lines
    hosts: str  # the --dhcp-hostsfile
    ethers: str  # /etc/ethers ("": none)
    expect: tuple[str, str]  # what dnsmasq offers the test MAC and the other one
    named: str | None = None  # the name in the test MAC's lease (dnsmasq's)


CASES = [
    Case("hostsfile-beats-dhcp-host-address", (f"dhcp-host={M},192.0.2.53",),
         f"{M},192.0.2.52\n", "", ("192.0.2.52", "192.0.2.62")),
    Case("hostsfile-beats-dhcp-host-name", (f"dhcp-host={M},cfgname",),
         f"{M},hfname\n", "", ("192.0.2.63", "192.0.2.62"), "hfname"),
    Case("hostsfile-beats-ethers-merged-dhcp-host", (f"dhcp-host={M},cfgname",),
         f"{M},192.0.2.52\n", f"{M} 192.0.2.60\n", ("192.0.2.52", "192.0.2.62")),
    Case("hostsfile-name-beats-ethers-address", (),
         f"{M},hfname\n", f"{M} 192.0.2.60\n", ("192.0.2.63", "192.0.2.62"), "hfname"),
    Case("hostsfile-address-beats-ethers-name", (),
         f"{M},192.0.2.52\n", f"{M} ethname\n", ("192.0.2.52", "192.0.2.62")),
    Case("hostsfile-address-of-an-ethers-host-dropped", (),
         f"{OTHER},192.0.2.61\n", f"{M} 192.0.2.61\n", ("192.0.2.61", "192.0.2.62")),
    Case("hostsfile-address-of-a-dhcp-host-dropped", (f"dhcp-host={OTHER},192.0.2.61",),
         f"{M},192.0.2.61\n", "", ("192.0.2.63", "192.0.2.61")),
    Case("hostsfile-address-of-an-earlier-line-dropped", (),
         f"{OTHER},192.0.2.61\n{M},192.0.2.61\n", "", ("192.0.2.63", "192.0.2.61")),
    Case("last-dhcp-host-wins",
         tuple(f"dhcp-host={M},192.0.2.5{n},n{n}" for n in (3, 4, 5)),
         "", "", ("192.0.2.55", "192.0.2.62"), "n5"),
    Case("last-hostsfile-line-wins", (),
         "".join(f"{M},192.0.2.5{n}\n" for n in (3, 4, 5)), "", ("192.0.2.55", "192.0.2.62")),
    Case("ethers-host-beats-dhcp-host-with-two-macs", (f"dhcp-host={M},{OTHER},192.0.2.53,n1",),
         "", f"{M} 192.0.2.60\n", ("192.0.2.60", "192.0.2.53")),
    Case("an-exact-mac-beats-a-later-wildcard",
         (f"dhcp-host={M},192.0.2.20", "dhcp-host=02:00:00:00:01:*,192.0.2.21"),
         "", "", ("192.0.2.20", "192.0.2.62")),
    Case("fewer-wildcards-beat-a-later-line",
         ("dhcp-host=02:00:00:00:01:*,192.0.2.21", "dhcp-host=02:00:00:00:*:*,192.0.2.22"),
         "", "", ("192.0.2.21", "192.0.2.22")),
    Case("last-dhcp-host-by-name-wins",
         ("dhcp-host=ethname,192.0.2.65", "dhcp-host=ethname,192.0.2.66"),
         "", "", ("192.0.2.63", "192.0.2.66")),
]  # fmt: skip


def requests(case: Case) -> tuple[bytes, ...]:
    d, r = MessageType.DHCPDISCOVER, MessageType.DHCPREQUEST
    addr = bytes(int(x) for x in case.expect[0].split("."))
    return (
        packet(d, hw(M), xid=1, flags=0x8000),
        packet(d, hw(OTHER), xid=2, flags=0x8000, hostname="ethname"),
        packet(r, hw(M), xid=3, flags=0x8000, extra={54: bytes([192, 0, 2, 1]), 50: addr}),
    )


def file_log(p: Probe) -> list[str]:
    """The lines about reading /etc/ethers and the hosts file, paths made equal."""
    out = []
    for line in p.server.log.read_text().splitlines():
        m = re.search(r"((read|duplicate|ignoring|bad) .*(/etc/ethers|/hosts).*)$", line)
        if m:
            out.append(m.group(1).replace(str(p.work), "WORK"))
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_host_line_order_as_dnsmasq(case: Case, netns: Lab, tmp_path: Path) -> None:
    conf = (R12, "read-ethers", "dhcp-hostsfile={work}/hosts", *case.conf)
    etc = (("ethers", case.ethers),) if case.ethers else ()
    files = (("hosts", case.hosts),)
    reqs = requests(case)
    theirs = probe("dnsmasq", netns, tmp_path, conf, reqs, etc=etc, files=files)
    ours = probe("lanctl", netns, tmp_path, conf, reqs, etc=etc, files=files)
    offered = [str(rs[0].packet.yiaddr) for rs in theirs.replies[:2]]
    assert tuple(offered) == case.expect
    assert [[shape(r.packet) for r in rs] for rs in ours.replies] == [
        [shape(r.packet) for r in rs] for rs in theirs.replies
    ]
    want = [line.split(" ", 1)[1] for line in theirs.server.lease_lines()]
    assert want == [f"{M} {case.expect[0]} {case.named or '*'} *"]
    wait_for(lambda: len(ours.server.lease_lines()) >= 1, "lease line", log=ours.server.log)
    assert [line.split(" ", 1)[1] for line in ours.server.lease_lines()] == want
    assert file_log(ours) == file_log(theirs)
