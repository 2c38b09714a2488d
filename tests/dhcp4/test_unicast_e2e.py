"""Unicast replies to unconfigured clients survive the drop to `nobody` (CAP_NET_ADMIN kept).

The server runs as root with the default user (nobody), as dnsmasq does; udhcpc sends no
broadcast flag, so the OFFER must go to the offered address through an ARP entry the
server adds with SIOCSARP, which needs CAP_NET_ADMIN after the drop.  The same test runs
against dnsmasq 2.90 as the reference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lanctl.dhcp4.wire import MessageType, Opt, decode_packet
from tests.dhcp4.netlab import Sniffer, start_server, udhcpc_once, wait_for
from tests.support.netns import Lab

CLIENT_MAC = "02:00:00:00:01:02"


class DestSniffer(Sniffer):
    """netlab's Sniffer, read as (destination IP, yiaddr) of the server's OFFERs."""

    def offers(self) -> list[tuple[str, str]]:
        """(destination, yiaddr) of each OFFER."""
        out = []
        for dest, sport, dport, payload in list(self.frames):
            if (sport, dport) != (67, 68):
                continue
            pkt = decode_packet(payload)
            if pkt.options.get(Opt.MESSAGE_TYPE) == bytes([MessageType.DHCPOFFER]):
                out.append((dest, str(pkt.yiaddr)))
        return out


@pytest.mark.parametrize("kind", ["lanctl", "dnsmasq"])
def test_offer_is_unicast_after_dropping_to_nobody(netns: Lab, tmp_path: Path, kind: str) -> None:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], [])
    server = start_server(
        kind, srv, tmp_path, "dhcp-range=192.0.2.50,192.0.2.99,12h", without=("user=",)
    )
    if kind == "lanctl":  # the drop happened: the server runs as nobody
        status = Path(f"/proc/{server.proc.pid}/status").read_text()
        uid_line = next(x for x in status.splitlines() if x.startswith("Uid:"))
        assert uid_line.split()[1] != "0", uid_line
    sniffer = DestSniffer(cli)
    try:
        env = udhcpc_once(cli, link.b_if, tmp_path)  # no -B: no broadcast flag
        ip = env["ip"]
        offers = wait_for(sniffer.offers, "an OFFER seen by the client", 10, server.log)
    finally:
        sniffer.close()
    assert (ip, ip) in offers, offers
    assert ("255.255.255.255", ip) not in offers, offers
    neigh = srv.run(["ip", "neigh", "show", ip, "dev", link.a_if]).stdout
    assert CLIENT_MAC in neigh, neigh
    server.alive()
