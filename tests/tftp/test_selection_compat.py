"""Interface selection against dnsmasq 2.90: which requests each server answers.

A server namespace has two links, A (192.0.2.1) to client `ca` and B (198.51.100.1) to
client `cb`.  For each configuration (--interface, --except-interface, --listen-address,
--bind-interfaces, --no-dhcp-interface, --enable-tftp=<if>), dnsmasq and then lanctl run in
the server namespace and each client (and the server itself, to 127.0.0.1) sends a read
request: served (any reply) or silent.
(--bind-interfaces, --interface=A, --enable-tftp=B binds no TFTP port in dnsmasq at all, so
it is covered by the table in test_selection.py only.)
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lanctl.tftp.wire import Opcode, Request, encode_request
from tests.support import require_tool
from tests.support.netns import Lab, Namespace, stop_process
from tests.tftp.netlab import make_root, put, start_dnsmasq, start_lanctl

A_SRV, B_SRV = "192.0.2.1", "198.51.100.1"


@dataclass
class Topo:
    srv: Namespace
    ca: Namespace
    cb: Namespace
    a_if: str
    b_if: str


def answered(client: Namespace, host: str) -> bool:
    """Send one RRQ and report whether any reply arrives (DATA or ERROR) within 2 s."""
    sock = client.socket()
    sock.settimeout(2.0)
    try:
        sock.sendto(encode_request(Request(Opcode.RRQ, "file", "octet")), (host, 69))
        try:
            sock.recvfrom(600)
        except TimeoutError:
            return False
        return True
    finally:
        sock.close()


# Each case: options given A's and B's names; expected: (A served, B served, loopback served).
Case = Callable[[str, str], list[str]]
Starter = Callable[..., tuple[subprocess.Popen[Any], Path]]
CASES: dict[str, Case] = {
    "none": lambda a, b: [],
    "interface": lambda a, b: [f"interface={a}"],
    "except": lambda a, b: [f"except-interface={b}"],
    "listen": lambda a, b: [f"listen-address={A_SRV}"],
    "bind-interface": lambda a, b: ["bind-interfaces", f"interface={a}"],
    "bind-listen": lambda a, b: ["bind-interfaces", f"listen-address={A_SRV}"],
    "bind-except": lambda a, b: ["bind-interfaces", f"except-interface={b}"],
    "bind-all": lambda a, b: ["bind-interfaces"],
    "no-dhcp": lambda a, b: [f"no-dhcp-interface={b}"],
    "bind-no-dhcp": lambda a, b: ["bind-interfaces", f"no-dhcp-interface={b}"],
    "enable-a": lambda a, b: [],  # enable-tftp={a}
    "enable-b-interface-a": lambda a, b: [f"interface={a}"],  # enable-tftp={b}
    "enable-b-no-dhcp-b": lambda a, b: [f"no-dhcp-interface={b}"],  # enable-tftp={b}
    "enable-b-bind-no-dhcp-b": lambda a, b: ["bind-interfaces", f"no-dhcp-interface={b}"],
}
ENABLE: dict[str, str] = {
    "enable-a": "a",
    "enable-b-interface-a": "b",
    "enable-b-no-dhcp-b": "b",
    "enable-b-bind-no-dhcp-b": "b",
}
EXPECTED: dict[str, tuple[bool, bool, bool]] = {
    "none": (True, True, True),
    "interface": (True, False, True),
    "except": (True, False, True),
    "listen": (True, False, False),
    "bind-interface": (True, False, True),
    "bind-listen": (True, False, False),
    "bind-except": (True, False, True),
    "bind-all": (True, True, True),
    "no-dhcp": (True, False, True),
    "bind-no-dhcp": (True, False, True),
    "enable-a": (True, False, False),
    "enable-b-interface-a": (False, True, False),
    "enable-b-no-dhcp-b": (False, True, False),
    "enable-b-bind-no-dhcp-b": (False, True, False),  # the TFTP list wins over no-dhcp-interface
}


@pytest.fixture
def topo(netns: Lab) -> Topo:
    require_tool("dnsmasq")
    srv, ca, cb = netns("srv"), netns("ca"), netns("cb")
    a = netns.link(srv, ca, ["192.0.2.1/24"], ["192.0.2.2/24"])
    b = netns.link(srv, cb, ["198.51.100.1/24"], ["198.51.100.2/24"])
    return Topo(srv, ca, cb, a.a_if, b.a_if)


def options(topo: Topo, case: str) -> list[str]:
    opts = CASES[case](topo.a_if, topo.b_if)
    if case in ENABLE:
        opts.append(f"enable-tftp={topo.a_if if ENABLE[case] == 'a' else topo.b_if}")
    return opts


def observe(topo: Topo, start: Starter, work: Path, opts: list[str]) -> tuple[bool, ...]:
    root = make_root(work)
    put(root, "file", b"x" * 100)
    proc, _log = start(topo.srv, work, root, *opts)
    try:
        loopback = answered(topo.srv, "127.0.0.1")
        return answered(topo.ca, A_SRV), answered(topo.cb, B_SRV), loopback
    finally:
        stop_process(proc)


@pytest.mark.parametrize("case", sorted(CASES))
def test_same_requests_served_as_dnsmasq(topo: Topo, tmp_path: Path, case: str) -> None:
    opts = options(topo, case)
    (tmp_path / "dm").mkdir()
    (tmp_path / "lc").mkdir()
    theirs = observe(topo, start_dnsmasq, tmp_path / "dm", [f"--{o}" for o in opts])
    ours = observe(topo, start_lanctl, tmp_path / "lc", opts)
    assert theirs == EXPECTED[case]
    assert ours == theirs
