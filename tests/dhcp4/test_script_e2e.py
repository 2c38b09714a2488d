"""--dhcp-script, --leasefile-ro init and --dhcp-hostsdir with real clients in namespaces.

The same udhcpc session (bind, renew, release) runs against dnsmasq and `lanctl dhcp
serve` with a script that logs its arguments and DNSMASQ_* variables; the argument lines
and the variable names must be the same (differential).  Server 192.0.2.1/24 in `srv`,
the client (MAC 02:00:00:00:01:02) in `cli`; documentation addresses only.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dhcp4.netlab import (
    REPO,
    UDHCPC_APPLY,
    event,
    start_server,
    udhcpc_once,
    wait_for,
    write_hook,
)
from tests.support import require_tool
from tests.support.netns import Lab, Namespace

CLIENT_MAC = "02:00:00:00:01:02"
RANGE = "dhcp-range=192.0.2.50,192.0.2.99,12h"
# Variables whose values depend on the clock; DNSMASQ_TAGS is compared as a set.
VOLATILE = {"DNSMASQ_LEASE_EXPIRES", "DNSMASQ_TIME_REMAINING", "DNSMASQ_TAGS"}


@dataclass
class Setup:
    srv: Namespace
    cli: Namespace
    srv_if: str
    cli_if: str
    work: Path


@pytest.fixture
def lab(netns: Lab, tmp_path: Path) -> Iterator[Setup]:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], [])
    assert link.b_mac == CLIENT_MAC
    yield Setup(srv, cli, link.a_if, link.b_if, tmp_path)


def write_script(work: Path, body: str = "") -> tuple[Path, Path]:
    out = work / "script.out"
    script = work / "script.sh"
    script.write_text(
        f'#!/bin/sh\n{{ echo "ARGS $*"; env | grep ^DNSMASQ_ | sort; echo END; }} >> {out}\n' + body
    )
    script.chmod(0o755)
    return script, out


def runs(out: Path) -> list[tuple[str, dict[str, str]]]:
    """(argument line, DNSMASQ_* variables) per script run."""
    found: list[tuple[str, dict[str, str]]] = []
    if not out.exists():
        return found
    args, env = "", {}
    for line in out.read_text().splitlines():
        if line.startswith("ARGS "):
            args, env = line[5:], {}
        elif line == "END":
            found.append((args, env))
        else:
            key, _, value = line.partition("=")
            env[key] = value
    return found


def session(lab: Setup, kind: str) -> list[tuple[str, dict[str, str]]]:
    """Bind, renew once the clock has moved on (so the expiry changes), release."""
    work = lab.work / kind
    work.mkdir()
    script, out = write_script(work)
    server = start_server(
        kind,
        lab.srv,
        work,
        RANGE,
        f"dhcp-host={CLIENT_MAC},192.0.2.20",
        "domain=example.test",
        f"dhcp-script={script}",
        "script-on-renewal",
    )
    hook, events = write_hook(work, "udhcpc", UDHCPC_APPLY)
    argv = [require_tool("udhcpc"), "-f", "-i", lab.cli_if, "-s", str(hook)]
    proc = lab.cli.popen([*argv, "-x", "hostname:udbox", "-t", "6", "-T", "3"])
    try:
        wait_for(lambda: event(events, ("bound",)), "bound", log=server.log)
        wait_for(lambda: any(a.startswith("add ") for a, _ in runs(out)), "add", log=server.log)
        bound_at = int(time.time())
        wait_for(lambda: int(time.time()) > bound_at, "the next second")
        proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: any(a.startswith("old ") for a, _ in runs(out)), "old", log=server.log)
        proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: any(a.startswith("del ") for a, _ in runs(out)), "del", log=server.log)
    finally:
        proc.terminate()
        proc.wait(10)
    server.alive()
    server.proc.terminate()
    server.proc.wait(10)
    return runs(out)


def _first_of_each(found: list[tuple[str, dict[str, str]]]) -> list[tuple[str, dict[str, str]]]:
    seen: set[str] = set()
    out = []
    for args, env in found:
        if args not in seen:
            seen.add(args)
            out.append((args, env))
    return out


def test_add_old_del_match_dnsmasq(lab: Setup) -> None:
    theirs = _first_of_each(session(lab, "dnsmasq"))
    ours = _first_of_each(session(lab, "lanctl"))
    expected = [
        "add 02:00:00:00:01:02 192.0.2.20 udbox",
        "old 02:00:00:00:01:02 192.0.2.20 udbox",
        "del 02:00:00:00:01:02 192.0.2.20 udbox",
    ]
    assert [a for a, _ in theirs] == expected
    assert [a for a, _ in ours] == expected
    for (args, env_d), (_, env_l) in zip(theirs, ours, strict=True):
        assert sorted(env_l) == sorted(env_d), args
        fixed = {k: v for k, v in env_d.items() if k not in VOLATILE}
        assert {k: v for k, v in env_l.items() if k not in VOLATILE} == fixed, args
        assert env_l.get("DNSMASQ_INTERFACE") == lab.srv_if
        tags = sorted(env_l.get("DNSMASQ_TAGS", "").split())
        assert tags == sorted(env_d.get("DNSMASQ_TAGS", "").split()), args
    add_env = ours[0][1]
    assert add_env["DNSMASQ_TIME_REMAINING"] == "43200"
    assert sorted(add_env["DNSMASQ_TAGS"].split()) == ["known", lab.srv_if]


def _lanctl(lab: Setup, conf: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "lanctl", "dhcp", "serve", "-C", str(conf)]
    return lab.srv.run(argv, check=False, timeout=60, env=env)


def test_leasefile_ro_init_failure_exits_10_plus_status(lab: Setup) -> None:
    script, _ = write_script(lab.work, '[ "$1" = init ] && exit 4\nexit 0\n')
    conf = lab.work / "ro.conf"
    lines = ["port=0", "user=", "pid-file=", "log-facility=-", RANGE, "leasefile-ro"]
    lines.append(f"control-socket={lab.work}/ctl.sock")
    conf.write_text("\n".join([*lines, f"dhcp-script={script}"]) + "\n")
    res = _lanctl(lab, conf)
    assert res.returncode == 14, res.stdout + res.stderr
    assert "lease-init script returned exit code 4" in res.stdout + res.stderr
    assert "started" not in res.stdout + res.stderr
    theirs = lab.work / "dnsmasq.conf"
    theirs.write_text("\n".join([*lines[:-1], f"dhcp-script={script}"]) + "\n")
    ref = lab.srv.run(["dnsmasq", "-k", "-C", str(theirs)], check=False, timeout=60)
    assert ref.returncode == res.returncode, ref.stdout + ref.stderr
    assert "lease-init script returned exit code 4" in ref.stdout + ref.stderr


def test_leasefile_ro_init_leases_are_kept_and_no_file_written(lab: Setup) -> None:
    expiry = int(time.time()) + 3600
    line = f"{expiry} {CLIENT_MAC} 192.0.2.77 keeper 01:{CLIENT_MAC}"
    script, out = write_script(lab.work, f'[ "$1" = init ] && echo "{line}"\nexit 0\n')
    server = start_server(
        "lanctl", lab.srv, lab.work, RANGE, "leasefile-ro", f"dhcp-script={script}"
    )
    env = udhcpc_once(lab.cli, lab.cli_if, lab.work)
    assert env["ip"] == "192.0.2.77"  # the lease the script's init returned
    # The script runs after the ACK went out: wait for its second run (no sleeps).
    found = wait_for(lambda: runs(out) if len(runs(out)) >= 2 else None, "2 script runs", 15)
    assert found[0][0] == "init"
    # As dnsmasq: no start-up "old" for the leases init printed; the client's request
    # (expiry changed, which --leasefile-ro reports) is the first event, with its interface.
    args, env_vars = found[1]
    assert args == f"old {CLIENT_MAC} 192.0.2.77 keeper"
    assert env_vars["DNSMASQ_INTERFACE"] == lab.srv_if
    assert not server.leasefile.exists()
    server.alive()


def test_hostsdir_file_added_while_running_is_used(lab: Setup) -> None:
    hostsdir = lab.work / "hosts.d"
    hostsdir.mkdir()
    server = start_server("lanctl", lab.srv, lab.work, RANGE, f"dhcp-hostsdir={hostsdir}")
    (hostsdir / "client").write_text(f"{CLIENT_MAC},192.0.2.33,dirbox\n")
    wait_for(
        lambda: f"read {hostsdir}/client" in server.log.read_text(), "dir read", log=server.log
    )
    env = udhcpc_once(lab.cli, lab.cli_if, lab.work)
    assert env["ip"] == "192.0.2.33" and env.get("hostname") == "dirbox"
    server.alive()


@pytest.mark.parametrize(("scriptuser", "uid"), [(None, "0"), ("nobody", "65534")])
def test_script_identity_after_privilege_drop(lab: Setup, scriptuser: str | None, uid: str) -> None:
    """dnsmasq runs the script as root even after dropping to --user, or as --dhcp-scriptuser."""
    shared = Path(tempfile.mkdtemp(prefix="lanctl-script-"))  # reachable by nobody
    shared.chmod(0o755)
    out = shared / "ids"
    out.touch(mode=0o666)
    out.chmod(0o666)
    script = shared / "id.sh"
    script.write_text(f'#!/bin/sh\n[ "$1" = init ] && exit 0\necho "$1 $(id -u)" >> {out}\n')
    script.chmod(0o755)
    lab.work.chmod(0o755)
    conf = lab.work / "drop.conf"
    lines = ["port=0", "no-ping", "user=nobody", "pid-file=", "log-facility=-", RANGE]
    lines += ["leasefile-ro", f"dhcp-script={script}", f"control-socket={lab.work}/ctl.sock"]
    if scriptuser:
        lines.append(f"dhcp-scriptuser={scriptuser}")
    conf.write_text("\n".join(lines) + "\n")
    log = lab.work / "drop.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "lanctl", "dhcp", "serve", "-C", str(conf)]
    with log.open("wb") as sink:
        proc = lab.srv.popen(argv, stdout=sink, env=env, cwd=REPO)
    try:
        wait_for(lambda: proc.poll() is None and "started" in log.read_text(), "start", log=log)
        udhcpc_once(lab.cli, lab.cli_if, lab.work)
        wait_for(lambda: "add " in out.read_text(), "add", log=log)
        assert out.read_text().splitlines()[0] == f"add {uid}"
        server_uid = lab.srv.run(["ps", "-o", "uid=", "-p", str(proc.pid)]).stdout.strip()
        assert server_uid == "65534"  # the server itself did drop
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(shared)
