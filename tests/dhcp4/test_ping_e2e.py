"""The ping check on the wire: an address already in use is not offered (lanctl vs dnsmasq).

The client namespace's interface already holds 192.0.2.50 (a host squatting on the range's
first address), so it answers the server's ICMP echo.  With --dhcp-sequential-ip the first
candidate is .50: with the default ping check the OFFER is .51 (dnsmasq and lanctl alike);
with --no-ping lanctl offers .50, which shows the check is what moved it.  The DISCOVER is
answered once the pings resolve (up to ~3 s per silent address), without a retransmission.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dhcp4.netlab import start_server
from tests.dhcp4.rawclient import discover
from tests.support.netns import Lab

HW = bytes.fromhex("020000000a01")
LINES = ("dhcp-range=192.0.2.50,192.0.2.60,1h", "dhcp-sequential-ip")


@pytest.mark.parametrize(
    ("kind", "ping", "expected"),
    [
        ("dnsmasq", True, "192.0.2.51"),
        ("lanctl", True, "192.0.2.51"),
        ("lanctl", False, "192.0.2.50"),
    ],
)
def test_address_answering_ping_is_skipped(
    netns: Lab, tmp_path: Path, kind: str, ping: bool, expected: str
) -> None:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], ["192.0.2.50/24"])
    without = ("no-ping",) if ping else ()
    server = start_server(kind, srv, tmp_path, *LINES, without=without)
    offers = discover(cli, link.b_if, HW, wait=8.0)
    assert [str(o.yiaddr) for o in offers][:1] == [expected], server.log.read_text()[-2000:]
    server.alive()
