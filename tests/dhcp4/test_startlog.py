"""The DHCP range lines logged at start (dhcp4/startlog.py), against dnsmasq 2.90."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lanctl.config import load
from lanctl.dhcp4.startlog import lease_text, range_lines
from tests.support import require_tool
from tests.support.netns import Lab

REPO = Path(__file__).resolve().parents[2]
RANGES = [
    "dhcp-range=192.0.2.10,192.0.2.20,12h",
    "dhcp-range=set:foo,192.0.2.30,192.0.2.40,255.255.255.0,90",
    "dhcp-range=198.51.100.0,static,infinite",
    "dhcp-range=203.0.113.5,203.0.113.9,2d",
    "dhcp-range=203.0.113.50,203.0.113.59,3600",
    "dhcp-range=203.0.113.60,203.0.113.69,59m",
    "dhcp-range=192.0.2.100,192.0.2.110",
    "dhcp-range=192.0.2.120,192.0.2.130,255.255.255.0,192.0.2.255,1w",
]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(43200, "12h"), (120, "2m"), (90000, "1d1h"), (604800, "7d"), (3661, "1h1m1s"), (45, "45s")],
)
def test_lease_text(seconds: int, text: str) -> None:
    assert lease_text(seconds) == text


def test_last_range_first() -> None:
    cfg = load(["-C", "/dev/null", *(f"--{r}" for r in RANGES[:3])])
    assert range_lines(cfg.dhcp4.dhcp_range) == [
        "DHCP, static leases only on 198.51.100.0, lease time infinite",
        "DHCP, IP range 192.0.2.30 -- 192.0.2.40, lease time 2m",
        "DHCP, IP range 192.0.2.10 -- 192.0.2.20, lease time 12h",
    ]


def _dhcp_lines(argv: list[str], env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    out = b""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and b"started" not in out:
        out += proc.stdout.read() or b""
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=15)
    lines = (out + (rest or b"")).decode().splitlines()
    return [line.split(": ", 1)[1] for line in lines if ": DHCP, " in line]


def test_same_lines_as_dnsmasq(netns: Lab, tmp_path: Path) -> None:
    binary = require_tool("dnsmasq")
    ns = netns("srv")
    common = ["port=0", "pid-file=", "log-facility=-", *RANGES]
    theirs = _dhcp_lines(
        ["ip", "netns", "exec", ns.name, binary, "-k", "--conf-file=/dev/null", "--user=root",
         f"--dhcp-leasefile={tmp_path}/dm.leases", *(f"--{o}" for o in common)]
    )  # fmt: skip
    conf = tmp_path / "lanctl.conf"
    conf.write_text(
        "\n".join([*common, "user=", f"dhcp-leasefile={tmp_path}/lc.leases",
                   f"control-socket={tmp_path}/c.sock"]) + "\n"
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ours = _dhcp_lines(
        ["ip", "netns", "exec", ns.name, sys.executable, "-m", "lanctl", "dhcp", "serve",
         "-C", str(conf)], env,
    )  # fmt: skip
    assert len(theirs) == len(RANGES)
    assert ours == theirs
