"""Wire-level differential probing: the same crafted requests to dnsmasq and to lanctl.

`probe(kind, lab, tmp, conf, requests)` starts `kind` ("dnsmasq" or "lanctl") in a server
namespace joined to a client namespace, sends each request payload from a socket bound to
0.0.0.0:68 on the client's interface (SO_BINDTODEVICE, TESTING.md §7) and collects every
reply with our xid, with its delay after the request.  Requests should set the broadcast
flag so replies reach an interface without an address.  In `conf`, "{work}" is the work
directory and "{iface}" the server's interface.  `shape` reduces a reply to what
must be equal between the two servers.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lanctl.dhcp4.wire import Packet, decode_packet
from tests.dhcp4.netlab import Server, start_server
from tests.support.netns import Lab, Namespace

CLIENT_MAC = "02:00:00:00:01:02"


@dataclass(frozen=True)
class Reply:
    after: float  # seconds after its request was sent
    packet: Packet


@dataclass
class Probe:
    server: Server
    replies: list[list[Reply]]  # per request
    work: Path


def probe(
    kind: str,
    lab: Lab,
    tmp: Path,
    conf: Sequence[str],
    requests: Sequence[bytes],
    *,
    wait: float = 1.5,
    files: Sequence[tuple[str, str]] = (),
    server_addrs: Sequence[str] = ("192.0.2.1/24",),
    etc: Sequence[tuple[str, str]] = (),
) -> Probe:
    srv, cli = lab(kind[:3]), lab("cli")
    link = lab.link(srv, cli, list(server_addrs), [], b_mac=CLIENT_MAC)
    work = tmp / kind
    work.mkdir()
    for name, text in files:
        (work / name).write_text(text)
    lines = [line.replace("{work}", str(work)).replace("{iface}", link.a_if) for line in conf]
    with etc_overlay(srv, work, etc):
        server = start_server(kind, srv, work, *lines)
    sock = cli.socket(socket.AF_INET, socket.SOCK_DGRAM)
    out: list[list[Reply]] = []
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, link.b_if.encode())
        sock.bind(("0.0.0.0", 68))
        for payload in requests:
            xid = int.from_bytes(payload[4:8], "big")
            sent = time.monotonic()
            sock.sendto(payload, ("255.255.255.255", 67))
            got: list[Reply] = []
            deadline = sent + wait
            while (left := deadline - time.monotonic()) > 0:
                sock.settimeout(left)
                try:
                    data = sock.recv(4096)
                except TimeoutError:
                    break
                pkt = decode_packet(data)
                if pkt.op == 2 and pkt.xid == xid:
                    got.append(Reply(time.monotonic() - sent, pkt))
            out.append(got)
    finally:
        sock.close()
    server.alive()
    return Probe(server, out, work)


@contextlib.contextmanager
def etc_overlay(ns: Namespace, work: Path, files: Sequence[tuple[str, str]]) -> Iterator[None]:
    """The next command started in `ns` sees `files` in /etc (e.g. ethers, absent on the host).

    It runs in a private mount namespace (`unshare -m`) where an overlay of the host's /etc
    adds the files; nothing changes outside that process.
    """
    if not files:
        yield
        return
    upper, scratch = work / "etc-upper", work / "etc-work"
    upper.mkdir()
    scratch.mkdir()
    for name, text in files:
        (upper / name).write_text(text)
    opts = f"lowerdir=/etc,upperdir={upper},workdir={scratch}"
    script = f'mount -t overlay overlay -o {opts} /etc && exec "$@"'
    plain = ns._argv

    def once(cmd: Sequence[str]) -> list[str]:  # the server only, not later `ss` probes
        del ns._argv
        return plain(["unshare", "-m", "sh", "-c", script, "sh", *cmd])

    ns._argv = once  # type: ignore[method-assign]
    try:
        yield
    finally:
        ns.__dict__.pop("_argv", None)


def shape(pkt: Packet) -> dict[str, object]:
    """What must match between dnsmasq and lanctl: header fields and options, in order."""
    return {
        "op": pkt.op,
        "flags": pkt.flags,
        "ciaddr": str(pkt.ciaddr),
        "yiaddr": str(pkt.yiaddr),
        "siaddr": str(pkt.siaddr),
        "sname": pkt.sname,
        "file": pkt.file,
        "options": [(code, value.hex()) for code, value in pkt.options.items()],
    }
