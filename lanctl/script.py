"""--dhcp-script: dnsmasq's lease-change script, shared by DHCPv4 and TFTP.

Pure builders make one `ScriptJob` per event, with dnsmasq's arguments (`add|old|del <mac>
<ip> [hostname]`, `tftp <size> <peer> <path>`) and DNSMASQ_* environment (dnsmasq helper.c,
checked against dnsmasq 2.90 itself).  `ScriptRunner` runs jobs one at a time, in order,
from a bounded queue, so the packet loop never waits; the scripts are started by a helper
process forked before privileges are dropped (as dnsmasq does), which switches to
--dhcp-scriptuser if given and otherwise keeps the starting identity (root, by default).
`run_init` is --leasefile-ro's "init" call: its stdout is the lease database; a non-zero
exit is ScriptError (exit code 10 + status).
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from lanctl.errors import ConfigError, ScriptError
from lanctl.store.lease import ETHERNET, INFINITE, Lease4

if TYPE_CHECKING:
    import trio

    from lanctl.dhcp4.effects import ClientInfo

__all__ = [
    "ScriptJob",
    "ScriptRunner",
    "lease_job",
    "mac_text",
    "old_wanted",
    "run_init",
    "tftp_job",
]

log = logging.getLogger("lanctl.script")

QUEUE: Final = 4096  # events waiting for the script; more are dropped with a warning
STOP_GRACE: Final = 5.0  # seconds the helper gets to finish the running script at exit


@dataclass(frozen=True, slots=True)
class ScriptJob:
    """One script run: the arguments after the script path and the DNSMASQ_* variables."""

    args: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


def mac_text(hwtype: int, hwaddr: bytes) -> str:
    """The MAC as dnsmasq passes it: colon hex, "06-" type prefix for non-Ethernet types."""
    text = ":".join(f"{b:02x}" for b in hwaddr)
    if hwtype != ETHERNET or not hwaddr:
        return f"{hwtype:02x}-{text}"
    return text


def old_wanted(before: Lease4, after: Lease4, *, on_renewal: bool, leasefile_ro: bool) -> bool:
    """Whether an "old" event runs the script (dnsmasq man page, --dhcp-script)."""
    if (before.hwtype, before.hwaddr, before.hostname) != (
        after.hwtype,
        after.hwaddr,
        after.hostname,
    ):
        return True
    if leasefile_ro and (before.client_id != after.client_id or before.expires != after.expires):
        return True
    return on_renewal and before.expires != after.expires


def lease_job(
    action: str,
    lease: Lease4,
    now: int,
    *,
    domain: str | None = None,
    log_dhcp: bool = False,
    info: ClientInfo | None = None,
    iface: str | None = None,
    old_hostname: str | None = None,
) -> ScriptJob:
    """A DHCPv4 `add`/`old`/`del` run.

    dnsmasq 2.90 passes the request data (tags, supplied name, requested options, vendor
    class) with "add" only; "old" and "del" carry DNSMASQ_DATA_MISSING=1 instead, and
    "del" no DNSMASQ_TIME_REMAINING.  `iface` is the last interface known for the lease.
    """
    args = [action, mac_text(lease.hwtype, lease.hwaddr), str(lease.address)]
    if lease.hostname:
        args.append(lease.hostname)
    env: dict[str, str] = {}
    if lease.client_id is not None:
        env["DNSMASQ_CLIENT_ID"] = ":".join(f"{b:02x}" for b in lease.client_id)
    if domain and lease.hostname:
        env["DNSMASQ_DOMAIN"] = domain
    env["DNSMASQ_LEASE_EXPIRES"] = str(lease.expires)
    if action != "del" and lease.expires != INFINITE and lease.expires > now:
        env["DNSMASQ_TIME_REMAINING"] = str(lease.expires - now)
    where = info.iface if info is not None else iface
    if where:
        env["DNSMASQ_INTERFACE"] = where
    if log_dhcp:
        env["DNSMASQ_LOG_DHCP"] = "1"
    if info is not None and info.relay:
        env["DNSMASQ_RELAY_ADDRESS"] = info.relay
    if old_hostname:
        env["DNSMASQ_OLD_HOSTNAME"] = old_hostname
    if action == "add" and info is not None:
        if info.supplied_hostname:
            env["DNSMASQ_SUPPLIED_HOSTNAME"] = info.supplied_hostname
        if info.requested_options:
            env["DNSMASQ_REQUESTED_OPTIONS"] = ",".join(map(str, info.requested_options))
        if info.vendor_class:
            env["DNSMASQ_VENDOR_CLASS"] = info.vendor_class.decode("latin-1")
        if info.tags:
            env["DNSMASQ_TAGS"] = " ".join(info.tags)
    else:
        env["DNSMASQ_DATA_MISSING"] = "1"
    return ScriptJob(tuple(args), tuple(sorted(env.items())))


def tftp_job(size: int, peer: str, path: str) -> ScriptJob:
    """A completed TFTP transfer: `tftp <size in bytes> <peer address> <full path>`."""
    return ScriptJob(("tftp", str(size), peer, path))


def _identity(user: str | None) -> tuple[int, int] | None:
    if not user:
        return None
    try:
        pw = pwd.getpwnam(user)
    except KeyError:
        raise ConfigError(f"unknown user or group: {user}") from None
    return pw.pw_uid, pw.pw_gid


def _become(user: str | None) -> None:
    """Switch to --dhcp-scriptuser (root only; otherwise there is nothing to change)."""
    ident = _identity(user)
    if ident is None or os.geteuid() != 0 or ident[0] == 0:
        return
    assert user is not None
    os.setgroups(os.getgrouplist(user, ident[1]))
    os.setgid(ident[1])
    os.setuid(ident[0])


def run_init(script: str, user: str | None) -> str:
    """--leasefile-ro: `<script> init`; its stdout (a dnsmasq lease file) or ScriptError."""
    ident = _identity(user)
    as_root = os.geteuid() == 0 and ident is not None
    try:
        res = subprocess.run(
            [script, "init"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            check=False,
            user=ident[0] if as_root and ident else None,
            group=ident[1] if as_root and ident else None,
        )
    except OSError as exc:
        raise ScriptError(f"cannot run lease-init script {script}: {exc.strerror}", 0) from exc
    if res.returncode != 0:
        rc = res.returncode if res.returncode > 0 else 128 - res.returncode
        raise ScriptError(f"lease-init script returned exit code {rc}", rc)
    return res.stdout.decode("utf-8", errors="replace")


def _run_one(script: str, job: Mapping[str, object]) -> dict[str, object]:
    raw_args, raw_env = job["args"], job["env"]
    assert isinstance(raw_args, list) and isinstance(raw_env, list)
    args = [str(a) for a in raw_args]
    env = dict(os.environ)
    env.update({str(k): str(v) for k, v in raw_env})
    try:
        res = subprocess.run(
            [script, *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
    except OSError as exc:
        return {"rc": -1, "out": f"failed to execute {script}: {exc.strerror}"}
    return {"rc": res.returncode, "out": res.stdout.decode("utf-8", errors="replace")}


def helper_main(argv: list[str]) -> int:
    """The helper process: `python -m lanctl.script SCRIPT [USER]`; JSON lines in and out."""
    script, user = argv[0], (argv[1] if len(argv) > 1 else None)
    _become(user)
    for line in sys.stdin:
        result = _run_one(script, json.loads(line))
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    return 0


class ScriptRunner:
    """Queue of script runs, executed serially by the helper process, never blocking."""

    def __init__(self, script: str, user: str | None) -> None:
        import trio

        _identity(user)  # an unknown user is a configuration error before anything starts
        self.script = script
        self.user = user
        self.dropped = 0
        self._send, self._receive = trio.open_memory_channel[ScriptJob](QUEUE)

    def submit(self, job: ScriptJob) -> None:
        import trio

        try:
            self._send.send_nowait(job)
        except trio.WouldBlock:
            self.dropped += 1
            log.warning("script queue full: %s %s not run", job.args[0], " ".join(job.args[1:]))

    def close(self) -> None:
        """No more jobs: `run` returns once the queued ones have run."""
        self._send.close()

    async def run(self, *, task_status: trio.TaskStatus[None]) -> None:
        """Start the helper (call before the privilege drop), then run jobs until cancelled."""
        import trio

        argv = [sys.executable, "-m", "lanctl.script", self.script]
        if self.user:
            argv.append(self.user)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        proc = await trio.lowlevel.open_process(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
        )
        assert proc.stdin is not None and proc.stdout is not None
        task_status.started()
        buffer = b""
        try:
            async for job in self._receive:
                line = json.dumps({"args": job.args, "env": job.env}) + "\n"
                await proc.stdin.send_all(line.encode())
                while b"\n" not in buffer:
                    chunk = await proc.stdout.receive_some(65536)
                    if not chunk:
                        log.error("script helper exited; %s not run", job.args[0])
                        return
                    buffer += chunk
                raw, _, buffer = buffer.partition(b"\n")
                self._report(json.loads(raw))
        finally:
            with trio.move_on_after(STOP_GRACE) as scope:
                scope.shield = True
                await proc.stdin.aclose()
                await proc.wait()
            if proc.returncode is None:
                proc.kill()

    def _report(self, result: Mapping[str, object]) -> None:
        for text in str(result.get("out", "")).splitlines():
            log.info("script: %s", text)
        if result.get("rc") not in (0, None):
            log.debug("script exited with status %s", result.get("rc"))


if __name__ == "__main__":
    sys.exit(helper_main(sys.argv[1:]))
