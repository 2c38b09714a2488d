"""Helpers for the namespace tests: start lanctl or dnsmasq as TFTP servers and wait for :69."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.netns import Namespace

REPO = Path(__file__).resolve().parents[2]


def make_root(base: Path) -> Path:
    """A world-readable TFTP root (the servers may drop privileges to nobody)."""
    base.chmod(0o755)
    root = base / "root"
    root.mkdir(mode=0o755)
    root.chmod(0o755)
    return root


def put(root: Path, name: str, data: bytes, mode: int = 0o644) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)
    return path


def wait_listening(ns: Namespace, proc: subprocess.Popen[Any], log: Path, port: int = 69) -> None:
    """Poll `ss -Hlnu` until the port is bound; fail with the log tail if the server died."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()[-2000:]}")
        out = ns.run(["ss", "-Hlnu"]).stdout
        if any(line.split()[3].endswith(f":{port}") for line in out.splitlines() if line.split()):
            return
        time.sleep(0.2)
    raise AssertionError(f"port {port} never bound: {log.read_text()[-2000:]}")


def start_lanctl(
    ns: Namespace, workdir: Path, root: Path, *extra: str
) -> tuple[subprocess.Popen[Any], Path]:
    conf = workdir / "lanctl.conf"
    lines = [
        "enable-tftp",
        f"tftp-root={root}",
        "port=0",
        *(() if any(e.startswith("user=") for e in extra) else ("user=",)),
        "pid-file=",
        f"control-socket={workdir}/ctl.sock",
        "log-facility=-",
        *extra,
    ]
    conf.write_text("\n".join(lines) + "\n")
    log = workdir / "lanctl.log"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("wb") as out:
        proc = ns.popen(
            [sys.executable, "-m", "lanctl", "tftp", "serve", "-C", str(conf)],
            stdout=out,
            env=env,
            cwd=REPO,
        )
    wait_listening(ns, proc, log)
    return proc, log


def start_dnsmasq(
    ns: Namespace, workdir: Path, root: Path, *extra: str
) -> tuple[subprocess.Popen[Any], Path]:
    log = workdir / "dnsmasq.log"
    argv = [
        "dnsmasq", "-k", "--port=0", "--enable-tftp", f"--tftp-root={root}", "--pid-file=",
        "--user=root", "--group=root", "--log-facility=-", "--conf-file=/dev/null", *extra,
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = ns.popen(argv, stdout=out)
    wait_listening(ns, proc, log)
    return proc, log
