"""`lanctl all` started as root with the default `user` (nobody): every service still works.

Regression: after the privilege drop the dnsmasq lease file could not be replaced by a
rename in its root-owned directory and the error stopped the whole server; DNS started
before DHCP created the lease store and never served lease names.  This runs DNS, DHCP
and TFTP together, as a dnsmasq user would, with real clients (udhcpc, dig, tftp-hpa).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dhcp4.netlab import REPO, listening, udhcpc_once, wait_for
from tests.support import require_tool
from tests.support.netns import Lab


@pytest.fixture
def work() -> Iterator[Path]:
    """A root-owned 0755 directory nobody can enter but not write, like /var/lib/misc.

    (pytest's tmp_path lies under a 0700 directory that nobody cannot traverse.)"""
    path = Path(tempfile.mkdtemp(prefix="lanctl-nobody-"))
    try:
        path.chmod(0o755)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_all_services_work_after_dropping_to_nobody(netns: Lab, tmp_path: Path, work: Path) -> None:
    dig, tftp = require_tool("dig"), require_tool("tftp")
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], [])
    (work / "tftp").mkdir()
    (work / "tftp").chmod(0o755)
    image = work / "tftp" / "boot.img"
    image.write_bytes(os.urandom(300_000))
    image.chmod(0o644)
    conf = work / "lanctl.conf"
    conf.write_text(
        "\n".join(
            [
                "no-resolv",
                "no-hosts",
                "listen-address=192.0.2.1",
                "bind-interfaces",
                "domain=lan.example",
                "dhcp-range=192.0.2.50,192.0.2.99,1h",
                "no-ping",
                f"dhcp-leasefile={work}/leases",
                "enable-tftp",
                f"tftp-root={work}/tftp",
                "log-facility=-",
                f"pid-file={work}/lanctl.pid",
                f"control-socket={work}/lanctl.sock",
            ]
        )
        + "\n"
    )
    log = work / "lanctl.log"
    with log.open("wb") as out:
        proc = srv.popen(
            [sys.executable, "-m", "lanctl", "all", "-C", str(conf)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            cwd=REPO,
        )

    def up() -> bool:
        assert proc.poll() is None, log.read_text()
        return listening(srv, 67) and listening(srv, 53) and listening(srv, 69)

    wait_for(up, "DNS, DHCP and TFTP listening", 20, log)
    user = subprocess.run(["ps", "-o", "user=", "-p", str(proc.pid)], capture_output=True)
    assert user.stdout.decode().strip() == "nobody"

    try:
        env = udhcpc_once(cli, link.b_if, tmp_path, "-x", "hostname:smokehost")
    except AssertionError as err:
        raise AssertionError(f"{err}\n--- server log:\n{log.read_text()}") from None
    address = env["ip"]
    wait_for(lambda: "smokehost" in (work / "leases").read_text(), "the lease file", 10, log)

    def resolves() -> bool:
        out = cli.run([dig, "@192.0.2.1", "+short", "+tries=1", "+time=2", "smokehost.lan.example"])
        return out.stdout.strip() == address

    wait_for(resolves, "the lease name in DNS", 10, log)
    got = tmp_path / "got.img"
    cli.run([tftp, "192.0.2.1", "-m", "binary", "-c", "get", "boot.img", str(got)], timeout=60)
    assert got.read_bytes() == image.read_bytes()
    time.sleep(1.5)  # one more lease-file rewrite cycle must not stop the server
    assert proc.poll() is None, log.read_text()
    assert "failed to write" not in log.read_text()
