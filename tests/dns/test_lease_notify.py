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


def test_committed_lease_is_answered_without_waiting_for_the_poll(tmp_path: Path) -> None:
    store = SqliteBackend(tmp_path / "leases.sqlite")
    cfg = load(["-C", "/dev/null", "--no-hosts", "--no-resolv", "--domain=lan",
                f"--dhcp-leasefile={tmp_path / 'leases'}"])  # fmt: skip
    engine = DnsEngine(cfg.dns, load_local(cfg.dns), rng=random.Random(0))
    names = lease_names(cfg)
    assert names is not None
    attach(engine, names)
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
