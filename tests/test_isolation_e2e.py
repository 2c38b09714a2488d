"""`lanctl all` in network namespaces: one service fails after start-up, DNS keeps answering.

The server runs DNS on 127.0.0.1:5300 plus TFTP (port 69) or DHCPv4 (port 67) inside
throw-away namespaces, as user nobody (so the restarted service binds its port again after
the privilege drop).  tests/support/run_lanctl_with_fault.py makes the TFTP or DHCP
receive loop raise outside its per-packet boundary; the supervisor must log one ERROR
line, keep DNS answering `dig`, restart the failed service after its back-off and count
the restart.  The restarted DHCP service must know the leases granted before the fault
(reloaded from the lease store, as at start-up).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lanctl.control.client import request
from lanctl.errors import ControlError
from lanctl.tftp.wire import Opcode, Request, encode_request
from tests.dhcp4.netlab import udhcpc_once
from tests.support import require_tool
from tests.support.netns import Lab, Namespace
from tests.tftp.client import fetch

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "tests" / "support" / "run_lanctl_with_fault.py"
DNS_PORT = 5300
HANG_GUARD = 30.0  # seconds; only stops a hung test


@pytest.fixture
def work() -> Iterator[Path]:
    """A short, world-searchable directory (nobody reads the TFTP root after the drop)."""
    path = Path(tempfile.mkdtemp(prefix="lanctl-iso-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def dig(ns: Namespace, name: str, port: int = DNS_PORT) -> str:
    out = ns.run(["dig", "@127.0.0.1", "-p", str(port), name, "A", "+short", "+tries=3", "+time=2"])
    return out.stdout.strip()


def wait_for(log: Path, needle: str, proc: subprocess.Popen[Any]) -> str:
    deadline = time.monotonic() + HANG_GUARD
    while needle not in (text := log.read_text() if log.exists() else ""):
        assert proc.poll() is None, f"lanctl exited {proc.returncode}:\n{text}"
        assert "giving up" not in text, text
        assert time.monotonic() < deadline, f"{needle!r} never logged:\n{text}"
        time.sleep(0.05)
    return text


def wait_ready(sock: Path, proc: subprocess.Popen[Any], log: Path) -> Any:
    deadline = time.monotonic() + HANG_GUARD
    while True:
        assert proc.poll() is None, f"lanctl exited {proc.returncode}:\n{log.read_text()}"
        try:
            return request(str(sock), "ping", timeout=1)
        except ControlError:
            assert time.monotonic() < deadline, "control socket never answered"
            time.sleep(0.05)


def tftp_root_and_hosts(work: Path, size: int) -> tuple[Path, bytes]:
    """A TFTP root with boot.bin (`size` random bytes, world-readable: nobody serves it)
    and a hosts file naming one.lan; (root, the file's bytes)."""
    root = work / "root"
    root.mkdir(mode=0o755)
    payload = os.urandom(size)
    (root / "boot.bin").write_bytes(payload)
    (root / "boot.bin").chmod(0o644)
    (work / "hosts").write_text("192.0.2.7 one.lan\n")
    return root, payload


@pytest.mark.skipif(os.geteuid() != 0, reason="port 69 and the user change need root")
def test_dns_keeps_answering_while_a_failed_tftp_is_restarted(netns: Lab, work: Path) -> None:
    require_tool("dig")
    nobody = pwd.getpwnam("nobody")
    ns = netns("iso")
    root, payload = tftp_root_and_hosts(work, 3000)
    log, sock = work / "lanctl.log", work / "c.sock"
    conf = work / "lanctl.conf"
    conf.write_text(
        f"port={DNS_PORT}\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\n"
        f"addn-hosts={work / 'hosts'}\nenable-tftp\ntftp-root={root}\n"
        f"user=nobody\npid-file=\ncontrol-socket={sock}\nlog-facility={log}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, str(RUNNER), "tftp:1", "all", "-C", str(conf)]
    proc = ns.popen(argv, stdout=subprocess.PIPE, env=env, cwd=REPO)
    try:
        pid = wait_ready(sock, proc, log)["pid"]
        assert dig(ns, "one.lan") == "192.0.2.7"
        status = Path(f"/proc/{pid}/status").read_text()
        assert f"Uid:\t{nobody.pw_uid}\t" in status  # restarts happen after the drop

        # One RRQ: the TFTP listener fails on it (the injected fault).
        with ns.socket() as client:
            client.sendto(
                encode_request(Request(Opcode.RRQ, "boot.bin", "octet")), ("127.0.0.1", 69)
            )
        text = wait_for(log, "tftp: service failed", proc)
        assert (
            f"lanctl[{pid}]: tftp: service failed: RuntimeError: injected fault in the tftp "
            "receive loop; restarting in 1 s\n"
        ) in text
        assert "Traceback" not in text
        assert dig(ns, "one.lan") == "192.0.2.7"  # DNS still answers

        wait_for(log, "tftp: service restarted (1 restarts)", proc)
        got = fetch("127.0.0.1", 69, "boot.bin", make_socket=ns.socket)
        assert got.error is None and got.data == payload  # the restarted TFTP serves
        assert dig(ns, "one.lan") == "192.0.2.7"

        stats = subprocess.run(
            [sys.executable, "-m", "lanctl", "cache", "stats", "--json", "-C", str(conf)],
            capture_output=True, text=True, timeout=60, check=False, env=env, cwd=REPO,
        )  # fmt: skip
        assert stats.returncode == 0, stats.stderr
        counters = json.loads(stats.stdout)
        assert (counters["dns"]["restarts"], counters["tftp"]["restarts"]) == (0, 1)

        proc.send_signal(signal.SIGUSR1)
        wait_for(log, "tftp: 1 restarts, 1 failures, last: RuntimeError: injected fault", proc)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert f"lanctl[{pid}]: exiting on receipt of SIGTERM\n" in log.read_text()


@pytest.mark.skipif(os.geteuid() != 0, reason="port 53 and the user change need root")
def test_tftp_keeps_serving_while_a_failed_dns_is_restarted_on_port_53(
    netns: Lab, work: Path
) -> None:
    require_tool("dig")
    ns = netns("iso")
    root, payload = tftp_root_and_hosts(work, 2000)
    log, sock = work / "lanctl.log", work / "c.sock"
    conf = work / "lanctl.conf"
    conf.write_text(
        f"listen-address=127.0.0.1\nno-resolv\nno-hosts\naddn-hosts={work / 'hosts'}\n"
        f"enable-tftp\ntftp-root={root}\nuser=nobody\npid-file=\ncontrol-socket={sock}\n"
        f"log-facility={log}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, str(RUNNER), "dns:1", "all", "-C", str(conf)]
    proc = ns.popen(argv, stdout=subprocess.PIPE, env=env, cwd=REPO)
    try:
        pid = wait_ready(sock, proc, log)["pid"]
        with ns.socket() as client:  # the first DNS query ends the DNS service
            client.sendto(b"\x00" * 12, ("127.0.0.1", 53))
        text = wait_for(log, "dns: service failed", proc)
        assert (
            f"lanctl[{pid}]: dns: service failed: RuntimeError: injected fault in the dns "
            "receive loop; restarting in 1 s\n"
        ) in text
        got = fetch("127.0.0.1", 69, "boot.bin", make_socket=ns.socket)
        assert got.error is None and got.data == payload  # TFTP still serves

        wait_for(log, "dns: service restarted (1 restarts)", proc)  # port 53 again, as nobody
        assert dig(ns, "one.lan", 53) == "192.0.2.7"
        counters = request(str(sock), "stats")
        assert (counters["dns"]["restarts"], counters["tftp"]["restarts"]) == (1, 0)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="port 67 and the user change need root")
@pytest.mark.parametrize(
    "user",
    ["", "nobody"],  # as nobody: the store kept open across the restart (dhcp4/keptstore.py)
    ids=["as-root", "as-nobody"],
)
def test_a_restarted_dhcp_service_reloads_its_leases_from_the_store(
    netns: Lab, work: Path, user: str
) -> None:
    require_tool("dig")
    require_tool("udhcpc")
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], [])
    (work / "hosts").write_text("192.0.2.7 one.lan\n")
    log, sock, leases = work / "lanctl.log", work / "c.sock", work / "lanctl.leases"
    conf = work / "lanctl.conf"
    conf.write_text(
        f"port={DNS_PORT}\nlisten-address=127.0.0.1,192.0.2.1\nno-resolv\nno-hosts\n"
        f"addn-hosts={work / 'hosts'}\ndhcp-range=192.0.2.50,192.0.2.99,12h\nno-ping\n"
        f"dhcp-leasefile={leases}\nuser={user}\npid-file=\ncontrol-socket={sock}\n"
        f"log-facility={log}\nlog-dhcp\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # DISCOVER and REQUEST are served; the third DHCP datagram hits the fault.
    argv = [sys.executable, str(RUNNER), "dhcp4:1:2", "all", "-C", str(conf)]
    proc = srv.popen(argv, stdout=subprocess.PIPE, env=env, cwd=REPO)
    try:
        pid = wait_ready(sock, proc, log)["pid"]
        ip = udhcpc_once(cli, link.b_if, work)["ip"]
        assert [x["address"] for x in request(str(sock), "leases.list")["dhcp4"]] == [ip]

        with cli.socket() as client:  # any datagram to port 67 now ends the DHCP service
            client.sendto(b"\x01", ("192.0.2.1", 67))
        text = wait_for(log, "dhcp4: service failed", proc)
        assert (
            f"lanctl[{pid}]: dhcp4: service failed: RuntimeError: injected fault in the "
            "dhcp4 receive loop; restarting in 1 s\n"
        ) in text
        assert dig(srv, "one.lan") == "192.0.2.7"  # DNS still answers

        wait_for(log, "dhcp4: service restarted (1 restarts)", proc)
        # A new DHCP engine: it can only know the lease from the store.
        assert [x["address"] for x in request(str(sock), "leases.list")["dhcp4"]] == [ip]
        assert request(str(sock), "stats")["dhcp4"]["restarts"] == 1
        again = udhcpc_once(cli, link.b_if, work)
        assert again["ip"] == ip
        assert dig(srv, "one.lan") == "192.0.2.7"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=HANG_GUARD) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert f"{ip} " in leases.read_text(), log.read_text()
    assert "readonly database" not in log.read_text()  # the store's upkeep works as nobody
