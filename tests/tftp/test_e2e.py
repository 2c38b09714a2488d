"""`lanctl tftp serve` in a network namespace, fetched with tftp-hpa, atftp, curl and a raw client.

Server 192.0.2.1 (namespace srv), client 192.0.2.2 (namespace cli); files are random and
compared byte for byte; each test ends by checking that the server is still running.
"""

from __future__ import annotations

import grp
import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import require_tool
from tests.support.netns import Lab, Namespace
from tests.tftp.client import fetch
from tests.tftp.netlab import make_root, put, start_lanctl

SERVER = "192.0.2.1"


@dataclass
class Setup:
    srv: Namespace
    cli: Namespace
    root: Path
    work: Path
    server_if: str = ""
    proc: subprocess.Popen[Any] | None = None
    log: Path | None = None

    def start(self, *extra: str) -> None:
        self.proc, self.log = start_lanctl(self.srv, self.work, self.root, *extra)

    def alive(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.logs()

    def logs(self) -> str:
        return self.log.read_text() if self.log else ""

    def raw(self, name: str, options: tuple[tuple[str, str], ...] = (), **kw: Any) -> Any:
        return fetch(SERVER, 69, name, options, make_socket=self.cli.socket, **kw)


@pytest.fixture
def lab(netns: Lab, tmp_path: Path) -> Iterator[Setup]:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(
        srv, cli, ["192.0.2.1/24", "2001:db8::1/64"], ["192.0.2.2/24", "2001:db8::2/64"]
    )
    root = make_root(tmp_path)
    yield Setup(srv, cli, root, tmp_path, server_if=link.a_if)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_tftp_hpa_small_multi_mb_and_exact_multiple(lab: Setup) -> None:
    tftp = require_tool("tftp")
    files = {
        "small": os.urandom(1000),
        "sub/multi": os.urandom(3_000_000),
        "exact": os.urandom(512 * 8),
    }
    for name, data in files.items():
        put(lab.root, name, data)
    lab.start()
    for name in files:
        out = lab.work / ("got-" + name.replace("/", "_"))
        r = lab.cli.run(
            [tftp, "-v", SERVER, "-m", "binary", "-c", "get", name, str(out)], timeout=60
        )
        assert "Error code" not in r.stdout + r.stderr
        assert sha(out) == sha(lab.root / name), name
    assert f"sent {lab.root}/sub/multi to 192.0.2.2" in lab.logs()
    lab.alive()


def test_curl_blksize_and_parallel_fetches(lab: Setup) -> None:
    curl = require_tool("curl")
    put(lab.root, "image", os.urandom(2_500_000))
    lab.start()
    out = lab.work / "one"
    lab.cli.run(
        [
            curl,
            "-sS",
            "--max-time",
            "60",
            "--tftp-blksize",
            "1468",
            "-o",
            str(out),
            f"tftp://{SERVER}/image",
        ]
    )
    assert sha(out) == sha(lab.root / "image")
    script = " & ".join(
        f"{curl} -sS --max-time 60 -o {lab.work}/p{i} tftp://{SERVER}/image" for i in range(10)
    )
    lab.cli.run(["sh", "-c", script + " & wait"], timeout=120)
    for i in range(10):
        assert sha(lab.work / f"p{i}") == sha(lab.root / "image"), i
    lab.alive()


def test_atftp_windowsize_blksize_tsize(lab: Setup) -> None:
    atftp = require_tool("atftp")
    put(lab.root, "win", os.urandom(4_000_000))
    lab.start()
    out = lab.work / "win.out"
    r = lab.cli.run(
        [atftp, "--trace", "-g", "-r", "win", "-l", str(out), "--option", "blksize 1468",
         "--option", "tsize 0", "--option", "windowsize 8", SERVER],
        timeout=60,
    )  # fmt: skip
    assert sha(out) == sha(lab.root / "win")
    trace = r.stdout + r.stderr
    assert "OACK" in trace and "windowsize: 8" in trace and "tsize: 4000000" in trace
    lab.alive()


def test_refusals_missing_traversal_permissions_write(lab: Setup) -> None:
    curl, tftp = require_tool("curl"), require_tool("tftp")
    put(lab.root, "private", b"secret", mode=0o600)
    put(lab.work, "outside", b"outside")
    (lab.root / "escape").symlink_to(lab.work / "outside")
    lab.start()
    assert (
        lab.cli.run(
            [curl, "-sS", "-o", "/dev/null", f"tftp://{SERVER}/missing"], check=False
        ).returncode
        == 68
    )
    for name in ("../../etc/passwd", "..\\..\\etc\\passwd", "a/../../x", "escape", "private"):
        result = lab.raw(name)
        assert result.error is not None and result.error.code == 2, (name, result)
        assert result.data == b""
    assert lab.raw("/etc/passwd").error.code == 1  # taken under the root: not there
    r = lab.cli.run([tftp, SERVER, "-m", "binary", "-c", "put", str(lab.work / "outside"), "up"])
    assert "Error code 4" in r.stdout + r.stderr
    assert not (lab.root / "up").exists()
    logs = lab.logs()
    assert f"file {lab.root}/missing not found for 192.0.2.2" in logs
    assert f"cannot access {lab.root}/../../etc/passwd: Permission denied" in logs
    assert "unsupported request from 192.0.2.2" in logs
    lab.alive()


def test_tftp_max_reached_then_freed(lab: Setup) -> None:
    put(lab.root, "f", os.urandom(5000))
    lab.start("tftp-max=2")
    holders = [lab.cli.socket() for _ in range(2)]
    try:
        tids = []
        for s in holders:
            s.settimeout(5)
            s.sendto(b"\0\1f\0octet\0", (SERVER, 69))
            data, tid = s.recvfrom(1000)
            assert data[:4] == b"\0\3\0\1"  # DATA 1, never ACKed: the slot stays taken
            tids.append(tid)
        refused = lab.raw("f")
        assert refused.error is not None and refused.error.code == 0
        for s, tid in zip(holders, tids, strict=True):
            s.sendto(b"\0\5\0\0done\0", tid)  # abort: frees the slots
    finally:
        for s in holders:
            s.close()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # the server ends the aborted transfers asynchronously
        result = lab.raw("f")
        if result.error is None:
            break
        time.sleep(0.05)
    assert result.data == (lab.root / "f").read_bytes()
    assert "error 0 done received from 192.0.2.2" in lab.logs()
    lab.alive()


def test_unique_root_and_quiet(lab: Setup) -> None:
    put(lab.root, "cfg", b"generic")
    put(lab.root, "192.0.2.2/cfg", b"for this client")
    (lab.root / "192.0.2.2").chmod(0o755)
    lab.start("tftp-unique-root", "quiet-tftp")
    assert lab.raw("cfg").data == b"for this client"
    assert lab.raw("nope").error.code == 1
    logs = lab.logs()
    assert "sent " not in logs and "not found" not in logs
    lab.alive()


def test_block_number_rollover_34mb_at_512(lab: Setup) -> None:
    tftp = require_tool("tftp")
    put(lab.root, "huge", os.urandom(512 * 66000 + 100))  # > 65535 blocks of 512
    lab.start()
    out = lab.work / "huge.out"
    r = lab.cli.run(
        [tftp, "-v", SERVER, "-m", "binary", "-c", "get", "huge", str(out)], timeout=300
    )
    assert "Error code" not in r.stdout + r.stderr
    assert sha(out) == sha(lab.root / "huge")
    lab.alive()


def test_ipv6_and_per_interface_root(lab: Setup) -> None:
    curl = require_tool("curl")
    other = lab.work / "ifroot"
    other.mkdir(mode=0o755)
    put(lab.root, "which", b"global root")
    put(other, "which", b"interface root")
    put(other, "v6file", os.urandom(200_000))  # same interface: its own root
    lab.start(f"tftp-root={other},{lab.server_if}")
    assert lab.raw("which").data == b"interface root"
    out = lab.work / "v6.out"
    lab.cli.run([curl, "-sS", "--max-time", "60", "-o", str(out), "tftp://[2001:db8::1]/v6file"])
    assert sha(out) == sha(other / "v6file")
    lab.alive()


def test_enable_tftp_interface_list_excludes_other_interfaces(lab: Setup) -> None:
    curl = require_tool("curl")
    put(lab.root, "f", b"data")
    conf_lines = ["enable-tftp=lo"]  # only loopback: the veth gets no service
    lab.start(*conf_lines)
    r = lab.cli.run(
        [
            curl,
            "-sS",
            "--max-time",
            "3",
            "--connect-timeout",
            "3",
            "-o",
            "/dev/null",
            f"tftp://{SERVER}/f",
        ],
        check=False,
    )
    assert r.returncode != 0  # no answer at all (curl times out)
    local = lab.srv.run([curl, "-sS", "--max-time", "10", "tftp://127.0.0.1/f"], check=False)
    assert local.returncode == 0 and local.stdout == "data"
    lab.alive()


def test_secure_mode_after_dropping_to_nobody(lab: Setup) -> None:
    # pytest's temporary directories are 0700: nobody needs a root it can traverse.
    lab.root = Path(tempfile.mkdtemp(prefix="lanctl-tftp-"))
    try:
        lab.root.chmod(0o755)
        put(lab.root, "mine", b"owned by nobody")
        put(lab.root, "roots", b"owned by root")
        nobody = pwd.getpwnam("nobody")
        os.chown(lab.root / "mine", nobody.pw_uid, -1)
        group = grp.getgrgid(nobody.pw_gid).gr_name
        lab.start("tftp-secure", "user=nobody", f"group={group}")
        assert lab.raw("mine").data == b"owned by nobody"
        refused = lab.raw("roots")
        assert refused.error is not None and refused.error.code == 2
        lab.alive()
    finally:
        shutil.rmtree(lab.root)


def test_single_port_mode(lab: Setup) -> None:
    put(lab.root, "sp", os.urandom(100_000))
    lab.start("tftp-single-port")
    got = lab.raw("sp", (("blksize", "1468"), ("windowsize", "4")))
    assert got.data == (lab.root / "sp").read_bytes() and got.server_ports == {69}
    lab.alive()


def test_unique_root_mac(lab: Setup) -> None:
    put(lab.root, "cfg", b"generic")
    put(lab.root, "02-00-00-00-01-02/cfg", b"for this MAC")  # the client's veth MAC
    (lab.root / "02-00-00-00-01-02").chmod(0o755)
    lab.start("tftp-unique-root=mac")
    assert lab.raw("cfg").data == b"for this MAC"
    lab.alive()


def test_sigterm_during_a_transfer_stops_cleanly(lab: Setup) -> None:
    put(lab.root, "slow", os.urandom(100_000))
    lab.start()
    holder = lab.cli.socket()
    try:
        holder.settimeout(5)
        holder.sendto(b"\0\1slow\0octet\0", (SERVER, 69))
        assert holder.recvfrom(1000)[0][:4] == b"\0\3\0\1"  # a transfer is running
        assert lab.proc is not None
        lab.proc.terminate()
        assert lab.proc.wait(timeout=10) == 0
    finally:
        holder.close()
    logs = lab.logs()
    assert f"failed sending {lab.root}/slow to 192.0.2.2" in logs
    assert "exiting on receipt of SIGTERM" in logs
