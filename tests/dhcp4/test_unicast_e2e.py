"""Unicast replies to unconfigured clients survive the drop to `nobody` (CAP_NET_ADMIN kept).

The server runs as root with the default user (nobody), as dnsmasq does; udhcpc sends no
broadcast flag, so the OFFER must go to the offered address through an ARP entry the
server adds with SIOCSARP, which needs CAP_NET_ADMIN after the drop.  The same test runs
against dnsmasq 2.90 as the reference.
"""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

import pytest

from lanctl.dhcp4.wire import MessageType, Opt, decode_packet
from tests.dhcp4.netlab import start_server, udhcpc_once, wait_for
from tests.support.netns import Lab, Namespace

CLIENT_MAC = "02:00:00:00:01:02"


class DestSniffer:
    """(destination IP, DHCP payload) of every server -> client frame seen in `ns`."""

    def __init__(self, ns: Namespace) -> None:
        self.sock = ns.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.sock.settimeout(0.2)
        self.seen: list[tuple[str, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, meta = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            ihl = (frame[0] & 0x0F) * 4
            if meta[2] == socket.PACKET_OUTGOING or len(frame) < ihl + 8 or frame[9] != 17:
                continue
            sport, dport = struct.unpack_from("!HH", frame, ihl)
            if (sport, dport) == (67, 68):
                self.seen.append((socket.inet_ntoa(frame[16:20]), frame[ihl + 8 :]))

    def offers(self) -> list[tuple[str, str]]:
        """(destination, yiaddr) of each OFFER."""
        out = []
        for dest, payload in list(self.seen):
            pkt = decode_packet(payload)
            if pkt.options.get(Opt.MESSAGE_TYPE) == bytes([MessageType.DHCPOFFER]):
                out.append((dest, str(pkt.yiaddr)))
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


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
