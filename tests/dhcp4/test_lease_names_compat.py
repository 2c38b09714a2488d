"""One lease per host name, on the wire: lanctl (`lanctl all`) against dnsmasq 2.90.

Two clients (different MACs) take leases asking for the same name "dup" (option 12), then
renew: the first with the name, the second without, then with it.  After each step the
lease file (names or `*`), the A records DNS gives for "dup" and the ACK's yiaddr and
option 12 must be dnsmasq's.  dnsmasq gives the name to the newest lease, except that a
name from a --dhcp-host found by MAC is kept from a client that only asks for it
(lanctl/dhcp4/leasenames.py).  Both servers run each case, so the expectations are
dnsmasq's, and a few are also written out to show the rule.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from lanctl.dhcp4.wire import Packet
from tests.dhcp4.namelab import NameLab, start
from tests.support.netns import Lab

R12 = "dhcp-range=192.0.2.50,192.0.2.99,12h"
A1, A2 = "192.0.2.50", "192.0.2.51"
C1, C2 = "02:00:00:00:0a:01", "02:00:00:00:0a:02"


@dataclass(frozen=True)
class State:
    ack: tuple[str, bytes | None] | None  # (yiaddr, option 12) of the step's ACK
    leases: list[str]  # lease lines without expiry, sorted
    dns: list[str]  # A records of "dup"


Step = Callable[[NameLab, str], Packet | None]
STEPS: list[tuple[str, Step]] = [
    ("c1 takes", lambda lab, a1: lab.lease(1, a1, "dup", 10)),
    ("c2 takes", lambda lab, a1: lab.lease(2, A2, "dup", 20)),
    ("c1 renews", lambda lab, a1: lab.renew(1, a1, "dup", 30)),
    ("c2 renews unnamed", lambda lab, a1: lab.renew(2, A2, None, 40)),
    ("c2 renews", lambda lab, a1: lab.renew(2, A2, "dup", 50)),
]


def state(lab: NameLab, ack: tuple[str, bytes | None] | None) -> State:
    # DNS first: dnsmasq has written its lease file by the time it answers the query
    dns = lab.dig("dup")
    return State(ack, lab.leases(), dns)


def run(kind: str, netns: Lab, tmp: Path, conf: tuple[str, ...], a1: str) -> list[State]:
    """The state after each step."""
    lab = start(kind, netns, tmp / kind, (R12, *conf), (f"{a1}/24", f"{A2}/24"))
    out = []
    for _label, step in STEPS:
        reply = step(lab, a1)
        out.append(state(lab, (str(reply.yiaddr), reply.options.get(12)) if reply else None))
    lab.server.alive()
    return out


def run_like(
    netns: Lab, tmp: Path, conf: tuple[str, ...], a1: str, want: list[State]
) -> list[State]:
    """lanctl through the same steps; its lease file and DNS follow its store, so each
    state is polled (bounded) until it equals dnsmasq's, and the last one seen is kept."""
    lab = start("lanctl", netns, tmp / "lanctl", (R12, *conf), (f"{a1}/24", f"{A2}/24"))
    out = []
    for (_label, step), expected in zip(STEPS, want, strict=True):
        reply = step(lab, a1)
        ack = (str(reply.yiaddr), reply.options.get(12)) if reply else None
        got = state(lab, ack)
        deadline = time.monotonic() + 10
        while got != expected and time.monotonic() < deadline:
            time.sleep(0.2)
            got = state(lab, ack)
        out.append(got)
    lab.server.alive()
    return out


CASES = {
    "client-names": ((), A1),
    "newcomer-configured": ((f"dhcp-host={C2},dup",), A1),
    "holder-configured": ((f"dhcp-host={C1},dup",), A1),
    "both-configured": ((f"dhcp-host={C1},dup", f"dhcp-host={C2},dup"), A1),
    "holder-found-by-name": (("dhcp-host=dup,192.0.2.65",), "192.0.2.65"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_lease_per_name_as_dnsmasq(netns: Lab, tmp_path: Path, case: str) -> None:
    conf, a1 = CASES[case]
    theirs = run("dnsmasq", netns, tmp_path, conf, a1)
    ours = run_like(netns, tmp_path, conf, a1, theirs)
    labels = [label for label, _ in STEPS]
    assert dict(zip(labels, ours, strict=True)) == dict(zip(labels, theirs, strict=True))
    named = f"{C1} {a1} dup *"
    if case == "client-names":  # the newest lease has the name; the other shows '*'
        assert theirs[1].leases == [f"{C1} {a1} * *", f"{C2} {A2} dup *"]
        assert theirs[1].dns == [A2] and theirs[2].dns == [a1]
        assert theirs[3].leases[0] == named  # a renewal without the name does not take it
    if case == "holder-configured":  # c2 never gets it, although its ACK carries it
        assert all(s.leases == [named, f"{C2} {A2} * *"] for s in theirs[1:])
        assert theirs[1].ack == (A2, b"dup")


def loaded(kind: str, netns: Lab, tmp: Path, want: State | None) -> State:
    """Start with a lease file naming three leases "dup"; a nameless renewal of the first."""
    work = tmp / f"load-{kind}"
    work.mkdir()
    exp = int(time.time()) + 3000
    (work / f"{kind}.leases").write_text(
        f"{exp} {C1} {A1} dup *\n{exp} {C2} {A2} DUP *\n{exp} 02:00:00:00:0a:03 192.0.2.52 dup *\n"
    )
    lab = start(kind, netns, work, (R12,), (f"{A1}/24",))
    reply = lab.renew(1, A1, None, 5)
    got = state(lab, (str(reply.yiaddr), reply.options.get(12)) if reply else None)
    deadline = time.monotonic() + 10
    while want is not None and got != want and time.monotonic() < deadline:
        time.sleep(0.2)
        got = state(lab, got.ack)
    lab.server.alive()
    return got


def test_a_lease_file_with_one_name_twice_as_dnsmasq(netns: Lab, tmp_path: Path) -> None:
    theirs = loaded("dnsmasq", netns, tmp_path, None)
    assert theirs.dns == ["192.0.2.52"]  # the last line keeps the name
    assert theirs.leases[:2] == [f"{C1} {A1} * *", f"{C2} {A2} * *"]
    assert loaded("lanctl", netns, tmp_path, theirs) == theirs
