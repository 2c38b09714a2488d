"""Service isolation: a service that fails after start-up is restarted, the others keep serving.

RELIABILITY.md P1.  The supervisor runs every service through `Isolation.supervise`, a task
that calls the service's `serve` itself with a stand-in `task_status` (`_Ready`):

- The first start is passed straight through.  An error before the service reported ready
  (a bind failure, an inaccessible TFTP root) still ends the process with its exit code,
  and privileges are dropped only after every service is ready, as before.
- Once ready, an exception out of `serve` whose every leaf is a plain `Exception` is one
  ERROR line (``tftp: service failed: RuntimeError: boom; restarting in 1 s``; the
  traceback only at DEBUG, i.e. with --log-debug).  The service's handle is withdrawn from
  the control socket and from signals while it is down, and `serve` is called again after
  a back-off (1 s doubling to 30 s).  A normal return after start counts as a failure too.
  A restart runs the service's whole start-up again, so the DHCP service re-reads its
  leases from the lease store; the DNS cache starts empty.
- A service that fails `max_failures` times within `window` seconds is given up (it stays
  stopped, said in the same ERROR line); when every service has been given up the process
  exits 5.  Cancellation, KeyboardInterrupt and SystemExit always propagate.

Restarts happen after the privilege drop: `RESTART_CAPABILITIES` (CAP_NET_BIND_SERVICE)
is kept, when the process has it, so a service can bind its port below 1024 again; a
restart that still cannot start (e.g. a --dhcp-script helper that needed root) is a
failure like any other, retried with the back-off and finally given up.  Counters:
`restarts` in each service's `stats` (`lanctl cache stats`) and one line per failed
service on SIGUSR1.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import trio

from lanctl.errors import LanctlError
from lanctl.net.privileges import CAP_NET_BIND_SERVICE, current_capabilities
from lanctl.service import JsonValue, Kept, ServeFn, ServiceHandle

log = logging.getLogger("lanctl")

RESTART_CAPABILITIES: Final = frozenset({CAP_NET_BIND_SERVICE})


def restart_capabilities() -> frozenset[int]:
    """`RESTART_CAPABILITIES` that this process has now (a restricted root may lack them)."""
    try:
        have = current_capabilities()
    except OSError:
        return frozenset()
    return frozenset(cap for cap in RESTART_CAPABILITIES if have >> cap & 1)


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """Back-off and give-up bound for restarting a failed service."""

    first_delay: float = 1.0  # seconds before the first restart
    max_delay: float = 30.0  # the doubling stops here
    max_failures: int = 5  # this many failures ...
    window: float = 60.0  # ... within this many seconds: given up

    def delay(self, recent_failures: int) -> float:
        """Seconds to wait before the next start, given the failures inside the window."""
        return float(min(self.first_delay * 2 ** max(recent_failures - 1, 0), self.max_delay))


@dataclass(slots=True)
class ServiceRecord:
    """What the supervisor remembers about one service across its restarts."""

    name: str
    restarts: int = 0
    failures: int = 0
    last_error: str = ""
    given_up: bool = False
    recent: deque[float] = field(default_factory=deque)  # trio times of failures in the window

    def stats_line(self) -> str | None:
        """The SIGUSR1 line for a service that has failed at least once."""
        if not self.failures:
            return None
        state = "given up" if self.given_up else f"{self.restarts} restarts"
        return f"{self.name}: {state}, {self.failures} failures, last: {self.last_error}"


def leaves(exc: BaseException) -> Iterator[BaseException]:
    """The non-group exceptions inside `exc` (itself if it is not a group)."""
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            yield from leaves(sub)
    else:
        yield exc


def isolatable(exc: BaseException) -> bool:
    """True for a service bug or fault; False if cancellation, ^C or exit is inside."""
    return all(isinstance(leaf, Exception) for leaf in leaves(exc))


def describe(exc: BaseException) -> str:
    """``RuntimeError: boom`` (several leaves joined with "; ")."""
    parts = []
    for leaf in leaves(exc):
        text = str(leaf)
        parts.append(f"{type(leaf).__name__}: {text}" if text else type(leaf).__name__)
    return "; ".join(parts)


class SupervisedHandle:
    """A service's handle as the supervisor hands it out: adds the restart counter."""

    def __init__(self, inner: ServiceHandle, record: ServiceRecord) -> None:
        self.inner = inner
        self.record = record
        self.name = inner.name

    def stats(self) -> dict[str, JsonValue]:
        return {**self.inner.stats(), "restarts": self.record.restarts}

    def reload(self) -> None:
        self.inner.reload()

    def control(self, command: str, args: dict[str, JsonValue]) -> JsonValue:
        return self.inner.control(command, args)

    def log_stats(self) -> list[str]:
        return self.inner.log_stats()

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)


