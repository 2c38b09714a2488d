"""The DHCPv4 server's UDP socket: one wildcard socket with IP_PKTINFO (dnsmasq dhcp.c).

SO_REUSEPORT/SO_REUSEADDR only with --bind-interfaces/--bind-dynamic, SO_BINDTODEVICE when
--bind-interfaces serves one interface, SO_BROADCAST for replies to unconfigured clients,
and a large receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF) to absorb boot storms.
The port is 67, or the first of --dhcp-alternate-port.
"""

from __future__ import annotations

import socket
import struct
from typing import Final

from lanctl.errors import NetworkError

IP_PKTINFO: Final = 8  # Linux value; absent from Python 3.11's socket module
PKTINFO: Final = struct.Struct("I4s4s")
IFINDEX: Final = struct.Struct("I")  # the first field of in_pktinfo
MAX_IN: Final = 16384  # dnsmasq DHCP_PACKET_MAX
SO_RCVBUFFORCE: Final = 33  # Linux
RCVBUF: Final = 4 << 20


def open_socket(port: int = 67, device: str | None = None, share: bool = True) -> socket.socket:
    """The wildcard DHCP socket; `device`: SO_BINDTODEVICE (--bind-interfaces, one interface).

    `share` (dnsmasq: only with --bind-interfaces/--bind-dynamic) lets several instances
    bind the port, each to its own device; otherwise a second server fails to bind.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        if share:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if device is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        try:  # absorb bursts (many clients booting at once); FORCE needs CAP_NET_ADMIN
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        sock.bind(("0.0.0.0", port))
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise NetworkError(f"failed to bind DHCP server socket: {exc.strerror}") from exc
    return sock
