"""Server logging: dnsmasq line shapes on stderr, in files, in syslog; USR2 reopen; async."""

from __future__ import annotations

import io
import logging
import os
import queue
import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lanctl import logsetup
from lanctl.config.model import CoreCfg
from lanctl.errors import ConfigError, FileSystemError

PID = os.getpid()
STAMP = r"[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d"


@pytest.fixture
def short_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lanctl-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def syslog(short_dir: Path) -> Iterator[tuple[str, socket.socket]]:
    path = str(short_dir / "log")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(10)
    with sock:
        yield path, sock


def _log(*lines: str, name: str = "lanctl") -> None:
    for line in lines:
        logging.getLogger(name).info("%s", line)


def test_stderr_lines_are_name_pid_message() -> None:
    out = io.StringIO()
    setup = logsetup.configure(CoreCfg(log_facility="-"), stderr=out)
    try:
        _log("started, version 0.1.0 cachesize 150")
        _log("query[A] host.example from 192.0.2.5", name="lanctl.dns")  # child loggers too
    finally:
        setup.close()
    assert out.getvalue() == (
        f"lanctl[{PID}]: started, version 0.1.0 cachesize 150\n"
        f"lanctl[{PID}]: query[A] host.example from 192.0.2.5\n"
    )


def test_held_lines_follow_the_started_line_and_errors_pass_at_once() -> None:
    out = io.StringIO()
    setup = logsetup.configure(CoreCfg(log_facility="-"), stderr=out)
    try:
        setup.hold()
        _log("read /etc/hosts - 3 names", name="lanctl.dns")
        logging.getLogger("lanctl.dns").error("failed to load names")
        assert out.getvalue() == f"lanctl[{PID}]: failed to load names\n"
        held = setup.release()
        _log("started, version 0.1.0 cachesize 150")
        setup.replay(held)
    finally:
        setup.close()
    assert out.getvalue().splitlines()[1:] == [
        f"lanctl[{PID}]: started, version 0.1.0 cachesize 150",
        f"lanctl[{PID}]: read /etc/hosts - 3 names",
    ]


def test_dhcp_and_tftp_lines_carry_their_own_ident_as_in_dnsmasq() -> None:
    out = io.StringIO()
    setup = logsetup.configure(CoreCfg(log_facility="-"), stderr=out)
    try:
        _log("DHCPACK(eth0) 192.0.2.50 02:00:00:00:00:01", name="lanctl.dhcp4")
        _log("sent /srv/tftp/a to 192.0.2.7", name="lanctl.tftp")
    finally:
        setup.close()
    assert out.getvalue() == (
        f"lanctl-dhcp[{PID}]: DHCPACK(eth0) 192.0.2.50 02:00:00:00:00:01\n"
        f"lanctl-tftp[{PID}]: sent /srv/tftp/a to 192.0.2.7\n"
    )


def test_close_flushes_what_is_still_held() -> None:
    out = io.StringIO()
    setup = logsetup.configure(CoreCfg(log_facility="-"), stderr=out)
    setup.hold()
    _log("using nameserver 192.0.2.53#53")
    setup.close()
    assert out.getvalue() == f"lanctl[{PID}]: using nameserver 192.0.2.53#53\n"


def test_debug_lines_only_with_log_debug() -> None:
    out = io.StringIO()
    setup = logsetup.configure(CoreCfg(log_facility="-"), stderr=out)
    logging.getLogger("lanctl.x").debug("hidden")
    setup.close()
    setup = logsetup.configure(CoreCfg(log_facility="-", log_debug=True), stderr=out)
    logging.getLogger("lanctl.x").debug("shown")
    setup.close()
    assert out.getvalue() == f"lanctl[{PID}]: shown\n"


def test_close_restores_the_logger() -> None:
    logger = logging.getLogger("lanctl")
    before = (list(logger.handlers), logger.propagate, logger.level)
    setup = logsetup.configure(CoreCfg(log_facility="-"), stderr=io.StringIO())
    assert logger.propagate is False
    setup.close()
    assert (list(logger.handlers), logger.propagate, logger.level) == before


def test_file_lines_have_a_syslog_timestamp_and_usr2_reopens(short_dir: Path) -> None:
    path = short_dir / "lanctl.log"
    path.write_text("older line\n")
    setup = logsetup.configure(CoreCfg(log_facility=str(path)))
    try:
        _log("before rotation")
        rotated = short_dir / "lanctl.log.1"
        path.rename(rotated)
        _log("still to the old file")
        setup.reopen()
        _log("after rotation")
    finally:
        setup.close()
    old = rotated.read_text().splitlines()
    assert old[0] == "older line"  # appended, not truncated
    assert re.fullmatch(rf"{STAMP} lanctl\[{PID}\]: before rotation", old[1])
    assert old[2].endswith("still to the old file")
    new = path.read_text().splitlines()
    assert len(new) == 1 and re.fullmatch(rf"{STAMP} lanctl\[{PID}\]: after rotation", new[0])


