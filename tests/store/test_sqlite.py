"""SqliteBackend beyond the shared contract: schema migrations, newer schemas, read-only
readers, damaged rows and files, fsync modes."""

from __future__ import annotations

import os
import pwd
import sqlite3
import sys
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.errors import FileSystemError
from lanctl.store.lease import Lease4
from lanctl.store.schema import LATEST, META, migrate, schema_version
from lanctl.store.sqlite import CACHE_KIB, SqliteBackend

LEASE = Lease4(address=IPv4Address("192.0.2.50"), hwaddr=b"\x02\0\0\0\0\x01", expires=7)


def _meta(path: Path, sql: str, *params: object) -> None:
    with sqlite3.connect(path) as db:
        db.execute(sql, params)


def test_new_store_is_wal_at_the_latest_schema(tmp_path: Path) -> None:
    SqliteBackend(tmp_path / "s.sqlite").close()
    with sqlite3.connect(tmp_path / "s.sqlite") as db:
        assert schema_version(db) == LATEST == 3
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


@pytest.mark.parametrize(("fsync", "level"), [("normal", 1), ("full", 2)])
def test_fsync_mode_sets_synchronous(tmp_path: Path, fsync: str, level: int) -> None:
    store = SqliteBackend(tmp_path / "s.sqlite", fsync=fsync)  # type: ignore[arg-type]
    assert store._db.execute("PRAGMA synchronous").fetchone() == (level,)
    store.close()


def test_the_writer_caches_a_large_lease_table(tmp_path: Path) -> None:
    store = SqliteBackend(tmp_path / "s.sqlite")
    assert store._db.execute("PRAGMA cache_size").fetchone() == (-CACHE_KIB,)
    assert CACHE_KIB * 1024 >= 100_000 * 100  # 100k leases of ~100 bytes
    store.close()


def test_bad_fsync_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="normal or full"):
        SqliteBackend(tmp_path / "s.sqlite", fsync="sometimes")  # type: ignore[arg-type]


