"""Helpers for the DHCPv4 namespace tests: servers (lanctl, dnsmasq), real clients, a sniffer.

Hook scripts append one block per event (`EVENT <name>` then `env`, then `END`) so tests
read what each client received; the udhcpc and dhclient hooks also apply the address, as
TESTING.md §4 asks.  `Sniffer` records DHCP payloads seen on a namespace's interfaces
with an AF_PACKET socket (used to capture golden packets from real clients).
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import require_tool
from tests.support.netns import Namespace

REPO = Path(__file__).resolve().parents[2]
SERVER = "192.0.2.1"

BASE_CONF = [
    "port=0",
    "no-ping",
    "user=",
    "pid-file=",
    "log-facility=-",
    "log-dhcp",
]


def wait_for(
    pred: Callable[[], Any], what: str, timeout: float = 30.0, log: Path | None = None
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


def listening(ns: Namespace, port: int = 67) -> bool:
    out = ns.run(["ss", "-Hlnu"]).stdout
    return any(
        len(f) > 3 and f[3].endswith(f":{port}")
        for f in (line.split() for line in out.splitlines())
    )


@dataclass
class Server:
    proc: subprocess.Popen[Any]
    log: Path
    conf: Path
    leasefile: Path

    def alive(self) -> None:
        assert self.proc.poll() is None, self.log.read_text()[-3000:]

    def lease_lines(self) -> list[str]:
        if not self.leasefile.exists():
            return []
        return [x for x in self.leasefile.read_text().splitlines() if x.strip()]


def start_server(
    kind: str,
    ns: Namespace,
    work: Path,
    *extra: str,
    command: tuple[str, ...] = ("dhcp", "serve"),
    without: tuple[str, ...] = (),
    port: int = 67,
) -> Server:
    """Start lanctl (`lanctl dhcp serve` or `command`) or dnsmasq with the same lines.

    `without` removes BASE_CONF lines (e.g. "user=" to drop to nobody, "no-ping").
    """
    work.chmod(0o755)
    leasefile = work / f"{kind}.leases"
    conf = work / f"{kind}.conf"
    base = [x for x in BASE_CONF if x not in without]
    base = base if command != ("all",) else [x for x in base if x != "port=0"]
    lines = [*base, f"dhcp-leasefile={leasefile}", *extra]
    if kind == "lanctl":
        lines.append(f"control-socket={work}/ctl.sock")
        argv = [sys.executable, "-m", "lanctl", *command, "-C", str(conf)]
    else:
        argv = ["dnsmasq", "-k", "-C", str(conf)]
    conf.write_text("\n".join(lines) + "\n")
    log = work / f"{kind}.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("wb") as out:
        proc = ns.popen(argv, stdout=out, env=env, cwd=REPO)
    server = Server(proc, log, conf, leasefile)

    def up() -> bool:
        server.alive()
        return listening(ns, port)

    wait_for(up, f"{kind} listening on {port}", 15, log)
    return server


HOOK = """#!/bin/sh
{{ echo "EVENT ${{1:-$reason}}"; env; echo END; }} >> {events}
{apply}
exit 0
"""
UDHCPC_APPLY = """case "$1" in
  bound|renew) ip addr replace "$ip/$mask" dev "$interface" ;;
  deconfig) ip -4 addr flush dev "$interface" scope global 2>/dev/null ;;
esac"""
DHCLIENT_APPLY = """case "$reason" in
  PREINIT) ip link set "$interface" up ;;
  BOUND|RENEW|REBIND|REBOOT) ip addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
  RELEASE|EXPIRE|STOP) [ -n "$old_ip_address" ] &&
    ip addr del "$old_ip_address/$old_subnet_mask" dev "$interface" ;;
