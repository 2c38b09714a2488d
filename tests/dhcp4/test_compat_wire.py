"""Packet-level differential tests: crafted requests to dnsmasq 2.90 and to lanctl.

Each WIRE_CASE starts both servers in turn (tests/dhcp4/wireprobe.py) with the same
configuration, sends the same requests (BOOTP, rapid commit, option 81, encapsulated
options, overload, shared-network, /etc/ethers ...) and compares the replies octet by
octet (header fields and options in order), the lease-file lines and the DHCP log lines.
A real dhcpcd checks rapid commit end to end.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from lanctl.dhcp4.wire import BOOTREQUEST, MessageType, Packet, encode_packet
from tests.dhcp4.helpers import packet
from tests.dhcp4.netlab import dhcpcd_state, event, start_server, wait_for, write_hook
from tests.dhcp4.test_compat import MAC, _log_lines
from tests.dhcp4.wireprobe import Probe, probe, shape
from tests.support import require_tool
from tests.support.netns import Lab

# ---- packet-level differential cases: crafted requests, replies compared octet by octet ----

SID = {54: bytes([192, 0, 2, 1]), 50: bytes([192, 0, 2, 63])}
WIRE_FQ = b"\x02fq\x07example\x04test\x00"
PRL = bytes([1, 3, 6, 12, 15, 66, 67, 43, 125, 175, 81])
HW = bytes.fromhex(MAC.replace(":", ""))


def dhcp(mtype: int, xid: int = 0x1234, opts: dict[int, bytes] | None = None) -> bytes:
    return packet(MessageType(mtype), HW, xid=xid, flags=0x8000, extra=opts)


def bootp_request(xid: int = 0x4321, opts: dict[int, bytes] | None = None) -> bytes:
    return encode_packet(Packet(BOOTREQUEST, xid, HW, flags=0x8000, options=opts or {}), 1500)


@dataclass(frozen=True)
class WireCase:
    name: str
    conf: tuple[str, ...]
    requests: tuple[bytes, ...]
    wait: float = 1.5
    at_least: float = 0.0  # --dhcp-reply-delay: no reply earlier than this
    etc: tuple[tuple[str, str], ...] = ()  # files the servers see in /etc (wireprobe.etc_overlay)


R12 = "dhcp-range=192.0.2.50,192.0.2.99,12h"
BIG = tuple(f"dhcp-option={c},{chr(c - 143) * 40}" for c in range(240, 248))  # 42-octet TLVs
WIRE_CASES = [
    WireCase("bootp-no-address", (R12,), (bootp_request(),)),
    WireCase(
        "bootp-dynamic",
        (
            R12,
            "bootp-dynamic",
            "dhcp-option=tag:bootp,option:ntp-server,192.0.2.9",
            "dhcp-boot=pxe.0,bootsrv,192.0.2.7",
        ),
        (bootp_request(),),
    ),
    WireCase(
        "bootp-host",
        (R12, f"dhcp-host={MAC},192.0.2.33,bhost"),
        (bootp_request(),),
    ),
    WireCase(
        "bootp-vendor-area-name-and-list-unused",
        (R12, "bootp-dynamic", "dhcp-option=option:ntp-server,192.0.2.9"),
        (bootp_request(opts={12: b"bname", 55: b"\x01"}),),
    ),
    WireCase("bootp-ignored", (R12, "bootp-dynamic", "dhcp-ignore=tag:bootp"), (bootp_request(),)),
    WireCase(
        "bootp-then-dhcp",
        (R12, "bootp-dynamic"),
        (bootp_request(), dhcp(1), dhcp(3, 3, SID)),
    ),
    WireCase(
        "rapid-commit",
        (R12, "dhcp-rapid-commit"),
        (dhcp(1, opts={80: b"", 55: bytes([1, 3, 6, 12, 15, 80])}), dhcp(1, 5, {55: b"\x01\x03"})),
    ),
    WireCase("reply-delay", (R12, "dhcp-reply-delay=1"), (dhcp(1),), wait=3, at_least=1),
    WireCase(
        "boot-names",
        (R12, "dhcp-boot=pxe.0,bootsrv,192.0.2.7"),
        (dhcp(1, opts={55: PRL}), dhcp(1, 7, {55: b"\x01\x03"})),
    ),
    WireCase(
        "boot-names-no-override",
        (R12, "dhcp-boot=pxe.0,bootsrv,192.0.2.7", "dhcp-no-override"),
        (dhcp(1, opts={55: PRL}),),
    ),
    WireCase(
        "options-66-67",
        (R12, "dhcp-option=66,tftpsrv", "dhcp-option=67,file.bin"),
        (dhcp(1, opts={55: PRL}), dhcp(1, 8, {55: b"\x01\x03"}), dhcp(1, 9)),
    ),
    WireCase(
        "encapsulated",
        (
            R12,
            "dhcp-option=encap:175,190,iscsi0",
            "dhcp-option=encap:175,191,1.2.3.4",
            "dhcp-option=vendor:PXEClient,1,0.0.0.0",
            "dhcp-option=vendor:Other,2,5",
            "dhcp-option=vi-encap:2,10,text",
            "dhcp-option=vi-encap:2,11,192.0.2.5",
            "dhcp-option=vi-encap:9,1,7",
            "dhcp-option=option:ntp-server,192.0.2.8",
            "dhcp-option=option:mtu,1400",
        ),
        (
            dhcp(1, opts={55: PRL, 60: b"PXEClient:Arch:00000"}),
            dhcp(1, 9, {60: b"nomatch", 55: bytes([1, 43, 125, 175])}),
            dhcp(1, 10, {60: b"PXEClient"}),
            dhcp(1, 11, {55: b"\x01\x03", 60: b"PXEClient"}),
        ),
    ),
    WireCase(
        "vendor-class-configured",
        (
            R12,
            "dhcp-option=60,PXEClient",
            "dhcp-option=vendor:PXEClient,1,0.0.0.0",
            "dhcp-option=vendor:foo,2,1",
        ),
        (dhcp(1, opts={60: b"foo"}), dhcp(1, 3), dhcp(1, 4, {55: bytes([1, 43])})),
    ),
    WireCase(
        "fqdn",
        (R12, "domain=example.test"),
        (
            dhcp(1, opts={81: b"\x05\x00\x00" + WIRE_FQ}),
            dhcp(3, 2, {**SID, 81: b"\x05\x00\x00" + WIRE_FQ}),
            dhcp(3, 3, {**SID, 81: b"\x08\x00\x00fq4.other.test", 55: bytes([1, 3, 12, 81])}),
            dhcp(3, 4, {**SID, 12: b"hn", 81: b"\x04\x00\x00\x03fq5\x00"}),
        ),
    ),
    WireCase(
        "fqdn-client-update",
        (R12, "domain=example.test", "dhcp-client-update"),
        (dhcp(3, 2, {**SID, 81: b"\x00\xff\xfffq2"}), dhcp(3, 3, {**SID, 81: b"\x01\0\0fq3"})),
    ),
    WireCase("fqdn-no-domain", (R12,), (dhcp(3, 2, {**SID, 81: b"\x05\x00\x00" + WIRE_FQ}),)),
    WireCase("offer-without-hostname", (R12,), (dhcp(1, opts={12: b"x"}),)),
    WireCase(
        "read-ethers",
        (R12, "read-ethers"),
        (dhcp(1), dhcp(3, 2, {54: SID[54], 50: bytes([192, 0, 2, 44]), 12: b"eth"})),
        etc=(("ethers", f"# ethers\n{MAC} 192.0.2.44\n02:00:00:00:09:09 other\n"),),
    ),
    WireCase(
        "ethers-ignored-without-read-ethers",
        (R12,),
        (dhcp(1),),
        etc=(("ethers", f"{MAC} 192.0.2.44\n"),),
    ),
    WireCase(
        "overload-file-sname",
        (R12, *BIG),
        (dhcp(1, opts={55: bytes([1, 3, *range(240, 248)])}), dhcp(1, 2)),
    ),
    WireCase(
        "overload-no-override",
        (R12, *BIG, "dhcp-no-override"),
        (dhcp(1, opts={55: bytes([1, 3, *range(240, 248)])}),),
    ),
    WireCase(
        "shared-network",
        (
            "dhcp-range=198.51.100.10,198.51.100.20,255.255.255.0,1h",
            "shared-network=192.0.2.1,198.51.100.1",
        ),
        (
            dhcp(1, opts={55: bytes([1, 3, 6, 28])}),
            dhcp(3, 2, {54: SID[54], 50: b"\xc6\x33\x64\x11"}),
        ),
    ),
]


def _dhcp_log(probe: Probe) -> list[str]:
    out = []
    for line in probe.server.log.read_text().splitlines():
        m = re.search(r"((DHCP[A-Z]+|BOOTP)\(.*|Ignoring domain .*)$", line)
        if m:
            out.append(re.sub(r"\(\w+\)", "(IF)", m.group(1), count=1))
    return out


@pytest.mark.parametrize("case", WIRE_CASES, ids=[c.name for c in WIRE_CASES])
def test_same_packets_as_dnsmasq(case: WireCase, netns: Lab, tmp_path: Path) -> None:
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq is not installed")
    theirs = probe(
        "dnsmasq", netns, tmp_path, case.conf, case.requests, wait=case.wait, etc=case.etc
    )
    ours = probe("lanctl", netns, tmp_path, case.conf, case.requests, wait=case.wait, etc=case.etc)
    assert [[shape(r.packet) for r in rs] for rs in ours.replies] == [
        [shape(r.packet) for r in rs] for rs in theirs.replies
    ]
    assert any(theirs.replies) or case.name in ("bootp-no-address", "bootp-ignored")
    for reply in (r for rs in (*theirs.replies, *ours.replies) for r in rs):
        assert reply.after >= case.at_least
    want = [line.split(" ", 1)[1] for line in theirs.server.lease_lines()]  # all but expiry
    if want:
        wait_for(lambda: len(ours.server.lease_lines()) >= len(want), "lease lines")
    got = [line.split(" ", 1)[1] for line in ours.server.lease_lines()]
    assert got == want
    expected = _dhcp_log(theirs)
    wait_for(lambda: len(_dhcp_log(ours)) >= len(expected), "log lines", log=ours.server.log)
    assert _dhcp_log(ours) == expected


def _dhcpcd_rapid(kind: str, lab: Lab, tmp: Path) -> tuple[str, list[str]]:
    """dhcpcd with `option rapid_commit`: the address it bound and the server's log lines."""
    srv, cli = lab(kind[:3]), lab("cli")
    link = lab.link(srv, cli, ["192.0.2.1/24"], [], b_mac=MAC)
    work = tmp / kind
    work.mkdir()
    server = start_server(kind, srv, work, R12, "dhcp-rapid-commit")
    conf = work / "dhcpcd.conf"
    conf.write_text("noarp\nnoipv4ll\nipv4only\nclientid\noption rapid_commit\n")
    hook, events = write_hook(work, "dhcpcd")
    tool = require_tool("dhcpcd")
    with dhcpcd_state(link.b_if):
        argv = [tool, "-f", str(conf), "-c", str(hook), "-4", "-B", "-1", link.b_if]
        res = cli.run(argv, check=False, timeout=60)
    bound = event(events, ("BOUND",))
    assert bound is not None, res.stdout + res.stderr
    wait_for(lambda: "DHCPACK" in server.log.read_text(), f"{kind} DHCPACK", log=server.log)
    server.alive()
    return bound["new_ip_address"], [x.replace(link.a_if, "IF") for x in _log_lines(server)]


def test_dhcpcd_rapid_commit_like_dnsmasq(netns: Lab, tmp_path: Path) -> None:
    if shutil.which("dnsmasq") is None:
        pytest.skip("dnsmasq is not installed")
    theirs = _dhcpcd_rapid("dnsmasq", netns, tmp_path)
    ours = _dhcpcd_rapid("lanctl", netns, tmp_path)
    assert theirs[1][:2] == [f"DHCPDISCOVER(IF) {MAC} ", f"DHCPACK(IF) {theirs[0]} {MAC} "]
    assert ours == theirs
