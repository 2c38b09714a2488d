"""The process supervisor: start the enabled services, then live by dnsmasq's signals.

`run(cfg, only=...)` checks that every wanted service is implemented (exit 5, before
anything is bound; a configuration enabling nothing is also exit 5, "nothing to do", where
dnsmasq would sit idle), resolves `--user/--group`, sets up `--log-facility` and runs trio:
each service binds under `nursery.start` and hands back a `ServiceHandle`; then the control
socket is bound and the pid file (`-x`) written while still root (both live in /run), root
is dropped and "started, version X cachesize N" logged.  Signals (dnsmasq NOTES): HUP
reloads every service, USR1 logs statistics, USR2 reopens the log file, TERM/INT stop.
lanctl never forks: `-k` is implied; `-d` also skips the pid file and the user change.
A service that fails after it reported ready is logged and restarted while the others keep
serving (lanctl/isolation.py, RELIABILITY.md P1).
"""

from __future__ import annotations

import gc
import importlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Final, cast

import trio

from lanctl import __version__, logsetup
from lanctl.config.model import Config
from lanctl.control.server import ControlSocket, Dispatcher, open_control_socket, serve_control
from lanctl.errors import LanctlError, NotImplementedServiceError
from lanctl.isolation import Isolation, RestartPolicy, leaves, restart_capabilities
from lanctl.net.privileges import RunAs, drop_privileges, needed_capabilities, resolve_run_as
from lanctl.pidfile import remove_pid_file, write_pid_file
from lanctl.service import SUBSYSTEMS, JsonValue, ServeFn, ServiceHandle

log = logging.getLogger("lanctl")


# Why the configuration turns a service on, for the "not implemented yet" message.
ENABLED_BY: Final = {
    "dns": "port is not 0",
    "dhcp4": "dhcp-range",
    "dhcp6": "an IPv6 dhcp-range",
    "ra": "enable-ra",
    "tftp": "enable-tftp",
    "pxe": "a proxy dhcp-range",
}

SHUTDOWN_GRACE: Final = 2.0  # seconds services get for their shielded flush after TERM
WATCHED_SIGNALS: Final = (
    signal.SIGHUP,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGTERM,
    signal.SIGINT,
)


def load_serve(name: str) -> ServeFn:
    """Import a service's `serve` on demand; exit 5 if lanctl has no such service yet."""
    target = SUBSYSTEMS[name]
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        # Only the service's own module (or its package) missing means "not implemented";
        # a missing third-party dependency inside it is a real error.
        if missing != module_name and not module_name.startswith(missing + "."):
            raise
        if not missing.startswith("lanctl."):
            raise
        raise NotImplementedServiceError(
            f"{name}: not implemented yet in lanctl {__version__}; "
            f"this configuration enables it ({ENABLED_BY.get(name, 'enabled')})"
        ) from None
    return cast(ServeFn, getattr(module, attr))


def started_line(cfg: Config, services: Sequence[str]) -> str:
    """dnsmasq's first log line: "started, version 2.90 cachesize 150"."""
    if "dns" not in services:
        detail = "DNS disabled"
    elif cfg.dns.cache_size == 0:
        detail = "cache disabled"
    else:
        detail = f"cachesize {cfg.dns.cache_size}"
    return f"started, version {__version__} {detail}"


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything decided before trio starts: which services, as whom, where."""

    services: tuple[tuple[str, ServeFn], ...]
    run_as: RunAs | None
    pid_file: str | None
    control_path: str


def plan(cfg: Config, only: Sequence[str]) -> Plan:
    """Check the configuration against what lanctl can run; binds nothing."""
    names = [name for name in cfg.enabled_services() if name in only]
    if not names:
        if set(only) >= set(SUBSYSTEMS):
            raise LanctlError("nothing to do: no service enabled by this configuration")
        raise LanctlError(f"nothing to do: this configuration enables no {'/'.join(only)} service")
    services = tuple((name, load_serve(name)) for name in names)  # all checked before binding
    core = cfg.core
    run_as = None if core.no_daemon else resolve_run_as(core.user, core.group)
    pid_file = None if core.no_daemon else (core.pid_file or None)
    return Plan(services, run_as, pid_file, core.control_socket_path())


GC_THRESHOLD: Final = (10_000, 10, 10)


def tune_gc() -> None:
    """Fewer cyclic-GC passes for a long-running server (reference counting frees the rest).

    With CPython's default (700, 10, 10) a DHCP server holding 60k leases spent 17% of its
    engine time in the collector (bench/dhcp_engine.py: 60 -> 49 us per DORA).  What exists
    at start-up (modules, the configuration) is frozen out of every later pass.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def run(cfg: Config, only: Sequence[str]) -> None:
    """Run the enabled services named in `only` until SIGTERM/SIGINT (then return: exit 0)."""
    the_plan = plan(cfg, only)
    owner_uid = the_plan.run_as.uid if the_plan.run_as is not None else None
    logs = logsetup.configure(cfg.core, owner_uid=owner_uid)
    tune_gc()
    try:
        trio.run(_main, cfg, the_plan, logs)
    except BaseExceptionGroup as group:
        # A bind failure (NetworkError, exit 2) reaches us wrapped by the nurseries;
        # surface it as the plain LanctlError cli.main() maps to an exit code.
        found = list(leaves(group))
        errors = [exc for exc in found if isinstance(exc, LanctlError)]
        if errors and len(errors) == len(found):
            raise errors[0] from None
        raise
    finally:
        logs.close()