esac"""


def write_hook(work: Path, name: str, apply: str = "") -> tuple[Path, Path]:
    events = work / f"{name}.events"
    hook = work / f"{name}.hook"
    hook.write_text(HOOK.format(events=events, apply=apply))
    hook.chmod(0o755)
    return hook, events


def read_events(path: Path) -> list[tuple[str, dict[str, str]]]:
    """The hook's blocks as (event, environment)."""
    if not path.exists():
        return []
    out: list[tuple[str, dict[str, str]]] = []
    env: dict[str, str] = {}
    event = ""
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("EVENT "):
            event, env = line[6:], {}
        elif line == "END":
            out.append((event, env))
        elif "=" in line:
            key, _, value = line.partition("=")
            env[key] = value
    return out


def event(path: Path, names: tuple[str, ...]) -> dict[str, str] | None:
    found = [env for ev, env in read_events(path) if ev in names]
    return found[-1] if found else None


def udhcpc_once(cli: Namespace, ifname: str, work: Path, *extra: str) -> dict[str, str]:
    """udhcpc one-shot: the environment of its `bound` event."""
    tool = require_tool("udhcpc")
    hook, events = write_hook(work, "udhcpc", UDHCPC_APPLY)
    argv = [tool, "-f", "-q", "-n", "-i", ifname, "-s", str(hook), "-t", "6", "-T", "3", *extra]
    res = cli.run(argv, check=False, timeout=60)
    env = event(events, ("bound",))
    assert res.returncode == 0 and env is not None, res.stdout + res.stderr
    return env


def dhclient_conf(work: Path, hostname: str | None) -> Path:
    conf = work / "dhclient.conf"
    lines = ["initial-interval 1;", "timeout 30;", "retry 5;"]
    if hostname:
        lines.append(f'send host-name "{hostname}";')
    lines.append(
        "request subnet-mask, broadcast-address, routers, domain-name-servers, domain-name;"
    )
    conf.write_text("\n".join(lines) + "\n")
    return conf


def dhclient_argv(work: Path, ifname: str, hook: Path, conf: Path, *extra: str) -> list[str]:
    tool = require_tool("dhclient")
    return [
        tool, "-4", "-d", "-1", "-cf", str(conf), "-sf", str(hook),
        "-lf", str(work / "dhclient.leases"), "-pf", str(work / "dhclient.pid"), *extra, ifname,
    ]  # fmt: skip


def dhcpcd_conf(work: Path, hostname: str) -> Path:
    conf = work / "dhcpcd.conf"
    conf.write_text(
        "\n".join(
            [
                f"hostname {hostname}",
                "noarp",
                "noipv4ll",
                "ipv4only",
                "clientid",
                "option domain_name_servers, domain_name, host_name",
            ]
        )
        + "\n"
    )
    return conf


@contextlib.contextmanager
def dhcpcd_state(ifname: str) -> Iterator[None]:
    """dhcpcd keeps global state in /var/lib/dhcpcd: clear this interface's before and after."""

    def clean() -> None:
        base = Path("/var/lib/dhcpcd")
        if base.is_dir():
            for path in base.glob(f"{ifname}*"):
                with contextlib.suppress(OSError):
                    path.unlink()

    clean()
    try:
        yield
    finally:
        clean()


class Sniffer:
    """Records UDP payloads to or from ports 67/68 seen in a namespace (AF_PACKET)."""

    def __init__(self, ns: Namespace) -> None:
        self.sock = ns.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.sock.settimeout(0.2)
        self.frames: list[tuple[str, int, int, bytes]] = []  # (dst IP, sport, dport, payload)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                frame, meta = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            if meta[2] == socket.PACKET_OUTGOING:
                continue  # each frame once: as received on its interface
            ihl = (frame[0] & 0x0F) * 4
            if len(frame) < ihl + 8 or frame[9] != 17:
                continue
            sport, dport = struct.unpack_from("!HH", frame, ihl)
            if {sport, dport} & {67, 68}:
                self.frames.append((socket.inet_ntoa(frame[16:20]), sport, dport, frame[ihl + 8 :]))

    @property
    def packets(self) -> list[tuple[int, int, bytes]]:
        """(sport, dport, payload) of every DHCP datagram seen so far."""
        return [(sport, dport, payload) for _dst, sport, dport, payload in list(self.frames)]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()
