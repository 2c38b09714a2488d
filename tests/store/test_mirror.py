"""Import from and export to dnsmasq's lease file, for every backend; atomic rewrites and
their coalescing (ARCHITECTURE §2.5, RELIABILITY §3d)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.errors import FileSystemError
from lanctl.store import leasefile
from lanctl.store.backend import LeaseBackend, MemoryBackend
from lanctl.store.lease import Lease4
from lanctl.store.mirror import import_leasefile, snapshot, write_atomic
from lanctl.store.sqlite import SqliteBackend

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "leases" / "dnsmasq-v4v6.leases"
LEASE = Lease4(IPv4Address("192.0.2.70"), bytes.fromhex("020000000070"), expires=5)


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeaseBackend]:
    backend: LeaseBackend
    if request.param == "sqlite":
        backend = SqliteBackend(tmp_path / "s.sqlite")
    else:
        backend = MemoryBackend()
    yield backend
    backend.close()


def test_import_then_export_keeps_every_lease_and_the_duid(store: LeaseBackend) -> None:
    assert import_leasefile(store, GOLDEN) == []
    parsed, _ = leasefile.parse(GOLDEN.read_text())
    got = snapshot(store)
    assert set(got.v4) == set(parsed.v4) and len(got.v4) == 7
    assert set(got.v6) == set(parsed.v6) and len(got.v6) == 2
    assert got.server_duid == parsed.server_duid
    assert [int(x.address) for x in got.v4] == sorted(int(x.address) for x in parsed.v4)


def test_import_leaves_a_store_with_leases_alone(store: LeaseBackend) -> None:
    store.commit([LEASE])
    assert import_leasefile(store, GOLDEN) == []
    assert store.all4() == [LEASE] and store.all6() == []


def test_import_keeps_the_stores_server_duid(store: LeaseBackend) -> None:
    store.set_server_duid(b"\x00\x02mine")
    import_leasefile(store, GOLDEN)
    assert store.get_server_duid() == b"\x00\x02mine"
    assert len(store.all4()) == 7


def test_import_of_a_damaged_file_loads_the_good_lines(store: LeaseBackend, tmp_path: Path) -> None:
    lines = GOLDEN.read_text().splitlines(keepends=True)
    damaged = tmp_path / "damaged.leases"
    damaged.write_text("".join([*lines[:3], "1 2 3\n", *lines[3:], "17000 02:00:00"]))
    warnings = import_leasefile(store, damaged)
    assert [w.line for w in warnings] == [4, len(lines) + 2]
    assert len(store.all4()) == 7 and len(store.all6()) == 2


def test_import_of_a_missing_file_is_nothing(store: LeaseBackend, tmp_path: Path) -> None:
    assert import_leasefile(store, tmp_path / "absent.leases") == []
    assert store.all4() == []


def test_write_atomic_replaces_the_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "dnsmasq.leases"
    target.write_text("old\n")
    write_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dnsmasq.leases"]


def test_write_atomic_failure_is_exit_3(tmp_path: Path) -> None:
    with pytest.raises(FileSystemError) as err:
        write_atomic(tmp_path / "no" / "such" / "dir.leases", "x\n")
    assert err.value.exit_code == 3
