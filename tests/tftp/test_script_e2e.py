"""The "tftp" action of --dhcp-script after a tftp-hpa fetch, against dnsmasq (differential).

Server 192.0.2.1 in `srv`, client 192.0.2.2 in `cli`; the script logs its arguments.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import require_tool
from tests.support.netns import Lab
from tests.tftp.netlab import make_root, put, start_dnsmasq, start_lanctl


def _wait(pred: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}: {log.read_text()[-2000:]}")


@pytest.mark.parametrize("kind", ["dnsmasq", "lanctl"])
def test_tftp_action_after_fetch(netns: Lab, tmp_path: Path, kind: str) -> None:
    tftp = require_tool("tftp")
    srv, cli = netns("srv"), netns("cli")
    netns.link(srv, cli, ["192.0.2.1/24"], ["192.0.2.2/24"])
    root = make_root(tmp_path)
    data = os.urandom(5000)
    put(root, "boot.img", data)
    out = tmp_path / "script.out"
    script = tmp_path / "script.sh"
    script.write_text(f'#!/bin/sh\necho "$*" >> {out}\n')
    script.chmod(0o755)
    proc: subprocess.Popen[Any]
    if kind == "dnsmasq":  # command-line options
        proc, log = start_dnsmasq(srv, tmp_path, root, f"--dhcp-script={script}")
    else:  # configuration-file lines
        proc, log = start_lanctl(srv, tmp_path, root, f"dhcp-script={script}")
    try:
        got = tmp_path / "got"
        r = cli.run([tftp, "192.0.2.1", "-m", "binary", "-c", "get", "boot.img", str(got)])
        assert got.read_bytes() == data, r.stdout + r.stderr
        _wait(lambda: out.exists() and bool(out.read_text()), "the tftp action", log)
        assert out.read_text().splitlines() == [f"tftp 5000 192.0.2.2 {root}/boot.img"]
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)
