"""Socket helpers of the TFTP adapter: interface filter, PKTINFO parsing, transfer ports."""

from __future__ import annotations

import random
import socket
import struct

from lanctl.config.model import CoreCfg, TftpCfg
from lanctl.net.interfaces import IP_PKTINFO, pktinfo
from lanctl.tftp.sockets import (
    interface_allowed,
    interface_mtu,
    peer_socket,
    transfer_socket,
)


def test_interface_selection() -> None:
    core = CoreCfg()
    assert interface_allowed("eth0", TftpCfg(), core)
    assert not interface_allowed("eth0", TftpCfg(enable_tftp_interfaces=("eth1",)), core)
    assert interface_allowed("eth1", TftpCfg(enable_tftp_interfaces=("eth*",)), core)
    only = CoreCfg(interface=("eth1",))
    assert not interface_allowed("eth0", TftpCfg(), only)
    assert interface_allowed("eth1", TftpCfg(), only)
    assert not interface_allowed("eth2", TftpCfg(), CoreCfg(except_interface=("eth2",)))
    assert not interface_allowed(None, TftpCfg(enable_tftp_interfaces=("eth1",)), core)


def test_pktinfo_parsing() -> None:
    v4 = struct.pack("=i4s4s", 3, socket.inet_aton("192.0.2.1"), socket.inet_aton("192.0.2.255"))
    assert pktinfo([(socket.IPPROTO_IP, IP_PKTINFO, v4)]) == (3, "192.0.2.1")
    v6 = struct.pack("=16sI", socket.inet_pton(socket.AF_INET6, "2001:db8::1"), 7)
    assert pktinfo([(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, v6)]) == (7, "2001:db8::1")
    assert pktinfo([]) == (0, None)
    assert pktinfo([(socket.IPPROTO_IP, IP_PKTINFO, b"\0")]) == (0, None)  # truncated


def test_transfer_socket_uses_the_port_range() -> None:
    socks = [
        transfer_socket(socket.AF_INET, "127.0.0.1", 0, (42100, 42102), random.Random(1))
        for _ in range(3)
    ]
    try:
        ports = sorted(s.getsockname()[1] for s in socks)
        assert ports == [42100, 42101, 42102]  # all three, then the range is exhausted
        try:
            extra = transfer_socket(
                socket.AF_INET, "127.0.0.1", 0, (42100, 42102), random.Random(1)
            )
        except OSError:
            pass
        else:
            extra.close()
            raise AssertionError("a fourth socket in a three-port range")
    finally:
        for s in socks:
            s.close()


def test_peer_socket_takes_the_clients_datagrams_and_the_port_stays_taken() -> None:
    sock = transfer_socket(socket.AF_INET, "127.0.0.1", 0, (42110, 42119), random.Random(2))
    client, stranger, other = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in "abc")
    twin = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        client.bind(("127.0.0.1", 0))
        stranger.bind(("127.0.0.1", 0))
        twin.close()
        twin = peer_socket(sock, client.getsockname())
        port = sock.getsockname()
        assert twin.getsockname() == port
        for n in range(3):
            client.sendto(b"client%d" % n, port)
            stranger.sendto(b"stranger%d" % n, port)
        twin.settimeout(5)
        sock.settimeout(5)
        assert [twin.recv(100) for _ in range(3)] == [b"client0", b"client1", b"client2"]
        got = [sock.recvfrom(100) for _ in range(3)]
        assert [d for d, _ in got] == [b"stranger0", b"stranger1", b"stranger2"]
        assert {a for _, a in got} == {stranger.getsockname()}
        twin.send(b"data")
        client.settimeout(5)
        assert client.recvfrom(100) == (b"data", port)  # replies leave from the same port
        try:
            other.bind(port)  # without SO_REUSEADDR the port is still taken
        except OSError:
            pass
        else:
            raise AssertionError("a third socket bound the transfer's port")
    finally:
        for s in (sock, twin, client, stranger, other):
            s.close()


def test_interface_mtu() -> None:
    assert interface_mtu("lo") == 65536
    assert interface_mtu("no-such-if0") is None
