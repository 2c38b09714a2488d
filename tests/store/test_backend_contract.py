"""One contract suite for every `LeaseBackend` (Kea's GenericLeaseMgrTest is the model).

Each test runs against `MemoryBackend` and `SqliteBackend`; "reopen" means a new
SqliteBackend on the same file, and for the memory backend a reload through dnsmasq's lease
file (export, parse, import), the only way it persists.  The two-process reservation race is
SQLite only: it is the one backend shared between processes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from pathlib import Path

import pytest

from lanctl.store import leasefile
from lanctl.store.backend import LeaseBackend, MemoryBackend
from lanctl.store.lease import Lease4, Lease6
from lanctl.store.sqlite import SqliteBackend

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000
MAC1 = bytes.fromhex("020000000001")
MAC2 = bytes.fromhex("020000000002")
DUID1 = bytes.fromhex("00030001020000000001")
DUID2 = bytes.fromhex("00030001020000000002")


def v4(last: int, mac: bytes = MAC1, **kw: object) -> Lease4:
    fields: dict[str, object] = {"expires": NOW + 3600, **kw}
    return Lease4(address=IPv4Address(f"192.0.2.{last}"), hwaddr=mac, **fields)  # type: ignore[arg-type]


def v6(n: int, duid: bytes = DUID1, iaid: int = 7, **kw: object) -> Lease6:
    fields: dict[str, object] = {"expires": NOW + 3600, **kw}
    address = IPv6Address(f"2001:db8::{n:x}")
    return Lease6(address=address, duid=duid, iaid=iaid, **fields)  # type: ignore[arg-type]


PD = Lease6(
    address=IPv6Network("2001:db8:100::/56"), duid=DUID2, iaid=9, kind="pd", expires=NOW + 60
)


class Stores:
    """Opens and reopens one backend kind."""

    def __init__(self, kind: str, path: Path) -> None:
        self.kind = kind
        self.path = path

    def open(self) -> LeaseBackend:
        if self.kind == "sqlite":
            return SqliteBackend(self.path)
        return MemoryBackend()

    def reopen(self, old: LeaseBackend) -> LeaseBackend:
        if self.kind == "sqlite":
            old.close()
            return SqliteBackend(self.path)
        text = leasefile.render(
            leasefile.LeaseFile(tuple(old.all4()), old.get_server_duid(), tuple(old.all6()))
        )
        parsed, warnings = leasefile.parse(text)
        assert warnings == []
        new = MemoryBackend([*parsed.v4, *parsed.v6])
        if parsed.server_duid is not None:
            new.set_server_duid(parsed.server_duid)
        return new


@pytest.fixture(params=["memory", "sqlite"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Stores:
    return Stores(request.param, tmp_path / "leases.sqlite")


@pytest.fixture
def store(stores: Stores) -> Iterator[LeaseBackend]:
    backend = stores.open()
    yield backend
    backend.close()


def test_empty_store(store: LeaseBackend) -> None:
    assert store.all4() == [] and store.all6() == []
    assert store.get4_by_address(IPv4Address("192.0.2.50")) is None
    assert store.get_server_duid() is None
    assert store.expire(NOW) == []


def test_commit_then_lookup_by_every_key(store: LeaseBackend) -> None:
    a = v4(50, client_id=b"\x01" + MAC1, hostname="alpha", tags=("known", "lan"))
    b = v4(51, MAC2)
    store.commit([a, b, v6(0x100), v6(0x101, iaid=8), PD])
    assert store.get4_by_address(IPv4Address("192.0.2.50")) == a
    assert store.get4_by_hwaddr(MAC2) == [b]
    assert store.get4_by_hwaddr(MAC2, hwtype=6) == []
    assert store.get4_by_client_id(b"\x01" + MAC1) == [a]
    assert store.get4_by_client_id(MAC1) == []
    assert store.get6(DUID1, 7) == [v6(0x100)]
    assert store.get6(DUID1, 8, "na") == [v6(0x101, iaid=8)]
    assert store.get6(DUID1, 7, "ta") == []
    assert store.get6(DUID2, 9, "pd") == [PD]
    assert store.get6_by_address(IPv6Address("2001:db8::100")) == v6(0x100)
    assert store.get6_by_address(IPv6Network("2001:db8:100::/56")) == PD
    assert store.get6_by_address(IPv6Network("2001:db8:100::/64")) is None
    assert store.all4() == [a, b]
    assert store.all6() == [v6(0x100), v6(0x101, iaid=8), PD]


def test_renew_replaces_the_lease_on_that_address(store: LeaseBackend) -> None:
    store.commit([v4(50)])
    renewed = v4(50, expires=NOW + 7200, hostname="alpha")
    store.commit([renewed])
    assert store.all4() == [renewed]
    store.commit([v6(1)])
    store.commit([v6(1, expires=NOW + 99)])
    assert store.all6() == [v6(1, expires=NOW + 99)]


def test_release_deletes_and_returns_the_lease(store: LeaseBackend) -> None:
    store.commit([v4(50), v4(51), v6(1), PD])
    assert store.release(IPv4Address("192.0.2.50")) == v4(50)
    assert store.release(IPv4Address("192.0.2.50")) is None
    assert store.release(IPv6Address("2001:db8::1")) == v6(1)
    assert store.release(PD.address) == PD
    assert store.all4() == [v4(51)] and store.all6() == []


def test_expire_at_now_removes_exactly_the_run_out_leases(store: LeaseBackend) -> None:
    due, later, forever = v4(50, expires=NOW), v4(51, expires=NOW + 1), v4(52, expires=0)
    due6 = v6(1, expires=NOW - 5)
    store.commit([due, later, forever, due6, v6(2)])
    assert store.expire(NOW) == [due, due6]
    assert store.all4() == [later, forever]
    assert store.all6() == [v6(2)]
    assert store.expire(NOW) == []


def test_count_in_range(store: LeaseBackend) -> None:
    store.commit([v4(49), v4(50), v4(55, expires=NOW - 1), v4(60), v4(61), v6(0x150), PD])
    lo, hi = IPv4Address("192.0.2.50"), IPv4Address("192.0.2.60")
    assert store.count_in_range(lo, hi) == 3
    assert store.count_in_range(lo, hi, now=NOW) == 2
    assert store.count_in_range(IPv4Address("192.0.2.62"), IPv4Address("192.0.2.99")) == 0
    assert store.count_in_range(IPv6Address("2001:db8::100"), IPv6Address("2001:db8::1ff")) == 1
    big = (IPv6Address("2001:db8::"), IPv6Address("2001:db8:ffff::"))
    assert store.count_in_range(*big) == 2


def test_reserve_is_refused_while_another_client_holds_the_address(store: LeaseBackend) -> None:
    assert store.reserve4(v4(50, MAC1), now=NOW)
    assert not store.reserve4(v4(50, MAC2), now=NOW)
    assert store.get4_by_address(IPv4Address("192.0.2.50")) == v4(50, MAC1)
    # the holder itself may renew it
    assert store.reserve4(v4(50, MAC1, expires=NOW + 9000), now=NOW)
    # once it has expired, anyone may take it
    assert not store.reserve4(v4(50, MAC2, expires=NOW + 9001), now=NOW + 8999)
    assert store.reserve4(v4(50, MAC2, expires=NOW + 9001), now=NOW + 9000)
    assert store.get4_by_address(IPv4Address("192.0.2.50")) == v4(50, MAC2, expires=NOW + 9001)


def test_reserve_identifies_clients_by_client_id_first(store: LeaseBackend) -> None:
    assert store.reserve4(v4(50, MAC1, client_id=b"\x00abc"), now=NOW)
    assert store.reserve4(v4(50, MAC2, client_id=b"\x00abc"), now=NOW)  # same client, new NIC
    assert not store.reserve4(v4(50, MAC2, client_id=b"\x00xyz"), now=NOW)  # same NIC, new id
    assert not store.reserve4(v4(50, MAC1), now=NOW)
    # without a client-id on one side, the hardware address decides (dnsmasq's rule)
    assert store.reserve4(v4(50, MAC2), now=NOW)
    assert store.reserve4(v4(50, MAC2, client_id=b"\x00new"), now=NOW)
    assert store.get4_by_address(IPv4Address("192.0.2.50")) == v4(50, MAC2, client_id=b"\x00new")


def test_reserve_never_matches_two_clients_without_any_hardware_address(
    store: LeaseBackend,
) -> None:
    assert store.reserve4(v4(52, b"", hwtype=32), now=NOW)
    assert not store.reserve4(v4(52, b"", hwtype=32, client_id=b"\xff\x01"), now=NOW)


def test_server_duid_survives_reopen(stores: Stores) -> None:
    store = stores.open()
    store.set_server_duid(b"\x00\x01\x00\x01\x32\x99\xb4\xf8\x02\x00\x00\x00\x01\x01")
    store = stores.reopen(store)
    assert store.get_server_duid() == b"\x00\x01\x00\x01\x32\x99\xb4\xf8\x02\x00\x00\x00\x01\x01"
    store.close()


def test_reopen_holds_every_lease(stores: Stores) -> None:
    store = stores.open()
    leases4 = [v4(n, bytes([2, 0, 0, 0, 0, n]), hostname=f"h{n}") for n in range(50, 61)]
    leases4.append(v4(61, expires=0, client_id=b"\xff\x01"))
    leases6 = [v6(n, iaid=n) for n in range(1, 6)] + [PD]
    store.commit([*leases4, *leases6])
    store = stores.reopen(store)
    assert store.all4() == leases4
    assert store.all6() == leases6
    store.close()


def test_changed_reports_commits(store: LeaseBackend) -> None:
    assert store.changed()  # the first call: a reader has seen nothing yet
    assert not store.changed()
    store.commit([v4(50)])
    assert store.changed()
    assert not store.changed()
    store.commit([])
    assert not store.changed()
    store.release(IPv4Address("192.0.2.50"))
    assert store.changed()


# --- SQLite: shared between processes -------------------------------------------------


def test_sqlite_reader_notices_another_connections_commit(tmp_path: Path) -> None:
    writer = SqliteBackend(tmp_path / "s.sqlite")
    reader = SqliteBackend(tmp_path / "s.sqlite", readonly=True)
    assert reader.changed()
    assert not reader.changed()
    writer.commit([v4(50)])
    assert reader.changed()
    assert reader.all4() == [v4(50)]
    assert not reader.changed()
    reader.close()
    writer.close()


def _worker(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "tests.store._worker", *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)


def test_two_processes_reserving_never_get_the_same_address(tmp_path: Path) -> None:
    db = tmp_path / "race.sqlite"
    SqliteBackend(db).close()
    procs = [_worker("reserve", str(db), str(p), "8") for p in (1, 2)]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        (tmp_path / "race.sqlite.go").touch()
        outputs = [proc.communicate(timeout=60)[0] for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert [proc.returncode for proc in procs] == [0, 0]
    granted = [line.split() for out in outputs for line in out.splitlines()]
    addresses = [addr for addr, _ in granted]
    assert len(addresses) == 10, granted  # 16 clients, 10 addresses: every address once
    assert len(set(addresses)) == 10, granted
    store = SqliteBackend(db)
    held = {str(x.address): x.hwaddr.hex() for x in store.all4()}
    store.close()
    assert held == dict(granted)