class _Supervisor:
    """The running state the signal task and the control socket share."""

    def __init__(
        self,
        cfg: Config,
        the_plan: Plan,
        logs: logsetup.LogSetup,
        policy: RestartPolicy | None = None,
    ) -> None:
        self.cfg = cfg
        self.plan = the_plan
        self.logs = logs
        self.handles: dict[str, ServiceHandle] = {}
        names = [name for name, _serve in the_plan.services]
        self.isolation = Isolation(self.handles, names, policy)

    def reload(self) -> JsonValue:
        """SIGHUP / `reload`: every service clears caches and re-reads its files."""
        done: list[str] = []
        for name, handle in self.handles.items():
            try:
                handle.reload()
            except (LanctlError, OSError) as exc:
                # dnsmasq keeps running with the old data when a file cannot be re-read.
                log.error("%s: reload failed: %s", name, exc)
                continue
            except Exception as exc:  # a bug in one service must not stop the others
                log.error("%s: reload failed: %s: %s", name, type(exc).__name__, exc)
                log.debug("%s: traceback of the reload failure", name, exc_info=exc)
                continue
            done.append(name)
        return {"reloaded": done}

    def log_stats(self) -> None:
        """SIGUSR1: each service's statistics lines, in dnsmasq's shape."""
        for name, handle in list(self.handles.items()):
            try:
                lines = handle.log_stats()
            except Exception as exc:  # a bug in one service must not stop the others
                log.error("%s: statistics failed: %s: %s", name, type(exc).__name__, exc)
                log.debug("%s: traceback of the statistics failure", name, exc_info=exc)
                continue
            for line in lines:
                log.info("%s", line)
        for line in self.isolation.stats_lines():
            log.info("%s", line)

    async def watch_signals(self, signals: AsyncIterator[int], stop: trio.CancelScope) -> None:
        async for signum in signals:
            if signum == signal.SIGHUP:
                self.reload()
            elif signum == signal.SIGUSR1:
                self.log_stats()
            elif signum == signal.SIGUSR2:
                self.logs.reopen()
            else:
                log.info("exiting on receipt of %s", signal.Signals(signum).name)
                stop.cancel()
                return


async def _main(
    cfg: Config, the_plan: Plan, logs: logsetup.LogSetup, policy: RestartPolicy | None = None
) -> None:
    sup = _Supervisor(cfg, the_plan, logs, policy)
    control: ControlSocket | None = None
    wrote_pid = False
    logs.hold()  # services' start-up lines follow "started", as in dnsmasq
    # Installed first: a signal during start-up is queued, never the default action.
    with trio.open_signal_receiver(*WATCHED_SIGNALS) as signals:
        try:
            async with trio.open_nursery() as nursery:
                for name, serve in the_plan.services:
                    # Ready when the service is (its handle is then in sup.handles).
                    await nursery.start(sup.isolation.supervise, name, serve, cfg)
                owner = the_plan.run_as.owner if the_plan.run_as is not None else None
                # Both need root (/run): before the drop, owned by the run-as user after it.
                control = await open_control_socket(the_plan.control_path, owner)
                if the_plan.pid_file is not None:
                    write_pid_file(the_plan.pid_file, owner=owner)
                    wrote_pid = True
                # CAP_NET_BIND_SERVICE too: a restarted service binds its port again.
                keep = needed_capabilities(cfg) | restart_capabilities()
                drop_privileges(the_plan.run_as, keep)
                held = logs.release()
                log.info("%s", started_line(cfg, list(sup.handles)))
                for warning in cfg.warnings:
                    log.warning("%s", warning)
                logs.replay(held)
                nursery.start_soon(sup.watch_signals, signals, nursery.cancel_scope)
                await nursery.start(serve_control, control, Dispatcher(sup.handles, sup.reload))
        finally:
            logs.replay(logs.release())  # a start-up failure: show what was held
            if control is not None:
                control.remove()
            if wrote_pid and the_plan.pid_file is not None:
                remove_pid_file(the_plan.pid_file)
