"""Server logging in dnsmasq's shape: `--log-facility`, `--log-async`, `--log-debug`, `-d`.

Lines read ``lanctl[1234]: started, version 0.1.0 cachesize 150`` on stderr
(``--log-facility=-``) and ``Nov 25 14:45:22 lanctl[1234]: ...`` in a log file
(``--log-facility=/path``, appended, reopened on SIGUSR2) or in syslog via /dev/log
(the default, facility DAEMON; any syslog facility name selects that facility; LOCAL0 is
the default under ``-d`` as in dnsmasq).  Without /dev/log lanctl logs to stderr and says
so once.  ``-d/--no-daemon`` also copies every line to stderr as ``lanctl: message``.
``--log-async[=N]`` hands lines to a writer thread through a bounded queue (N as in
dnsmasq, 5 by default, 100 at most, plus a burst allowance) and reports
``overflow: N log entries lost`` when it was full.  Rich is never used for server logs.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import queue
import sys
import time
from typing import Final, TextIO

from lanctl.config.model import CoreCfg
from lanctl.errors import ConfigError, FileSystemError

ROOT_LOGGER: Final = "lanctl"
SYSLOG_ADDRESS: Final = "/dev/log"
ASYNC_DEFAULT: Final = 5  # dnsmasq: "The default queue length is 5"
ASYNC_MAX: Final = 100  # dnsmasq: "a maximum limit of 100 is imposed"
# The writer thread only runs when the interpreter switches threads (every 5 ms), so a
# healthy syslog still sees bursts (a SIGUSR1 dump is ~10 lines at once).  The queue holds
# this many lines on top of the dnsmasq limit; only a really stuck syslog loses lines.
ASYNC_BURST: Final = 256


def _ident(logger: str) -> str:
    """dnsmasq logs DHCP lines as "dnsmasq-dhcp" and TFTP lines as "dnsmasq-tftp"."""
    if logger.startswith("lanctl.dhcp"):
        return "lanctl-dhcp"
    if logger.startswith("lanctl.tftp"):
        return "lanctl-tftp"
    return "lanctl"


class DnsmasqFormatter(logging.Formatter):
    """``[timestamp ]lanctl[pid]: message``; timestamps as syslog writes them (``Nov  5 …``)."""

    def __init__(self, *, timestamp: bool, pid: bool = True) -> None:
        super().__init__()
        self._timestamp = timestamp
        self._pid = pid

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message = message + "\n" + self.formatException(record.exc_info)
        ident = _ident(record.name)
        tag = f"{ident}[{record.process}]: " if self._pid else f"{ident}: "
        if not self._timestamp:
            return tag + message
        t = time.localtime(record.created)
        stamp = f"{time.strftime('%b', t)} {t.tm_mday:2d} {time.strftime('%H:%M:%S', t)}"
        return f"{stamp} {tag}{message}"


def syslog_facility(name: str) -> int:
    """A syslog facility code from its name, case-insensitively ("daemon", "LOCAL0")."""
    code = logging.handlers.SysLogHandler.facility_names.get(name.lower())
    if code is None:
        raise ConfigError(f"bad log facility {name!r}")
    return code


class ReopenableFileHandler(logging.FileHandler):
    """Appends to a file; `reopen()` closes and reopens it (SIGUSR2, log rotation)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, mode="a", encoding="utf-8", delay=False)

    def reopen(self) -> None:
        """Switch to a freshly opened file; keep the old stream if that fails."""
        self.acquire()
        try:
            old = self.stream
            try:
                self.stream = self._open()
            except OSError as exc:
                # After the privilege drop the directory may refuse a new file: keep
                # logging to the old one rather than losing every line.
                logging.getLogger(ROOT_LOGGER).debug("cannot reopen %s: %s", self.baseFilename, exc)
                return
            if old is not None:
                old.close()
        finally:
            self.release()

    def chown(self, uid: int) -> None:
        """Hand the file to the run-as user, so that rotation tools can copy the owner."""
        if self.stream is not None:
            os.fchown(self.stream.fileno(), uid, -1)


class DroppingQueueHandler(logging.handlers.QueueHandler):
    """`--log-async`: never blocks the server; counts what a full queue drops."""

    def __init__(self, q: queue.Queue[logging.LogRecord]) -> None:
        super().__init__(q)
        self.lost = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        if self.lost:
            fields = {"name": ROOT_LOGGER, "levelno": logging.WARNING, "levelname": "WARNING"}
            note = logging.makeLogRecord(
                {**fields, "msg": f"overflow: {self.lost} log entries lost"}
            )
            try:
                self.queue.put_nowait(note)
                self.lost = 0
            except queue.Full:
                self.lost += 1
                return
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.lost += 1


class HoldHandler(logging.Handler):
    """Keeps records below ERROR while services start; errors go straight through."""

    def __init__(self, targets: list[logging.Handler]) -> None:
        super().__init__()
        self.targets = targets
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR:
            for target in self.targets:
                target.handle(record)
        else:
            self.records.append(record)