def test_unwritable_log_file_is_exit_3(short_dir: Path) -> None:
    with pytest.raises(FileSystemError) as info:
        logsetup.configure(CoreCfg(log_facility=str(short_dir / "no" / "x.log")))
    assert info.value.exit_code == 3
    assert str(info.value).startswith(f"cannot open log {short_dir / 'no' / 'x.log'}")


def test_syslog_default_facility_is_daemon(syslog: tuple[str, socket.socket]) -> None:
    address, sock = syslog
    setup = logsetup.configure(CoreCfg(), syslog_address=address)
    try:
        _log("started")
        logging.getLogger("lanctl").warning("warning: no upstream servers configured")
    finally:
        setup.close()
    # <priority> = facility * 8 + severity: daemon(3) info(6) = 30, warning(4) = 28.
    first = sock.recv(4096).decode()
    assert re.fullmatch(rf"<30>{STAMP} lanctl\[{PID}\]: started\x00?", first)
    second = sock.recv(4096).decode()
    assert second.startswith("<28>") and "warning: no upstream servers configured" in second


@pytest.mark.parametrize(("facility", "code"), [("local0", 16), ("LOCAL7", 23), ("mail", 2)])
def test_named_facility(syslog: tuple[str, socket.socket], facility: str, code: int) -> None:
    address, sock = syslog
    setup = logsetup.configure(CoreCfg(log_facility=facility), syslog_address=address)
    try:
        _log("hello")
    finally:
        setup.close()
    assert sock.recv(4096).decode().startswith(f"<{code * 8 + 6}>")


def test_no_daemon_logs_to_syslog_local0_and_stderr(syslog: tuple[str, socket.socket]) -> None:
    address, sock = syslog
    out = io.StringIO()
    setup = logsetup.configure(CoreCfg(no_daemon=True), syslog_address=address, stderr=out)
    try:
        _log("started")
    finally:
        setup.close()
    assert sock.recv(4096).decode().startswith("<134>")  # local0 info
    assert out.getvalue() == "lanctl: started\n"  # dnsmasq -d: "dnsmasq: started, ..."


def test_missing_syslog_falls_back_to_stderr_with_one_warning(short_dir: Path) -> None:
    out = io.StringIO()
    missing = str(short_dir / "no-dev-log")
    setup = logsetup.configure(CoreCfg(), syslog_address=missing, stderr=out)
    try:
        _log("one", "two")
    finally:
        setup.close()
    assert out.getvalue() == (
        f"lanctl[{PID}]: warning: cannot reach syslog at {missing}, logging to stderr\n"
        f"lanctl[{PID}]: one\n"
        f"lanctl[{PID}]: two\n"
    )


def test_bad_facility_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as info:
        logsetup.configure(CoreCfg(log_facility="local9"))
    assert info.value.exit_code == 1
    assert "bad log facility 'local9'" in str(info.value)


def test_async_logging_delivers_every_line_by_close() -> None:
    out = io.StringIO()
    setup = logsetup.configure(CoreCfg(log_facility="-", log_async=5), stderr=out)
    try:
        _log(*(f"line {i}" for i in range(50)))
    finally:
        setup.close()
    assert out.getvalue().splitlines() == [f"lanctl[{PID}]: line {i}" for i in range(50)]


def test_full_async_queue_counts_and_reports_lost_lines() -> None:
    q: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=1)
    handler = logsetup.DroppingQueueHandler(q)
    record = logging.makeLogRecord({"msg": "x"})
    for _ in range(3):
        handler.enqueue(record)
    assert handler.lost == 2
    q.get_nowait()
    handler.enqueue(record)  # room for the overflow note only: this line is lost too
    assert q.get_nowait().getMessage() == "overflow: 2 log entries lost"
    assert handler.lost == 1


def test_rich_is_never_a_server_log_handler() -> None:
    setup = logsetup.configure(CoreCfg(log_facility="-"), stderr=io.StringIO())
    try:
        modules = {type(h).__module__ for h in logging.getLogger("lanctl").handlers}
    finally:
        setup.close()
    assert not any(m.startswith("rich") for m in modules)
