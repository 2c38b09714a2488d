"""A one-shot raw DHCP client for namespace tests: DISCOVER out of one interface, read OFFERs.

The socket is bound to 0.0.0.0:<client port> with SO_BINDTODEVICE inside the client
namespace (TESTING.md §7); the broadcast flag is set so replies reach an interface
without an address.  Returns the OFFERs with our xid seen before the deadline.
"""

from __future__ import annotations

import random
import socket
import time

from lanctl.dhcp4.wire import MessageType, Packet, decode_packet
from tests.dhcp4.helpers import packet
from tests.support.netns import Namespace


def discover(
    ns: Namespace,
    ifname: str,
    hw: bytes,
    *,
    wait: float = 3.0,
    all_offers: bool = False,
    server_port: int = 67,
    client_port: int = 68,
    extra: dict[int, bytes] | None = None,
) -> list[Packet]:
    """Broadcast one DISCOVER from `ifname`; the OFFERs within `wait` s.

    Returns at the first OFFER unless `all_offers` (then it waits the whole time).
    """
    sock = ns.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        sock.bind(("0.0.0.0", client_port))
        xid = random.Random(time.monotonic_ns()).getrandbits(32)
        payload = packet(MessageType.DHCPDISCOVER, hw, xid=xid, flags=0x8000, extra=extra)
        sock.sendto(payload, ("255.255.255.255", server_port))
        offers: list[Packet] = []
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(left)
            try:
                data = sock.recv(4096)
            except TimeoutError:
                break
            pkt = decode_packet(data)
            if pkt.op == 2 and pkt.xid == xid and pkt.message_type == MessageType.DHCPOFFER:
                offers.append(pkt)
                if not all_offers:
                    break
        return offers
    finally:
        sock.close()