class _Ready:
    """The `task_status` a service sees: records its handle; the first start is forwarded."""

    def __init__(self, isolation: Isolation, name: str, forward: trio.TaskStatus[Any] | None):
        self._isolation = isolation
        self._name = name
        self._forward = forward
        self.handle: ServiceHandle | None = None

    def started(self, value: Any = None) -> None:
        if self.handle is not None:
            raise RuntimeError("called 'started' twice on the same task status")
        self.handle = value
        self._isolation.attach(self._name, value, restarted=self._forward is None)
        if self._forward is not None:
            self._forward.started(value)


class Isolation:
    """Runs the services, keeps `handles` (shared with the control socket) up to date."""

    def __init__(
        self,
        handles: dict[str, ServiceHandle],
        names: Sequence[str],
        policy: RestartPolicy | None = None,
    ) -> None:
        self.handles = handles
        self.order = tuple(names)
        self.records = {name: ServiceRecord(name) for name in names}
        self.policy = policy or RestartPolicy()

    def attach(self, name: str, handle: ServiceHandle, *, restarted: bool = False) -> None:
        """A service is ready: publish its handle, keeping the start-up order."""
        record = self.records[name]
        if restarted:
            record.restarts += 1
            log.info("%s: service restarted (%d restarts)", name, record.restarts)
        self.handles[name] = SupervisedHandle(handle, record)
        ordered = {n: self.handles[n] for n in self.order if n in self.handles}
        ordered.update(self.handles)  # anything not supervised here stays, after ours
        self.handles.clear()
        self.handles.update(ordered)

    def stats_lines(self) -> list[str]:
        """SIGUSR1: one line per service that has failed."""
        return [line for r in self.records.values() if (line := r.stats_line()) is not None]

    async def supervise(
        self,
        name: str,
        serve: ServeFn,
        cfg: object,
        *,
        task_status: trio.TaskStatus[Any] = trio.TASK_STATUS_IGNORED,
    ) -> None:
        """Start `serve` (the caller's `nursery.start` waits for ready) and keep it running."""
        record = self.records[name]
        forward: trio.TaskStatus[Any] | None = task_status
        kept = Kept()  # what the service keeps open across its restarts (service.py)
        try:
            while True:
                ready = _Ready(self, name, forward)
                failure: BaseException | None = None
                try:
                    await serve(cfg, kept, task_status=ready)
                except BaseException as exc:
                    if forward is not None and ready.handle is None:
                        raise  # the first start-up failed: ends the process, as before
                    if not isolatable(exc):
                        raise
                    failure = exc
                else:
                    if forward is not None and ready.handle is None:
                        return  # nursery.start reports "exited without calling started"
                forward = None
                self.handles.pop(name, None)
                delay = self._failed(record, failure, ready.handle is not None)
                if delay is None:
                    return
                await trio.sleep(delay)
        finally:
            kept.close()

    def _failed(
        self, record: ServiceRecord, exc: BaseException | None, was_ready: bool
    ) -> float | None:
        """Count a failure and log it; the back-off before the next start, or None."""
        now = trio.current_time()
        record.failures += 1
        record.recent.append(now)
        while record.recent and record.recent[0] <= now - self.policy.window:
            record.recent.popleft()
        record.last_error = describe(exc) if exc is not None else "stopped without an error"
        what = "service failed" if was_ready else "restart failed"
        if len(record.recent) >= self.policy.max_failures:
            record.given_up = True
            log.error(
                "%s: %s: %s; %d failures within %g s, giving up (not restarted)",
                record.name,
                what,
                record.last_error,
                len(record.recent),
                self.policy.window,
            )
            if exc is not None:
                log.debug("%s: traceback of the failure", record.name, exc_info=exc)
            if all(r.given_up for r in self.records.values()):
                names = ", ".join(self.order)
                raise LanctlError(f"every service failed and was given up: {names}")
            return None
        delay = self.policy.delay(len(record.recent))
        log.error("%s: %s: %s; restarting in %g s", record.name, what, record.last_error, delay)
        if exc is not None:
            log.debug("%s: traceback of the failure", record.name, exc_info=exc)
        return delay
