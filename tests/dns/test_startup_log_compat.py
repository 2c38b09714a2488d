"""Start-up log lines of the DNS service against dnsmasq 2.90's, line by line.

Both run on loopback with the same configuration and are stopped with SIGTERM; the lines
between "started" and "exiting" (minus dnsmasq's "compile time options") must be the same
text in the same order: upstream servers with dnsmasq's spelling, the warning about no
upstream servers, `#` and local-only domains, resolv files, hosts files or "cleared cache".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import free_port, require_tool

REPO = Path(__file__).resolve().parents[2]

CASES: dict[str, list[str]] = {
    "servers": [
        "no-resolv", "no-hosts", "server=/up.test/127.0.0.1#5400",
        "server=/a.test/b.test/127.0.0.2", "server=127.0.0.3", "local=/lan.test/",
        "server=/*.wild.test/127.0.0.4", "server=/x.test/#", "server=127.0.0.6@lo",
        "server=//127.0.0.9",
    ],
    "rev-server": [  # in configuration order among the --server lines (dnsmasq's one list)
        "no-resolv", "no-hosts", "server=127.0.0.3", "rev-server=192.0.2.0/24,127.0.0.4",
        "server=/a.test/127.0.0.5", "local=/l.test/", "rev-server=2001:db8::/32,127.0.0.6#5353",
        "server=/x.test/#", "rev-server=10.0.0.0/8,127.0.0.7", "server=127.0.0.8",
    ],
    "no-upstream": ["no-resolv", "no-hosts", "local=/lan.test/"],
    "resolv": ["no-hosts", "resolv-file={work}/resolv"],
    "empty-resolv": ["no-hosts", "resolv-file={work}/empty"],
    "hosts": ["no-resolv", "addn-hosts={work}/hosts", "server=127.0.0.3"],
}  # fmt: skip


def lines_of(argv: list[str], env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    time.sleep(0.2)
    deadline = time.monotonic() + 15
    out = b""
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    while time.monotonic() < deadline and b"started" not in out:
        out += proc.stdout.read() or b""
        time.sleep(0.1)
    time.sleep(0.5)  # lines logged just after "started"
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=15)
    text = (out + (rest or b"")).decode()
    body = [line.split(": ", 1)[1] for line in text.splitlines() if ": " in line]
    return [b for b in body if not b.startswith(("compile time options", "started", "exiting"))]


@pytest.mark.parametrize("case", sorted(CASES))
def test_startup_lines_like_dnsmasq(tmp_path: Path, case: str) -> None:
    binary = require_tool("dnsmasq")
    (tmp_path / "resolv").write_text("nameserver 127.0.0.11\nnameserver 127.0.0.12\n")
    (tmp_path / "empty").write_text("")
    (tmp_path / "hosts").write_text("192.0.2.9 foo.test\n")
    opts = [o.format(work=tmp_path) for o in CASES[case]]
    port = free_port()
    common = [f"port={port}", "listen-address=127.0.0.1", "bind-interfaces", "pid-file=",
              "log-facility=-"]  # fmt: skip
    theirs = lines_of(
        [binary, "-k", "--conf-file=/dev/null", "--user=root", *(f"--{o}" for o in common + opts)]
    )
    conf = tmp_path / "lanctl.conf"
    conf.write_text("\n".join([*common, "user=", f"control-socket={tmp_path}/c.sock", *opts]))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ours = lines_of([sys.executable, "-m", "lanctl", "dns", "serve", "-C", str(conf)], env)
    assert ours == theirs
