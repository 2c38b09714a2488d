"""Option 12 in an OFFER (no option 81) against dnsmasq 2.90, packet by packet.

dnsmasq names the client in an OFFER with the name of a dhcp-host found by MAC, unless the
client's option 12 carries another name (any case counts as the same); a dhcp-host found
only by the client's name gives no name in the OFFER.  Both servers get the same DISCOVERs
(tests/dhcp4/wireprobe.py) and their replies must be equal.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lanctl.dhcp4.wire import MessageType
from tests.dhcp4.helpers import packet
from tests.dhcp4.wireprobe import CLIENT_MAC, probe, shape
from tests.support.netns import Lab

HW = bytes.fromhex(CLIENT_MAC.replace(":", ""))
D = MessageType.DHCPDISCOVER
R12 = "dhcp-range=192.0.2.50,192.0.2.99,12h"
HOSTS = [
    f"dhcp-host={CLIENT_MAC},cfgname",
    f"dhcp-host={CLIENT_MAC},192.0.2.64,cfgname",
    "dhcp-host=cfgname,192.0.2.65",
]


@pytest.mark.parametrize("host", HOSTS)
def test_offer_hostname_as_dnsmasq(netns: Lab, tmp_path: Path, host: str) -> None:
    requests = (
        packet(D, HW, xid=1, flags=0x8000),
        packet(D, HW, xid=2, flags=0x8000, hostname="x"),
        packet(D, HW, xid=3, flags=0x8000, hostname="CFGNAME"),
    )
    theirs = probe("dnsmasq", netns, tmp_path, (R12, host), requests)
    ours = probe("lanctl", netns, tmp_path, (R12, host), requests)
    assert all(len(rs) == 1 for rs in theirs.replies)
    assert [[shape(r.packet) for r in rs] for rs in ours.replies] == [
        [shape(r.packet) for r in rs] for rs in theirs.replies
    ]
    named = [12 in rs[0].packet.options for rs in theirs.replies]
    assert named == ([True, False, True] if CLIENT_MAC in host else [False, False, False])
