"""`lanctl tftp serve` with interface selection, fetched with tftp-hpa and curl from two
client namespaces: `ca` behind link A (192.0.2.1) and `cb` behind link B (198.51.100.1)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import require_tool
from tests.support.netns import Lab, Namespace
from tests.tftp.netlab import make_root, put, start_lanctl

A_SRV, B_SRV = "192.0.2.1", "198.51.100.1"


@dataclass
class Two:
    srv: Namespace
    ca: Namespace
    cb: Namespace
    a_if: str
    b_if: str
    work: Path
    root: Path
    data: bytes
    proc: subprocess.Popen[Any] | None = None

    def start(self, *extra: str) -> None:
        self.proc, _log = start_lanctl(self.srv, self.work, self.root, *extra)

    def curl(self, client: Namespace, host: str) -> subprocess.CompletedProcess[str]:
        curl = require_tool("curl")
        out = self.work / f"curl-{client.name}"
        argv = [curl, "-sS", "--max-time", "3", "-o", str(out), f"tftp://{host}/image"]
        r = client.run(argv, check=False)
        if r.returncode == 0:
            assert out.read_bytes() == self.data
        return r


@pytest.fixture
def two(netns: Lab, tmp_path: Path) -> Iterator[Two]:
    srv, ca, cb = netns("srv"), netns("ca"), netns("cb")
    a = netns.link(srv, ca, ["192.0.2.1/24"], ["192.0.2.2/24"])
    b = netns.link(srv, cb, ["198.51.100.1/24"], ["198.51.100.2/24"])
    root = make_root(tmp_path)
    data = os.urandom(200_000)
    put(root, "image", data)
    setup = Two(srv, ca, cb, a.a_if, b.a_if, tmp_path, root, data)
    yield setup
    if setup.proc is not None:
        assert setup.proc.poll() is None  # still serving: refusals never stop the service
        setup.proc.terminate()
        setup.proc.wait(10)


def listening(ns: Namespace) -> set[str]:
    rows = ns.run(["ss", "-Hlnu"]).stdout.splitlines()
    return {r.split()[3] for r in rows if r.split() and r.split()[3].endswith(":69")}


def test_bind_interfaces_binds_only_the_selected_address(two: Two) -> None:
    tftp = require_tool("tftp")
    two.start("bind-interfaces", f"interface={two.a_if}")
    # no wildcard and nothing on B; --interface adds loopback, as in dnsmasq
    assert listening(two.srv) == {f"{A_SRV}:69", "127.0.0.1:69", "[::1]:69"}
    out = two.work / "hpa"
    r = two.ca.run([tftp, A_SRV, "-m", "binary", "-c", "get", "image", str(out)], timeout=60)
    assert "Error code" not in r.stdout + r.stderr
    assert out.read_bytes() == two.data
    assert two.curl(two.cb, B_SRV).returncode != 0  # nothing listens there


@pytest.mark.parametrize(
    "option",
    ["listen-address=192.0.2.1", "no-dhcp-interface={b}", "except-interface={b}", "interface={a}"],
)
def test_wildcard_listener_serves_a_only(two: Two, option: str) -> None:
    two.start(option.format(a=two.a_if, b=two.b_if))
    assert listening(two.srv) == {"0.0.0.0:69", "[::]:69"}
    assert two.curl(two.ca, A_SRV).returncode == 0
    assert two.curl(two.cb, B_SRV).returncode != 0  # silently ignored: curl times out


def test_enable_tftp_list_overrides_no_dhcp_interface(two: Two) -> None:
    two.start(f"enable-tftp={two.b_if}", f"no-dhcp-interface={two.b_if}")
    assert two.curl(two.cb, B_SRV).returncode == 0
    assert two.curl(two.ca, A_SRV).returncode != 0
