"""Several raw clients against one DHCP+DNS server (dnsmasq or `lanctl all`), for name tests.

`NameLab` starts `kind` in a server namespace (192.0.2.1/24) with DNS on port 53, joined to
a client namespace whose interface carries `cli_addrs` (so replies unicast to a renewing
client's ciaddr arrive).  `exchange(payload, to)` sends one request from 0.0.0.0:68 on the
client interface and returns the first reply with its xid; `dig(name)` asks the server's
DNS for the A records of `name`; `leases()` is the lease file without expiry times.
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass
from ipaddress import IPv4Address
from pathlib import Path

from lanctl.dhcp4.wire import MessageType, Packet, decode_packet
from tests.dhcp4.helpers import packet
from tests.dhcp4.netlab import Server, listening, start_server, wait_for
from tests.support import require_tool
from tests.support.netns import Lab, Namespace

SERVER = IPv4Address("192.0.2.1")
DNS_CONF = ("no-resolv", "no-hosts", "domain=example.test")


def hw(n: int) -> bytes:
    return bytes([0x02, 0, 0, 0, 0x0A, n])


@dataclass
class NameLab:
    kind: str
    srv: Namespace
    cli: Namespace
    cli_if: str
    server: Server

    def exchange(self, payload: bytes, to: str = "255.255.255.255") -> Packet | None:
        xid = int.from_bytes(payload[4:8], "big")
        sock = self.cli.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, self.cli_if.encode())
            sock.bind(("0.0.0.0", 68))
            sock.sendto(payload, (to, 67))
            deadline = time.monotonic() + 3
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    pkt = decode_packet(sock.recv(4096))
                except TimeoutError:
                    break
                if pkt.op == 2 and pkt.xid == xid:
                    return pkt
            return None
        finally:
            sock.close()

    def lease(self, n: int, addr: str, name: str | None, xid: int) -> Packet | None:
        """DISCOVER (ignored but for its effect) then REQUEST `addr` for client `n`."""
        opts = {54: SERVER.packed, 50: IPv4Address(addr).packed}
        d, r = MessageType.DHCPDISCOVER, MessageType.DHCPREQUEST
        self.exchange(packet(d, hw(n), xid=xid, flags=0x8000, hostname=name))
        return self.exchange(packet(r, hw(n), xid=xid + 1, flags=0x8000, hostname=name, extra=opts))

    def renew(self, n: int, addr: str, name: str | None, xid: int) -> Packet | None:
        """A RENEWING REQUEST (ciaddr, unicast to the server) from client `n`."""
        r = MessageType.DHCPREQUEST
        pkt = packet(r, hw(n), xid=xid, ciaddr=IPv4Address(addr), hostname=name)
        return self.exchange(pkt, str(SERVER))

    def dig(self, name: str) -> list[str]:
        argv = [require_tool("dig"), "@192.0.2.1", "+time=2", "+tries=1", "+short", name, "A"]
        out = self.cli.run(argv, check=False, timeout=20).stdout
        return sorted(x for x in out.split() if re.fullmatch(r"[\d.]+", x))

    def leases(self) -> list[str]:
        return sorted(line.split(" ", 1)[1] for line in self.server.lease_lines())

    def wait_leases(self, count: int) -> list[str]:
        wait_for(lambda: len(self.server.lease_lines()) >= count, "lease lines", 15)
        return self.leases()


def start(
    kind: str, lab: Lab, work: Path, conf: tuple[str, ...], cli_addrs: tuple[str, ...] = ()
) -> NameLab:
    srv, cli = lab(kind[:3]), lab("cli")
    link = lab.link(srv, cli, [f"{SERVER}/24"], list(cli_addrs))
    work.mkdir(exist_ok=True)
    lines = [x.replace("{work}", str(work)) for x in (*DNS_CONF, *conf)]
    server = start_server(kind, srv, work, *lines, command=("all",), port=53)
    wait_for(lambda: listening(srv, 67), f"{kind} DHCP on port 67", 15)  # DNS may come first
    return NameLab(kind, srv, cli, link.b_if, server)
