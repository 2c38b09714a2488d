"""`SqliteBackend`: the default lease store, one SQLite file shared by lanctl processes.

stdlib sqlite3 in WAL mode.  `synchronous=NORMAL` (default) keeps every committed
transaction through a process kill at any moment; `fsync="full"` (`--lease-fsync=full`)
also through power loss.  Writes run in `BEGIN IMMEDIATE` transactions, so a reservation
(check + insert) is atomic across processes (RELIABILITY P6) and a group of leases is one
commit (RFC 2131 §3.1: stored before DHCPACK).  Readers notice other writers through
`PRAGMA data_version` (`changed()`).  Rows that no longer decode are skipped and listed in
`warnings` (RELIABILITY P5).  One caller at a time per instance.
"""

from __future__ import annotations

import json
import os
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from ipaddress import IPv4Address, IPv6Address, IPv6Network
from typing import Any, Literal

from lanctl.errors import FileSystemError
from lanctl.store.backend import AnyAddress
from lanctl.store.lease import ETHERNET, LEASE6_KINDS, Lease, Lease4, Lease6, Lease6Kind, LeaseKey
from lanctl.store.schema import LATEST, check_version, migrate, schema_version

Fsync = Literal["normal", "full"]
CACHE_KIB = 65536  # the writer's page cache, at most
_COLS4 = "address, hwaddr, hwtype, client_id, hostname, expires, tags"
_COLS6 = "address, prefix_len, duid, iaid, kind, hostname, expires"
_LIVE = "(expires = 0 OR expires > ?)"


def _row4(row: tuple[Any, ...]) -> Lease4:
    address, hwaddr, hwtype, client_id, hostname, expires, tags = row
    return Lease4(
        address=IPv4Address(address),
        hwaddr=bytes(hwaddr),
        hwtype=int(hwtype),
        client_id=None if client_id is None else bytes(client_id),
        hostname=hostname,
        expires=int(expires),
        tags=tuple(str(t) for t in json.loads(tags)),
    )


def _row6(row: tuple[Any, ...]) -> Lease6:
    address, prefix_len, duid, iaid, kind, hostname, expires = row
    if kind not in LEASE6_KINDS:
        raise ValueError(f"lease kind {kind!r}")
    addr = IPv6Address(bytes(address))
    return Lease6(
        address=IPv6Network((addr, int(prefix_len))) if kind == "pd" else addr,
        duid=bytes(duid),
        iaid=int(iaid),
        kind=kind,
        hostname=hostname,
        expires=int(expires),
    )


_UPSERT4 = f"INSERT OR REPLACE INTO lease4 ({_COLS4}) VALUES (?,?,?,?,?,?,?)"
_UPSERT6 = f"INSERT OR REPLACE INTO lease6 ({_COLS6}) VALUES (?,?,?,?,?,?,?)"


def _params4(x: Lease4) -> tuple[Any, ...]:
    tags = json.dumps(list(x.tags)) if x.tags else "[]"
    return (int(x.address), x.hwaddr, x.hwtype, x.client_id, x.hostname, x.expires, tags)


def _key6(key: IPv6Address | IPv6Network) -> tuple[bytes, int]:
    if isinstance(key, IPv6Network):
        return key.network_address.packed, key.prefixlen
    return key.packed, 128


def _params6(x: Lease6) -> tuple[Any, ...]:
    return (*_key6(x.address), x.duid, x.iaid, x.kind, x.hostname, x.expires)


