"""A small raw TFTP client for tests (any namespace: pass a socket factory)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lanctl.tftp.wire import (
    Data,
    Error,
    OAck,
    Opcode,
    Request,
    decode_packet,
    encode_ack,
    encode_error,
    encode_request,
)


@dataclass
class Result:
    data: bytes = b""
    oack: tuple[tuple[str, str], ...] | None = None
    error: Error | None = None
    server_ports: set[int] = field(default_factory=set)


def fetch(
    host: str,
    port: int,
    name: str,
    options: tuple[tuple[str, str], ...] = (),
    *,
    mode: str = "octet",
    make_socket: Callable[[], socket.socket] | None = None,
    first_reply_only: bool = False,
    deadline: float = 30.0,
) -> Result:
    """Read a file (ACKing each burst's last block); bounded by packet count and a deadline."""
    sock = make_socket() if make_socket else socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    result = Result()
    blksize = int(dict(options).get("blksize", "512"))
    expected = 1
    end = time.monotonic() + deadline
    tid: tuple[str, int] | None = None
    try:
        sock.settimeout(2.0)
        request = encode_request(Request(Opcode.RRQ, name, mode, options))
        sock.sendto(request, (host, port))
        last_ack = request
        while time.monotonic() < end:
            try:
                raw, addr = sock.recvfrom(70000)
            except TimeoutError:
                sock.sendto(last_ack, tid or (host, port))  # re-send our last packet
                continue
            if tid is None:
                tid = addr
            elif addr != tid:
                continue
            result.server_ports.add(addr[1])
            packet = decode_packet(raw)
            if isinstance(packet, Error):
                result.error = packet
                return result
            if first_reply_only:
                sock.sendto(encode_error(0, "test done"), addr)
                if isinstance(packet, OAck):
                    result.oack = packet.options
                return result
            if isinstance(packet, OAck):
                result.oack = packet.options
                blksize = int(dict(packet.options).get("blksize", "512"))
                last_ack = encode_ack(0)
                sock.sendto(last_ack, addr)
                continue
            assert isinstance(packet, Data)
            if packet.block != expected & 0xFFFF:
                sock.sendto(last_ack, addr)  # out of order: ask again from the last good one
                continue
            result.data += packet.payload
            expected += 1
            if len(packet.payload) < blksize:
                sock.sendto(encode_ack(packet.block), addr)
                return result
            last_ack = encode_ack(packet.block)
            window = int(dict(result.oack or ()).get("windowsize", "1"))
            if (expected - 1) % window == 0:
                sock.sendto(last_ack, addr)
        raise TimeoutError("transfer did not finish")
    finally:
        sock.close()
