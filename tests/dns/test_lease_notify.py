"""`lanctl all`: a lease the DHCP service commits is answered by DNS at once, not after a poll.

In virtual time (trio's MockClock, time never moves by itself): the DNS lease watcher must
pick the new lease up from the in-process notice (store/changes.py) alone; without it the
name would only appear after the 0.1 s data_version poll.
"""

from __future__ import annotations

import random
import time
from ipaddress import IPv4Address
from pathlib import Path

import trio
import trio.testing

from lanctl.config import load
from lanctl.dns.engine import DnsEngine
from lanctl.dns.leases import attach, lease_names, watch_leases
from lanctl.dns.server import load_local
from lanctl.dns.wire import QType, encode_name
from lanctl.store.changes import leases_changed, subscribe
from lanctl.store.lease import Lease4
from lanctl.store.names import LeaseNames
from lanctl.store.sqlite import SqliteBackend

MAC = bytes.fromhex("020000000001")


def test_subscribe_and_unsubscribe() -> None:
    calls: list[int] = []
    unsubscribe = subscribe(lambda: calls.append(1))
    leases_changed()
    unsubscribe()
    leases_changed()
    unsubscribe()  # twice: harmless
    assert calls == [1]


def _watched(tmp_path: Path) -> tuple[SqliteBackend, DnsEngine, LeaseNames]:
    """A lease store, and a DNS engine answering the names of its leases (--domain=lan)."""
    store = SqliteBackend(tmp_path / "leases.sqlite")
    cfg = load(["-C", "/dev/null", "--no-hosts", "--no-resolv", "--domain=lan",
                f"--dhcp-leasefile={tmp_path / 'leases'}"])  # fmt: skip
    engine = DnsEngine(cfg.dns, load_local(cfg.dns), rng=random.Random(0))
    names = lease_names(cfg)
    assert names is not None
    attach(engine, names)
    return store, engine, names


def test_committed_lease_is_answered_without_waiting_for_the_poll(tmp_path: Path) -> None:
    store, engine, names = _watched(tmp_path)
    name = encode_name("laptop.lan")
    seen: list[bool] = []

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch_leases, engine, names)
            await trio.testing.wait_all_tasks_blocked()
            seen.append(engine.local.answer(name, QType.A) is not None)
            far = int(time.time()) + 3600
            store.commit([Lease4(IPv4Address("192.0.2.50"), MAC, hostname="laptop", expires=far)])
            leases_changed()
            await trio.testing.wait_all_tasks_blocked()
            seen.append(engine.local.answer(name, QType.A) is not None)
            nursery.cancel_scope.cancel()

    try:
        trio.run(main, clock=trio.testing.MockClock())
    finally:
        store.close()
    assert seen == [False, True]


def test_after_a_slow_reload_the_next_one_waits_nine_times_as_long(tmp_path: Path) -> None:
    """A large lease table under a boot storm: reloads may take at most a tenth of the time."""
    store, engine, names = _watched(tmp_path)
    ticks = iter(range(1000))

    def cost_clock() -> float:  # every reload seems to take 50 ms
        return next(ticks) * 0.05

    far = int(time.time()) + 3600
    seen: list[tuple[bool, bool]] = []

    def commit(host: str, last: int) -> None:
        address = IPv4Address(f"192.0.2.{last}")
        store.commit([Lease4(address, MAC[:5] + bytes([last]), hostname=host, expires=far)])
        leases_changed()

    def answered() -> tuple[bool, bool]:
        return tuple(  # type: ignore[return-value]
            engine.local.answer(encode_name(f"{h}.lan"), QType.A) is not None for h in ("a", "b")
        )

    async def main() -> None:
        clock = trio.lowlevel.current_clock()
        assert isinstance(clock, trio.testing.MockClock)
        async with trio.open_nursery() as nursery:
            nursery.start_soon(watch_leases, engine, names, cost_clock)
            await trio.testing.wait_all_tasks_blocked()
            commit("a", 50)
            await trio.testing.wait_all_tasks_blocked()
            seen.append(answered())  # at once: the watcher was idle
            commit("b", 51)
            await trio.testing.wait_all_tasks_blocked()
            seen.append(answered())  # not yet: resting 9 x 50 ms after the last reload
            clock.jump(0.44)
            await trio.testing.wait_all_tasks_blocked()
            seen.append(answered())
            clock.jump(0.02)
            await trio.testing.wait_all_tasks_blocked()
            seen.append(answered())  # the rest is over: the notice is acted on
            nursery.cancel_scope.cancel()

    try:
        trio.run(main, clock=trio.testing.MockClock())
    finally:
        store.close()
    assert seen == [(True, False), (True, False), (True, False), (True, True)]