class SqliteBackend:
    """The SQLite `LeaseBackend`; `readonly=True` for readers such as `lanctl dhcp leases`."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fsync: Fsync = "normal",
        readonly: bool = False,
        busy_timeout_ms: int = 5000,
    ) -> None:
        if fsync not in ("normal", "full"):
            raise ValueError(f"fsync={fsync!r}: normal or full")
        self.path = os.fspath(path)
        self.readonly = readonly
        self.warnings: list[str] = []
        self._wrote = False
        self._data_version: int | None = None
        self._checkpointer: sqlite3.Connection | None = None  # housekeeping()
        try:
            self._db = self._connect(busy_timeout_ms)
        except sqlite3.Error as exc:
            raise FileSystemError(f"cannot open lease store {self.path}: {exc}") from exc
        try:
            if readonly:
                version = schema_version(self._db)
                check_version(version, self.path)
                if version != LATEST:
                    raise FileSystemError(
                        f"lease store {self.path} has schema {version}, not {LATEST}: "
                        "open it once read-write to upgrade it"
                    )
            else:
                self._db.execute(f"PRAGMA synchronous = {fsync.upper()}")
                # SQLite's default page cache (2 MiB) holds ~25k leases: past that, commits
                # of random addresses re-read B-tree pages from the file, 24 instead of 12 us
                # per lease at 120k leases.  Pages are cached only as they are used.
                self._db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
                self._db.execute("PRAGMA journal_mode = WAL")
                migrate(self._db, self.path)
        except sqlite3.Error as exc:
            self._db.close()
            raise FileSystemError(f"cannot open lease store {self.path}: {exc}") from exc
        except BaseException:
            self._db.close()
            raise

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        if self.readonly:
            if not os.path.exists(self.path):
                raise sqlite3.OperationalError("no such file")
            uri = f"file:{urllib.parse.quote(os.path.abspath(self.path))}?mode=ro"
            db = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        else:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        return db

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: committed (durably) when the block ends normally."""
        if self.readonly:
            raise FileSystemError(f"lease store {self.path} is open read-only")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back already
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise FileSystemError(f"lease store {self.path}: {exc}") from exc
        self._wrote = True

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise FileSystemError(f"lease store {self.path}: {exc}") from exc

    def _leases4(self, where: str, params: Sequence[Any] = ()) -> list[Lease4]:
        out: list[Lease4] = []
        for row in self._query(f"SELECT {_COLS4} FROM lease4 {where} ORDER BY address", params):
            try:
                out.append(_row4(row))
            except (ValueError, TypeError) as exc:
                self.warnings.append(f"lease4 row {row[0]!r} skipped: {exc}")
        return out

    def _leases6(self, where: str, params: Sequence[Any] = ()) -> list[Lease6]:
        out: list[Lease6] = []
        sql = f"SELECT {_COLS6} FROM lease6 {where} ORDER BY address, prefix_len"
        for row in self._query(sql, params):
            try:
                out.append(_row6(row))
            except (ValueError, TypeError) as exc:
                self.warnings.append(f"lease6 row {row[0]!r} skipped: {exc}")
        return out

    def get4_by_address(self, address: IPv4Address) -> Lease4 | None:
        found = self._leases4("WHERE address = ?", (int(address),))
        return found[0] if found else None

    def get4_by_hwaddr(self, hwaddr: bytes, hwtype: int = ETHERNET) -> list[Lease4]:
        return self._leases4("WHERE hwaddr = ? AND hwtype = ?", (hwaddr, hwtype))

    def get4_by_client_id(self, client_id: bytes) -> list[Lease4]:
        return self._leases4("WHERE client_id = ?", (client_id,))

    def get6(self, duid: bytes, iaid: int, kind: Lease6Kind = "na") -> list[Lease6]:
        return self._leases6("WHERE duid = ? AND iaid = ? AND kind = ?", (duid, iaid, kind))

    def get6_by_address(self, address: IPv6Address | IPv6Network) -> Lease6 | None:
        found = self._leases6("WHERE address = ? AND prefix_len = ?", _key6(address))
        return found[0] if found else None

    def reserve4(self, lease: Lease4, *, now: int) -> bool:
        with self._write() as db:
            row = db.execute(
                f"SELECT {_COLS4} FROM lease4 WHERE address = ?", (int(lease.address),)
            ).fetchone()
            if row is not None:
                held = _row4(row)
                if not held.expired(now) and not held.same_client(lease):
                    return False
            db.execute(
                f"INSERT OR REPLACE INTO lease4 ({_COLS4}) VALUES (?,?,?,?,?,?,?)", _params4(lease)
            )
        return True

    def commit(self, changes: Sequence[Lease]) -> None:
        if not changes:
            return
        v4 = [_params4(x) for x in changes if isinstance(x, Lease4)]
        v6 = [_params6(x) for x in changes if isinstance(x, Lease6)]
        with self._write() as db:  # one transaction for the whole group (a receive batch)
            if v4:
                db.executemany(_UPSERT4, v4)
            if v6:
                db.executemany(_UPSERT6, v6)

    def release(self, address: LeaseKey) -> Lease | None:
        with self._write() as db:
            if isinstance(address, IPv4Address):
                row = db.execute(
                    f"SELECT {_COLS4} FROM lease4 WHERE address = ?", (int(address),)
                ).fetchone()
                db.execute("DELETE FROM lease4 WHERE address = ?", (int(address),))
                return None if row is None else _row4(row)
            key = _key6(address)
            row = db.execute(
                f"SELECT {_COLS6} FROM lease6 WHERE address = ? AND prefix_len = ?", key
            ).fetchone()
            db.execute("DELETE FROM lease6 WHERE address = ? AND prefix_len = ?", key)
            return None if row is None else _row6(row)

    def expire(self, now: int) -> list[Lease]:
        dead = "WHERE expires != 0 AND expires <= ?"
        with self._write() as db:
            rows4 = db.execute(f"SELECT {_COLS4} FROM lease4 {dead} ORDER BY address", (now,))
            gone: list[Lease] = [_row4(r) for r in rows4.fetchall()]
            rows6 = db.execute(
                f"SELECT {_COLS6} FROM lease6 {dead} ORDER BY address, prefix_len", (now,)
            )
            gone += [_row6(r) for r in rows6.fetchall()]
            db.execute(f"DELETE FROM lease4 {dead}", (now,))
            db.execute(f"DELETE FROM lease6 {dead}", (now,))
        return gone

    def all4(self) -> list[Lease4]:
        return self._leases4("")

    def all6(self) -> list[Lease6]:
        return self._leases6("")

    def count_in_range(self, start: AnyAddress, end: AnyAddress, *, now: int | None = None) -> int:
        if start.version != end.version:
            raise ValueError(f"range {start}..{end} mixes address families")
        table = "lease4" if start.version == 4 else "lease6"
        lo: int | bytes = int(start) if start.version == 4 else start.packed
        hi: int | bytes = int(end) if end.version == 4 else end.packed
        live = f" AND {_LIVE}" if now is not None else ""
        params = (lo, hi, now) if now is not None else (lo, hi)
        rows = self._query(
            f"SELECT count(*) FROM {table} WHERE address BETWEEN ? AND ?{live}", params
        )
        return int(rows[0][0])

    def get_server_duid(self) -> bytes | None:
        rows = self._query("SELECT value FROM meta WHERE key = 'server_duid'")
        return bytes(rows[0][0]) if rows else None

    def set_server_duid(self, duid: bytes) -> None:
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('server_duid', ?)", (duid,)
            )

    def changed(self) -> bool:
        version = int(self._query("PRAGMA data_version")[0][0])
        seen, self._data_version = self._data_version, version
        wrote, self._wrote = self._wrote, False
        return wrote or seen != version

    def housekeeping(self) -> Callable[[], None] | None:
        """WAL checkpoints leave commit(): they fsync, which stalled the committing thread
        (a DHCP receive loop) for ~5 us per lease at 8000 leases/s.  The function returned
        checkpoints through a connection of its own, for a worker thread (GIL released)."""
        if self.readonly:
            return None
        if self._checkpointer is None:
            self._db.execute("PRAGMA wal_autocheckpoint = 0")
            self._checkpointer = self._connect(5000)
            # Now, while privileged: SQLite opens the -wal and -shm files at first use, and
            # after the drop to nobody root's files would be read-only to this connection.
            self._checkpoint()
        return self._checkpoint

    def _checkpoint(self) -> None:
        """Copy what the WAL holds into the database; PASSIVE: never waits for the writer."""
        db = self._checkpointer
        if db is not None:
            try:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as exc:
                raise FileSystemError(f"lease store {self.path}: checkpoint: {exc}") from exc

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        self._db.close()
