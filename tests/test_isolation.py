"""Service isolation (lanctl/isolation.py, RELIABILITY.md P1), in virtual time.

Two controllable fake services (tests/support/fake_services.py) run under
`Isolation.supervise` exactly as the supervisor starts them (`nursery.start`); trio's
MockClock jumps to the next deadline whenever every task waits, so back-off delays are
exact and cost no real time.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import trio
import trio.testing

from lanctl.errors import FileSystemError, LanctlError
from lanctl.isolation import Isolation, RestartPolicy, describe, isolatable, leaves
from lanctl.service import Kept, ServiceHandle
from tests.support.fake_services import FakeHandle, FakeService


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    trio.run(scenario, clock=trio.testing.MockClock(autojump_threshold=0))


async def until(predicate: Callable[[], bool]) -> None:
    """Let the supervised tasks run (virtual time) until `predicate` holds."""
    with trio.fail_after(10_000):  # virtual seconds: only stops a hung test
        while not predicate():  # noqa: ASYNC110 - state owned by the tasks under test
            await trio.sleep(0.001)


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="lanctl")
    yield caplog


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]


async def start(
    nursery: trio.Nursery, iso: Isolation, *services: FakeService
) -> dict[str, ServiceHandle]:
    for service in services:
        await nursery.start(iso.supervise, service.name, service.serve, None)
    return iso.handles


def isolation(*services: FakeService, **policy: Any) -> Isolation:
    return Isolation({}, [s.name for s in services], RestartPolicy(**policy))


def test_a_failed_service_is_restarted_while_the_other_keeps_serving(
    records: pytest.LogCaptureFixture,
) -> None:
    dns, tftp = FakeService("dns"), FakeService("tftp")
    iso = isolation(dns, tftp)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            handles = await start(nursery, iso, dns, tftp)
            dns_handle = handles["dns"]
            assert list(handles) == ["dns", "tftp"]
            assert await tftp.ask("a") == "a from tftp #1"

            tftp.crash(RuntimeError("boom"))
            await until(lambda: "tftp" not in handles)
            # While TFTP is down, DNS answers and keeps its handle.
            assert await dns.ask("q") == "q from dns #1"
            assert handles["dns"] is dns_handle
            assert tftp.running == 0

            await until(lambda: "tftp" in handles)
            assert tftp.starts[1] == pytest.approx(tftp.crashes[0] + 1.0)  # first back-off: 1 s
            assert list(handles) == ["dns", "tftp"]  # start-up order kept
            assert handles["tftp"].stats() == {"generation": 2, "reloads": 0, "restarts": 1}
            assert await tftp.ask("b") == "b from tftp #2"
            assert await dns.ask("r") == "r from dns #1"
            assert len(dns.starts) == 1
            assert handles["dns"].stats()["restarts"] == 0
            nursery.cancel_scope.cancel()

    run(scenario)
    assert errors(records) == ["tftp: service failed: RuntimeError: boom; restarting in 1 s"]
    error = next(r for r in records.records if r.levelno == logging.ERROR)
    assert error.exc_info is None  # no traceback at ERROR ...
    debug = [r for r in records.records if r.levelno == logging.DEBUG and r.exc_info]
    assert len(debug) == 1  # ... only at DEBUG
    assert "tftp: service restarted (1 restarts)" in records.messages
    assert iso.stats_lines() == ["tftp: 1 restarts, 1 failures, last: RuntimeError: boom"]


def test_back_off_doubles_then_the_service_is_given_up(records: pytest.LogCaptureFixture) -> None:
    dns, tftp = FakeService("dns"), FakeService("tftp", ["crash"] * 10)
    iso = isolation(dns, tftp)  # defaults: 1 s doubling, 5 failures within 60 s

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            handles = await start(nursery, iso, dns, tftp)
            await until(lambda: iso.records["tftp"].given_up)
            await trio.sleep(1000)  # nothing restarts it any more
            assert len(tftp.starts) == 5
            assert "tftp" not in handles
            assert await dns.ask("q") == "q from dns #1"
            nursery.cancel_scope.cancel()

    run(scenario)
    gaps = [b - a for a, b in zip(tftp.starts, tftp.starts[1:], strict=False)]
    assert gaps == pytest.approx([1.0, 2.0, 4.0, 8.0])
    assert errors(records)[-1] == (
        "tftp: service failed: RuntimeError: tftp crashed; "
        "5 failures within 60 s, giving up (not restarted)"
    )
    assert len(errors(records)) == 5
    assert iso.stats_lines() == ["tftp: given up, 5 failures, last: RuntimeError: tftp crashed"]


def test_failures_further_apart_than_the_window_never_give_up() -> None:
    dns, tftp = FakeService("dns"), FakeService("tftp")
    iso = isolation(dns, tftp, max_failures=2, window=60.0)

    async def scenario() -> None:
        def restarted(times: int) -> bool:
            return len(tftp.starts) == times + 1 and "tftp" in iso.handles

        async with trio.open_nursery() as nursery:
            await start(nursery, iso, dns, tftp)
            for n in range(1, 5):
                tftp.crash(RuntimeError(f"crash {n}"))
                await until(functools.partial(restarted, n))
                await trio.sleep(100)
            nursery.cancel_scope.cancel()

    run(scenario)
    record = iso.records["tftp"]
    assert (record.restarts, record.failures, record.given_up) == (4, 4, False)
    delays = [start - crash for crash, start in zip(tftp.crashes, tftp.starts[1:], strict=True)]
    assert delays == pytest.approx([1.0] * 4)  # the back-off never grows: one failure at a time


def test_a_restart_that_fails_to_start_is_retried(records: pytest.LogCaptureFixture) -> None:
    dns, tftp = FakeService("dns"), FakeService("tftp", ["ready", "fail-start", "ready"])
    iso = isolation(dns, tftp)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            handles = await start(nursery, iso, dns, tftp)
            tftp.crash(ValueError("bad"))
            await until(lambda: len(tftp.starts) == 3 and "tftp" in handles)
            assert handles["tftp"].stats()["generation"] == 3
            nursery.cancel_scope.cancel()

    run(scenario)
    assert errors(records) == [
        "tftp: service failed: ValueError: bad; restarting in 1 s",
        "tftp: restart failed: FileSystemError: tftp root inaccessible; restarting in 2 s",
    ]
    record = iso.records["tftp"]
    assert (record.restarts, record.failures) == (1, 2)


def test_returning_after_ready_counts_as_a_failure(records: pytest.LogCaptureFixture) -> None:
    tftp = FakeService("tftp", ["return"])
    iso = isolation(tftp)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            handles = await start(nursery, iso, tftp)
            await until(lambda: len(tftp.starts) == 2 and "tftp" in handles)
            assert await tftp.ask("x") == "x from tftp #2"
            nursery.cancel_scope.cancel()

    run(scenario)
    assert errors(records) == ["tftp: service failed: stopped without an error; restarting in 1 s"]


def test_a_start_up_failure_before_ready_still_ends_the_process() -> None:
    dns, tftp = FakeService("dns"), FakeService("tftp", ["fail-start"])
    iso = isolation(dns, tftp)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(iso.supervise, "dns", dns.serve, None)
            with pytest.raises(FileSystemError) as info:
                await nursery.start(iso.supervise, "tftp", tftp.serve, None)
            assert info.value.exit_code == 3
            await trio.sleep(1000)
            assert len(tftp.starts) == 1  # never retried
            assert iso.records["tftp"].failures == 0
            nursery.cancel_scope.cancel()

    run(scenario)


@pytest.mark.parametrize(
    "exc",
    [
        KeyboardInterrupt(),
        SystemExit(3),
        BaseExceptionGroup("mixed", [RuntimeError("bug"), KeyboardInterrupt()]),
    ],
    ids=["ctrl-c", "exit", "group-with-ctrl-c"],
)
def test_interrupt_and_exit_are_never_isolated(exc: BaseException) -> None:
    dns, tftp = FakeService("dns"), FakeService("tftp")
    iso = isolation(dns, tftp)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            await start(nursery, iso, dns, tftp)
            tftp.crash(exc)
            await trio.sleep(1000)

    with pytest.raises(BaseException) as info:
        run(scenario)
    kinds = {type(leaf) for leaf in leaves(info.value)}
    assert kinds & {KeyboardInterrupt, SystemExit}
    assert len(tftp.starts) == 1
    assert iso.records["tftp"].failures == 0


def test_when_every_service_is_given_up_the_process_ends_with_exit_5(
    records: pytest.LogCaptureFixture,
) -> None:
    dns, tftp = FakeService("dns", ["crash"] * 9), FakeService("tftp", ["crash"] * 9)
    iso = isolation(dns, tftp, max_failures=2)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            await start(nursery, iso, dns, tftp)

    with pytest.raises(BaseExceptionGroup) as info:
        run(scenario)
    [error] = leaves(info.value)
    assert isinstance(error, LanctlError)
    assert error.exit_code == 5
    assert str(error) == "every service failed and was given up: dns, tftp"
    assert (len(dns.starts), len(tftp.starts)) == (2, 2)


def test_the_supervised_handle_delegates_to_the_current_instance() -> None:
    tftp = FakeService("tftp")
    iso = isolation(tftp)

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            handles = await start(nursery, iso, tftp)
            handle = handles["tftp"]
            handle.reload()
            assert handle.control("echo", {"k": 1}) == {"generation": 1, "k": 1}
            with pytest.raises(KeyError):
                handle.control("nope", {})
            assert handle.log_stats() == ["tftp fake: generation 1"]
            assert handle.name == "tftp"
            assert handle.generation == 1  # type: ignore[attr-defined]  # other attributes too
            assert tftp.handles[0].reloads == 1
            nursery.cancel_scope.cancel()

    run(scenario)


def test_describe_and_isolatable() -> None:
    group = ExceptionGroup("g", [RuntimeError("a"), ExceptionGroup("h", [OSError(5, "EIO")])])
    assert describe(group) == "RuntimeError: a; OSError: [Errno 5] EIO"
    assert describe(RuntimeError()) == "RuntimeError"
    assert isolatable(group)
    assert not isolatable(trio.Cancelled._create())
    assert not isolatable(BaseExceptionGroup("g", [RuntimeError("a"), SystemExit(1)]))


def test_policy_delay_doubles_up_to_the_cap() -> None:
    policy = RestartPolicy(first_delay=1.0, max_delay=30.0)
    assert [policy.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_what_a_service_keeps_survives_its_restarts_and_closes_when_given_up() -> None:
    """The `ctx` (service.Kept): opened once, found again by the restarted service (the
    DHCP lease store, which only root may open), closed when the service is given up."""
    seen: list[object] = []
    closed: list[str] = []

    async def serve(cfg: object, ctx: object = None, *, task_status: Any) -> None:
        assert isinstance(ctx, Kept)
        if ctx.get("store") is None:
            ctx.keep("store", object(), lambda: closed.append("store"))
        seen.append(ctx.get("store"))
        task_status.started(FakeHandle("dhcp", len(seen)))
        raise RuntimeError("fails at once")

    iso = Isolation({}, ["dhcp"], RestartPolicy(max_failures=3))

    async def scenario() -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(iso.supervise, "dhcp", serve, None)
        # the nursery ends when the service is given up (its only task returned)

    with pytest.raises(BaseException) as exc:  # every service given up: LanctlError
        run(scenario)
    assert [type(e) for e in leaves(exc.value)] == [LanctlError]
    assert len(seen) == 3 and seen[0] is seen[1] is seen[2]
    assert closed == ["store"]