def test_migration_from_schema_1_keeps_the_leases(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    assert migrate(db, str(path), upto=1) == 1
    db.execute(
        "INSERT INTO lease4 (address, hwaddr, hwtype, client_id, hostname, expires, tags)"
        " VALUES (?, ?, 1, NULL, 'old', 7, '[]')",
        (int(LEASE.address), LEASE.hwaddr),
    )
    db.close()
    store = SqliteBackend(path)
    assert store.all4() == [Lease4(LEASE.address, LEASE.hwaddr, hostname="old", expires=7)]
    store.close()
    with sqlite3.connect(path) as db:
        assert schema_version(db) == 3
        indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert {"lease6_client", "lease6_expires"} <= indexes
        assert not any(name.startswith("lease4_") for name in indexes)


def test_newer_schema_is_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite"
    SqliteBackend(path).close()
    _meta(path, "UPDATE meta SET value = ? WHERE key = 'schema_version'", LATEST + 1)
    for readonly in (False, True):
        with pytest.raises(FileSystemError) as err:
            SqliteBackend(path, readonly=readonly)
        assert err.value.exit_code == 3
        assert f"lease store schema {LATEST + 1} is newer than this lanctl" in str(err.value)


def test_store_without_version_row_is_migrated_from_zero(tmp_path: Path) -> None:
    path = tmp_path / "bare.sqlite"
    _meta(path, META)
    store = SqliteBackend(path)
    store.commit([LEASE])
    assert store.all4() == [LEASE]
    store.close()


def test_readonly_reader_cannot_write(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    writer = SqliteBackend(path)
    writer.commit([LEASE])
    writer.close()
    reader = SqliteBackend(path, readonly=True)
    assert reader.all4() == [LEASE]
    with pytest.raises(FileSystemError, match="read-only"):
        reader.commit([LEASE])
    reader.close()


def test_readonly_open_of_a_missing_store_is_exit_3(tmp_path: Path) -> None:
    with pytest.raises(FileSystemError) as err:
        SqliteBackend(tmp_path / "absent.sqlite", readonly=True)
    assert err.value.exit_code == 3
    assert not (tmp_path / "absent.sqlite").exists()


def test_readonly_open_of_an_old_schema_asks_for_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path, isolation_level=None)
    migrate(db, str(path), upto=1)
    db.close()
    with pytest.raises(FileSystemError, match="open it once read-write"):
        SqliteBackend(path, readonly=True)


def test_a_file_that_is_not_a_database_is_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite\n" * 100)
    with pytest.raises(FileSystemError) as err:
        SqliteBackend(path)
    assert err.value.exit_code == 3
    assert path.read_bytes() == b"this is not sqlite\n" * 100  # never emptied


def test_damaged_rows_are_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = SqliteBackend(path)
    store.commit([LEASE])
    store._db.execute(
        "INSERT INTO lease4 (address, hwaddr, hwtype, expires, tags)"
        " VALUES (?, x'02', 999, 1, '[]')",
        (int(IPv4Address("192.0.2.51")),),
    )
    store._db.execute(
        "INSERT INTO lease6 (address, prefix_len, duid, iaid, kind, expires)"
        " VALUES (x'0102', 128, x'00', 1, 'na', 1)"
    )
    assert store.all4() == [LEASE]
    assert store.all6() == []
    assert len(store.warnings) == 2
    assert "hardware type 999" in store.warnings[0]
    store.close()


def _wal_frames_after(store: SqliteBackend, path: Path, commits: int) -> tuple[int, int]:
    """(frames in the WAL, frames already copied back) after `commits` one-lease commits."""
    for i in range(commits):
        address = IPv4Address(int(LEASE.address) + i * 256)  # spread over many pages
        store.commit([Lease4(address=address, hwaddr=LEASE.hwaddr, expires=7)])
    with sqlite3.connect(path) as other:
        _busy, frames, copied = other.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(frames), int(copied)


def test_housekeeping_takes_checkpoints_out_of_commits(tmp_path: Path) -> None:
    plain = SqliteBackend(tmp_path / "plain.sqlite")
    frames, _ = _wal_frames_after(plain, tmp_path / "plain.sqlite", 1200)
    assert frames < 1000  # SQLite's own checkpoint every 1000 pages, inside commit()
    plain.close()
    path = tmp_path / "kept.sqlite"
    store = SqliteBackend(path)
    run = store.housekeeping()
    assert run is not None and store.housekeeping() is not None  # asking twice is harmless
    empty = path.stat().st_size
    for i in range(1200):
        address = IPv4Address(int(LEASE.address) + i * 256)
        store.commit([Lease4(address=address, hwaddr=LEASE.hwaddr, expires=7)])
    assert path.stat().st_size == empty  # every page still in the WAL: commit() copied none
    run()  # what the DHCP server's timer task does, from a worker thread
    assert path.stat().st_size > empty  # now they are in the database file
    assert len(store.all4()) == 1200
    store.close()


def test_housekeeping_of_a_reader_is_none(tmp_path: Path) -> None:
    SqliteBackend(tmp_path / "s.sqlite").close()
    reader = SqliteBackend(tmp_path / "s.sqlite", readonly=True)
    assert reader.housekeeping() is None
    reader.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="the drop to nobody needs root")
def test_housekeeping_still_works_after_the_drop_to_nobody(tmp_path: Path) -> None:
    """As the DHCP server: store and housekeeping opened as root, then run as nobody."""
    nobody = pwd.getpwnam("nobody")
    path = tmp_path / "s.sqlite"
    child = os.fork()
    if child == 0:  # pragma: no cover - reported through the exit status
        code = 1
        try:
            store = SqliteBackend(path)
            run = store.housekeeping()
            assert run is not None
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            store.commit([LEASE])
            run()
            code = 0
        except BaseException as exc:
            print(f"as nobody: {exc!r}", file=sys.stderr)
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
