"""Supervisor: service planning, start-up order, signals, pid file, shutdown.

The service under supervision is tests/support/fake_service.py (a UDP echo on loopback
that counts reloads), so these tests need neither DNS nor the config loader.  The
end-to-end tests run the supervisor in a real subprocess and send it real signals.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import io
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import trio

from lanctl import __version__, isolation, logsetup, supervisor
from lanctl.config.model import Config, CoreCfg, Dhcp4Cfg, DnsCfg
from lanctl.control.client import request
from lanctl.errors import ControlError, LanctlError, NotImplementedServiceError
from lanctl.isolation import RestartPolicy
from tests.support.fake_services import FakeService

SUPPORT = Path(__file__).parent / "support"
RUNNER = SUPPORT / "run_fake_supervisor.py"
HANG_GUARD = 10.0  # seconds; only stops a hung test, never a pass/fail threshold


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short directory: Unix socket paths must stay under 108 bytes."""
    path = Path(tempfile.mkdtemp(prefix="lanctl-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The fake service module, registered as the "dns" subsystem."""
    spec = importlib.util.spec_from_file_location(
        "lanctl_fake_service", SUPPORT / "fake_service.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "lanctl_fake_service", module)
    spec.loader.exec_module(module)
    monkeypatch.setitem(supervisor.SUBSYSTEMS, "dns", "lanctl_fake_service:serve")
    return module


def _cfg(short_dir: Path, **core: Any) -> Config:
    fields: dict[str, Any] = {
        "user": None,
        "pid_file": str(short_dir / "l.pid"),
        "control_socket": str(short_dir / "c.sock"),
        "log_facility": "-",
    }
    fields.update(core)
    return Config(core=CoreCfg(**fields))


# --- planning: what runs, checked before anything is bound -------------------------------


def test_nothing_enabled_is_exit_5_with_a_clear_message(short_dir: Path) -> None:
    cfg = Config(core=CoreCfg(user=None), dns=DnsCfg(port=0))
    with pytest.raises(LanctlError) as info:
        supervisor.plan(cfg, tuple(supervisor.SUBSYSTEMS))
    assert info.value.exit_code == 5
    assert str(info.value) == "nothing to do: no service enabled by this configuration"


def test_only_filters_services_and_names_them_when_nothing_is_left() -> None:
    cfg = Config(core=CoreCfg(user=None))  # DNS on (port 53), nothing else
    with pytest.raises(LanctlError) as info:
        supervisor.plan(cfg, ("tftp",))
    assert info.value.exit_code == 5
    assert "enables no tftp service" in str(info.value)


def test_unimplemented_service_fails_before_any_service_binds(
    fake: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(supervisor.SUBSYSTEMS, "dhcp4", "lanctl.no_such_service_xyz.server:serve")
    cfg = Config(core=CoreCfg(user=None), dhcp4=Dhcp4Cfg(dhcp_range=("192.0.2.10,192.0.2.50",)))
    with pytest.raises(NotImplementedServiceError) as info:
        supervisor.plan(cfg, tuple(supervisor.SUBSYSTEMS))
    assert info.value.exit_code == 5
    assert str(info.value) == (
        f"dhcp4: not implemented yet in lanctl {__version__}; "
        "this configuration enables it (dhcp-range)"
    )
    assert fake.BIND_ATTEMPTS == 0


def test_missing_dependency_inside_a_service_is_not_reported_as_unimplemented(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lanctl_broken_service.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(supervisor.SUBSYSTEMS, "dns", "lanctl_broken_service:serve")
    with pytest.raises(ModuleNotFoundError, match="no_such_dependency_xyz"):
        supervisor.load_serve("dns")


def test_plan_resolves_paths_and_no_daemon_skips_pid_file_and_user_change(
    fake: ModuleType, short_dir: Path
) -> None:
    normal = supervisor.plan(_cfg(short_dir, user="nobody"), ("dns",))
    assert normal.pid_file == str(short_dir / "l.pid")
    assert normal.control_path == str(short_dir / "c.sock")
    assert normal.run_as is not None and normal.run_as.user == "nobody"
    debug = supervisor.plan(_cfg(short_dir, user="nobody", no_daemon=True), ("dns",))
    assert debug.pid_file is None
    assert debug.run_as is None


def test_unknown_user_is_a_config_error_before_binding(fake: ModuleType, short_dir: Path) -> None:
    with pytest.raises(LanctlError) as info:
        supervisor.plan(_cfg(short_dir, user="no-such-user-xyz"), ("dns",))
    assert info.value.exit_code == 1
    assert str(info.value) == "unknown user or group: no-such-user-xyz"
    assert fake.BIND_ATTEMPTS == 0


@pytest.mark.parametrize(
    ("services", "cache_size", "expected"),
    [
        (["dns"], 150, "started, version {v} cachesize 150"),
        (["dns"], 0, "started, version {v} cache disabled"),
        (["dhcp4"], 150, "started, version {v} DNS disabled"),
    ],
)
def test_started_line_has_dnsmasq_shape(
    services: list[str], cache_size: int, expected: str
) -> None:
    cfg = Config(dns=DnsCfg(cache_size=cache_size))
    assert supervisor.started_line(cfg, services) == expected.format(v=__version__)


# --- in-process: signals reach the handles ------------------------------------------------


async def _wait_ping(path: str) -> Any:
    with trio.fail_after(HANG_GUARD):
        while True:
            try:
                return await trio.to_thread.run_sync(lambda: request(path, "ping", timeout=1))
            except ControlError:
                await trio.sleep(0.01)


async def _until(predicate: Callable[[], bool]) -> None:
    with trio.fail_after(HANG_GUARD):
        while not predicate():  # noqa: ASYNC110 - state owned by the supervisor under test
            await trio.sleep(0.01)


def test_in_process_signals_reload_stats_and_stop(fake: ModuleType, short_dir: Path) -> None:
    cfg = _cfg(short_dir)
    the_plan = supervisor.plan(cfg, ("dns",))
    out = io.StringIO()
    logs = logsetup.configure(cfg.core, stderr=out)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(supervisor._main, cfg, the_plan, logs)
            pong = await _wait_ping(the_plan.control_path)
            assert pong["services"] == ["dns"]
            handle = fake.HANDLES[-1]
            os.kill(os.getpid(), signal.SIGHUP)
            await _until(lambda: handle.reloads == 1)
            os.kill(os.getpid(), signal.SIGUSR1)
            await _until(lambda: "fake stats: reloads 1" in out.getvalue())
            reloaded = await trio.to_thread.run_sync(
                lambda: request(the_plan.control_path, "reload")
            )
            assert reloaded == {"reloaded": ["dns"]}
            assert handle.reloads == 2
            os.kill(os.getpid(), signal.SIGTERM)

    try:
        trio.run(scenario)
    finally:
        logs.close()
    text = out.getvalue()
    pid = os.getpid()
    assert f"lanctl[{pid}]: started, version {__version__} cachesize 150\n" in text
    assert f"lanctl[{pid}]: exiting on receipt of SIGTERM\n" in text
    assert "fake service flushed" in text
    assert not os.path.exists(the_plan.control_path)
    assert not os.path.exists(str(the_plan.pid_file))


def test_bind_failure_surfaces_as_network_error(
    fake: ModuleType, short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with blocker:
        blocker.bind(("127.0.0.1", 0))
        monkeypatch.setattr(fake, "BIND_PORT", blocker.getsockname()[1])
        with pytest.raises(LanctlError) as info:
            supervisor.run(_cfg(short_dir), only=("dns",))
    assert info.value.exit_code == 2
    assert str(info.value) == (
        "failed to create listening socket for 127.0.0.1: Address already in use"
    )
    assert not (short_dir / "l.pid").exists()
    assert not (short_dir / "c.sock").exists()


def test_in_process_a_failed_service_is_restarted_and_the_others_keep_serving(
    fake: ModuleType, short_dir: Path
) -> None:
    """RELIABILITY P1 under the real supervisor: the fake DNS (a UDP echo) keeps answering
    while the second service fails after start-up and is restarted (lanctl/isolation.py)."""
    cfg = _cfg(short_dir)
    tftp = FakeService("tftp")
    planned = supervisor.plan(cfg, ("dns",))
    the_plan = dataclasses.replace(planned, services=(*planned.services, ("tftp", tftp.serve)))
    out = io.StringIO()
    logs = logsetup.configure(cfg.core, stderr=out)

    async def echo(port: int) -> bytes:
        with trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            await sock.sendto(b"still there?", ("127.0.0.1", port))
            with trio.fail_after(HANG_GUARD):
                return await sock.recv(100)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            policy = RestartPolicy(first_delay=0.01)  # real time in this test
            nursery.start_soon(supervisor._main, cfg, the_plan, logs, policy)
            pong = await _wait_ping(the_plan.control_path)
            assert pong["services"] == ["dns", "tftp"]
            [dns] = fake.HANDLES[-1:]
            tftp.crash(RuntimeError("injected fault"))
            await _until(lambda: len(tftp.starts) == 2 and tftp.running == 1)
            assert await echo(dns.port) == b"still there?"
            assert fake.HANDLES[-1] is dns  # DNS was never restarted
            stats = await trio.to_thread.run_sync(lambda: request(the_plan.control_path, "stats"))
            assert (stats["dns"]["restarts"], stats["tftp"]["restarts"]) == (0, 1)
            assert stats["tftp"]["generation"] == 2
            # A bug in one service's reload does not stop SIGHUP reaching the others.
            tftp.handles[-1].reload_error = ValueError("reload bug")
            os.kill(os.getpid(), signal.SIGHUP)
            await _until(lambda: dns.reloads == 1)
            os.kill(os.getpid(), signal.SIGUSR1)
            await _until(lambda: "tftp: 1 restarts" in out.getvalue())
            os.kill(os.getpid(), signal.SIGTERM)

    try:
        trio.run(scenario)
    finally:
        logs.close()
    text = out.getvalue()
    pid = os.getpid()
    assert (
        f"lanctl[{pid}]: tftp: service failed: RuntimeError: injected fault; restarting in 0.01 s\n"
    ) in text
    assert f"lanctl[{pid}]: tftp: service restarted (1 restarts)\n" in text
    assert f"lanctl[{pid}]: tftp: reload failed: ValueError: reload bug\n" in text
    assert (
        f"lanctl[{pid}]: tftp: 1 restarts, 1 failures, last: RuntimeError: injected fault\n"
    ) in text
    assert "Traceback" not in text  # tracebacks only with --log-debug
    assert f"lanctl[{pid}]: exiting on receipt of SIGTERM\n" in text


def test_when_every_service_is_given_up_run_ends_with_exit_5(
    short_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashing = FakeService("dns", ["crash"] * 9)  # fails right after every start
    monkeypatch.setitem(sys.modules, "lanctl_crashing_service", crashing)
    monkeypatch.setitem(supervisor.SUBSYSTEMS, "dns", "lanctl_crashing_service:serve")
    fast = functools.partial(RestartPolicy, first_delay=0.001, max_failures=3)
    monkeypatch.setattr(isolation, "RestartPolicy", fast)
    with pytest.raises(LanctlError) as info:
        supervisor.run(_cfg(short_dir), only=("dns",))
    assert info.value.exit_code == 5
    assert str(info.value) == "every service failed and was given up: dns"
    assert len(crashing.starts) == 3
    assert not (short_dir / "l.pid").exists()
    assert not (short_dir / "c.sock").exists()


# --- subprocess: real process, real signals -----------------------------------------------


class Server:
    """The supervisor in a subprocess: the fake-service runner, or `argv` if given."""

    def __init__(self, short_dir: Path, user: str = "", argv: list[str] | None = None) -> None:
        self.pid_file = short_dir / "l.pid"
        self.sock = short_dir / "c.sock"
        self.log = short_dir / "l.log"
        runner = [str(RUNNER), str(self.pid_file), str(self.sock), str(self.log), user]
        self.proc = subprocess.Popen(
            [sys.executable, *(argv or runner)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self) -> Any:
        deadline = time.monotonic() + HANG_GUARD
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited {self.proc.returncode}: {self.proc.stderr.read()}")  # type: ignore[union-attr]
            try:
                return request(str(self.sock), "ping", timeout=1)
            except ControlError:
                if time.monotonic() > deadline:
                    pytest.fail("control socket never answered")
                time.sleep(0.01)

    def log_text(self, path: Path | None = None) -> str:
        try:
            return (path or self.log).read_text()
        except FileNotFoundError:
            return ""

    def wait_log(self, needle: str, path: Path | None = None) -> str:
        deadline = time.monotonic() + HANG_GUARD
        while needle not in (text := self.log_text(path)):
            assert time.monotonic() < deadline, f"{needle!r} never logged:\n{text}"
            time.sleep(0.01)
        return text

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=HANG_GUARD)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def _lanctl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanctl", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_lifecycle_as_a_user_runs_it(short_dir: Path) -> None:
    server = Server(short_dir)
    try:
        pong = server.wait_ready()
        pid = server.proc.pid
        assert pong["pid"] == pid
        assert server.pid_file.read_text() == f"{pid}\n"
        assert stat.S_IMODE(os.stat(server.sock).st_mode) == 0o660
        text = server.wait_log("started")
        assert f"lanctl[{pid}]: started, version {__version__} cachesize 150\n" in text
        assert f"lanctl[{pid}]: warning: example-option at line 3 of x.conf: no effect\n" in text

        stats = _lanctl("cache", "stats", "--json", "--control-socket", str(server.sock))
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["dns"]["reloads"] == 0

        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + HANG_GUARD
        while request(str(server.sock), "stats")["dns"]["reloads"] != 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        server.wait_log("cleared cache")

        server.proc.send_signal(signal.SIGUSR1)
        server.wait_log(f"lanctl[{pid}]: fake stats: reloads 1")

        # Rotation: move the file away, USR2, and the next lines go to a new file.
        rotated = short_dir / "l.log.1"
        server.log.rename(rotated)
        server.proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + HANG_GUARD
        while not server.log.exists():  # reopening creates the new file
            assert time.monotonic() < deadline
            time.sleep(0.01)
        server.proc.send_signal(signal.SIGUSR1)
        assert "fake stats: reloads 1" in server.wait_log("fake stats", server.log)
        assert "exiting" not in rotated.read_text()

        dump = _lanctl("cache", "dump", "--json", "--control-socket", str(server.sock))
        assert dump.returncode == 0, dump.stderr
        assert [e["name"] for e in json.loads(dump.stdout)] == ["host.example", "printer.lan"]
        cleared = _lanctl("cache", "clear", "--json", "--control-socket", str(server.sock))
        assert json.loads(cleared.stdout) == {"removed": 2}
        assert request(str(server.sock), "cache.dump") == []
    finally:
        rc = server.stop(signal.SIGTERM)
    assert rc == 0, server.proc.stderr.read()  # type: ignore[union-attr]
    assert not server.pid_file.exists()
    assert not server.sock.exists()
    text = server.log_text()
    assert f"lanctl[{pid}]: exiting on receipt of SIGTERM\n" in text
    assert "fake service flushed" in text


def test_sigint_also_stops_cleanly(short_dir: Path) -> None:
    server = Server(short_dir)
    server.wait_ready()
    assert server.stop(signal.SIGINT) == 0
    assert "exiting on receipt of SIGINT" in server.log_text()
    assert not server.pid_file.exists()
    assert not server.sock.exists()


def test_stale_socket_file_is_replaced(short_dir: Path) -> None:
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(short_dir / "c.sock"))
    stale.close()  # the file stays; nothing answers on it any more
    server = Server(short_dir)
    try:
        assert server.wait_ready()["pong"] is True
    finally:
        assert server.stop() == 0


def test_second_instance_on_a_live_socket_is_refused(short_dir: Path) -> None:
    first = Server(short_dir)
    try:
        first.wait_ready()
        other = short_dir / "other"
        other.mkdir()
        second = subprocess.run(
            [sys.executable, str(RUNNER), str(other / "l.pid"), str(first.sock), "-"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 2
        assert second.stderr.strip().splitlines()[-1] == (
            f"lanctl: control socket {first.sock} is in use by another running lanctl"
        )
        assert request(str(first.sock), "ping")["pid"] == first.proc.pid
    finally:
        assert first.stop() == 0


def test_unwritable_pid_file_is_exit_3(short_dir: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(RUNNER),
            str(short_dir / "missing" / "l.pid"),
            str(short_dir / "c.sock"),
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(
            f"lanctl: failed to open pidfile {short_dir / 'missing' / 'l.pid'}: No such file"
        )
    )
    assert not (short_dir / "c.sock").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="privilege drop needs root")
def test_privileges_are_dropped_after_binding(short_dir: Path) -> None:
    import grp
    import pwd

    nobody = pwd.getpwnam("nobody")
    try:
        gid = grp.getgrnam("dip").gr_gid
    except KeyError:
        gid = nobody.pw_gid
    server = Server(short_dir, user="nobody")
    try:
        server.wait_ready()
        status = Path(f"/proc/{server.proc.pid}/status").read_text()
        uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
        gids = next(line for line in status.splitlines() if line.startswith("Gid:")).split()[1:]
        assert set(uids) == {str(nobody.pw_uid)}
        assert set(gids) == {str(gid)}
        # Created as root before the drop, handed to the run-as user.
        assert os.stat(server.pid_file).st_uid == nobody.pw_uid
        assert os.stat(server.sock).st_uid == nobody.pw_uid
        assert os.stat(server.log).st_uid == nobody.pw_uid
    finally:
        assert server.stop() == 0


# --- the real thing: `lanctl all` with the DNS service --------------------------------------


@pytest.mark.skipif(
    importlib.util.find_spec("lanctl.dns.server") is None, reason="DNS service not there yet"
)
def test_lanctl_all_serves_dns_under_the_supervisor(
    short_dir: Path, free_port: Callable[[], int]
) -> None:
    hosts = short_dir / "hosts"
    hosts.write_text("192.0.2.7 one.lan\n")
    conf = short_dir / "lanctl.conf"
    conf.write_text(
        f"port={free_port()}\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\n"
        f"addn-hosts={hosts}\npid-file={short_dir / 'l.pid'}\n"
        f"control-socket={short_dir / 'c.sock'}\nuser=\nlog-facility={short_dir / 'l.log'}\n"
    )
    server = Server(short_dir, argv=["-m", "lanctl", "all", "-C", str(conf)])
    try:
        pid = server.wait_ready()["pid"]
        assert pid == server.proc.pid
        assert server.pid_file.read_text() == f"{pid}\n"
        server.wait_log(f"lanctl[{pid}]: started, version {__version__} cachesize 150")

        # The client finds the socket through the same configuration file.
        stats = _lanctl("cache", "stats", "--json", "-C", str(conf))
        assert stats.returncode == 0, stats.stderr
        names_before = json.loads(stats.stdout)["dns"]["local_names"]

        hosts.write_text("192.0.2.7 one.lan\n192.0.2.8 two.lan\n")
        server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + HANG_GUARD
        while request(str(server.sock), "stats")["dns"]["local_names"] == names_before:
            assert time.monotonic() < deadline, "SIGHUP did not re-read addn-hosts"
            time.sleep(0.01)
        dump = _lanctl("cache", "dump", "--json", "-C", str(conf))
        assert dump.returncode == 0, dump.stderr
        assert "two.lan" in {entry["name"] for entry in json.loads(dump.stdout)["entries"]}

        server.proc.send_signal(signal.SIGUSR1)
        server.wait_log(f"lanctl[{pid}]: cache size 150,")
    finally:
        rc = server.stop(signal.SIGTERM)
    assert rc == 0, server.proc.stderr.read()  # type: ignore[union-attr]
    assert f"lanctl[{pid}]: exiting on receipt of SIGTERM\n" in server.log_text()
    assert not server.pid_file.exists()
    assert not server.sock.exists()


def test_lanctl_all_port_in_use_is_exit_2(short_dir: Path) -> None:
    if importlib.util.find_spec("lanctl.dns.server") is None:
        pytest.skip("DNS service not there yet")
    (short_dir / "empty.conf").write_text("")  # not /etc/dnsmasq.conf
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("127.0.0.1", 0))
        port = blocker.getsockname()[1]
        result = _lanctl(
            "all", f"--port={port}", "--listen-address=127.0.0.1", "--no-resolv", "--no-hosts",
            f"--pid-file={short_dir / 'l.pid'}", f"--control-socket={short_dir / 'c.sock'}",
            "--user=", "--log-facility=-", "-C", str(short_dir / "empty.conf"),
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines()[-1].startswith("lanctl: failed to create listening socket")
    assert "Address already in use" in result.stderr
    assert not (short_dir / "l.pid").exists()
    assert not (short_dir / "c.sock").exists()