class LogSetup:
    """The handlers installed on the "lanctl" logger; undone by `close()`."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger
        self._saved = (logger.level, logger.propagate, list(logger.handlers))
        self.handlers: list[logging.Handler] = []
        self._listener: logging.handlers.QueueListener | None = None
        self._hold: HoldHandler | None = None

    def hold(self) -> None:
        """Keep start-up lines back so they follow the "started" line, as dnsmasq's do."""
        if self._hold is not None:
            return
        current = list(self._logger.handlers)
        self._hold = HoldHandler(current)
        for handler in current:
            self._logger.removeHandler(handler)
        self._logger.addHandler(self._hold)

    def release(self) -> list[logging.LogRecord]:
        """Stop holding; the held records, for `replay` after the "started" line."""
        hold, self._hold = self._hold, None
        if hold is None:
            return []
        self._logger.removeHandler(hold)
        for handler in hold.targets:
            self._logger.addHandler(handler)
        return hold.records

    def replay(self, records: list[logging.LogRecord]) -> None:
        for record in records:
            self._logger.handle(record)

    def install(self, handlers: list[logging.Handler], level: int, async_lines: int | None) -> None:
        self.handlers = handlers
        logger = self._logger
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = False
        if async_lines is None:
            for handler in handlers:
                logger.addHandler(handler)
            return
        q: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=async_lines + ASYNC_BURST)
        self._listener = logging.handlers.QueueListener(q, *handlers, respect_handler_level=True)
        self._listener.start()
        logger.addHandler(DroppingQueueHandler(q))

    def reopen(self) -> None:
        """SIGUSR2: reopen the log file (no effect for syslog or stderr)."""
        for handler in self.handlers:
            if isinstance(handler, ReopenableFileHandler):
                handler.reopen()

    def close(self) -> None:
        """Flush and close everything, restoring the logger as it was before `configure`."""
        self.replay(self.release())
        if self._listener is not None:
            self._listener.stop()  # drains the queue first
            self._listener = None
        level, propagate, previous = self._saved
        for handler in list(self._logger.handlers):
            self._logger.removeHandler(handler)
        for handler in self.handlers:
            handler.close()
        for handler in previous:
            self._logger.addHandler(handler)
        self._logger.setLevel(level)
        self._logger.propagate = propagate


def _syslog_handler(address: str, facility: int) -> logging.Handler | None:
    if not os.path.exists(address):
        return None
    try:
        handler = logging.handlers.SysLogHandler(address=address, facility=facility)
    except OSError:
        return None
    handler.setFormatter(DnsmasqFormatter(timestamp=True))
    return handler


def _stderr_handler(stream: TextIO, *, pid: bool) -> logging.Handler:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(DnsmasqFormatter(timestamp=False, pid=pid))
    return handler


def configure(
    core: CoreCfg,
    *,
    owner_uid: int | None = None,
    syslog_address: str = SYSLOG_ADDRESS,
    stderr: TextIO | None = None,
) -> LogSetup:
    """Send the "lanctl" logger where `--log-facility` says; return the handle for USR2/exit.

    An unknown facility name is ConfigError (exit 1); a log file that cannot be opened is
    FileSystemError (exit 3), as dnsmasq's "cannot open log".  `owner_uid` is the
    run-as user a log file is chowned to (when running as root).
    """
    stream = stderr if stderr is not None else sys.stderr
    setup = LogSetup(logging.getLogger(ROOT_LOGGER))
    handlers: list[logging.Handler] = []
    notes: list[str] = []
    facility = core.log_facility
    if facility == "-":
        handlers.append(_stderr_handler(stream, pid=True))
    elif facility is not None and "/" in facility:
        try:
            file_handler = ReopenableFileHandler(facility)
        except OSError as exc:
            raise FileSystemError(f"cannot open log {facility}: {exc.strerror}") from None
        if owner_uid is not None and os.geteuid() == 0:
            file_handler.chown(owner_uid)  # dnsmasq: the log file belongs to the run-as user
        file_handler.setFormatter(DnsmasqFormatter(timestamp=True))
        handlers.append(file_handler)
    else:
        # dnsmasq: DAEMON by default, LOCAL0 when debug mode (-d) is in operation.
        default = "local0" if core.no_daemon else "daemon"
        code = syslog_facility(facility if facility is not None else default)
        syslog = _syslog_handler(syslog_address, code)
        if syslog is not None:
            handlers.append(syslog)
        elif not core.no_daemon:  # under -d, stderr below already gets every line
            handlers.append(_stderr_handler(stream, pid=True))
            notes.append(f"warning: cannot reach syslog at {syslog_address}, logging to stderr")
    if core.no_daemon and facility != "-":
        # dnsmasq -d: "log to stderr as well as syslog", lines prefixed "dnsmasq: ".
        handlers.append(_stderr_handler(stream, pid=False))
    level = logging.DEBUG if core.log_debug else logging.INFO
    async_lines = None
    if core.log_async is not None:
        async_lines = min(max(core.log_async or ASYNC_DEFAULT, 1), ASYNC_MAX)
    setup.install(handlers, level, async_lines)
    log = logging.getLogger(ROOT_LOGGER)
    for note in notes:
        log.warning("%s", note)
    return setup
