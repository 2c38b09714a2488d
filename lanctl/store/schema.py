"""The SQLite lease-store schema and its numbered migrations.

Migration N brings a database from schema N-1 to N; the version lives in the `meta` table
(key `schema_version`) next to the server DUID (`server_duid`, the DHCPv6 server identifier
dnsmasq keeps in its lease file).  A database newer than `LATEST` is refused with exit 3
(ARCHITECTURE §2.5: never a guess).  IPv4 addresses are integers, IPv6 addresses 16-octet
big-endian blobs, so range scans are plain BETWEEN comparisons.
"""

from __future__ import annotations

import sqlite3

from lanctl.errors import FileSystemError

META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: the lease tables
        """CREATE TABLE lease4 (
            address INTEGER PRIMARY KEY,
            hwaddr BLOB NOT NULL,
            hwtype INTEGER NOT NULL,
            client_id BLOB,
            hostname TEXT,
            expires INTEGER NOT NULL,
            tags TEXT NOT NULL DEFAULT '[]'
        )""",
        """CREATE TABLE lease6 (
            address BLOB NOT NULL,
            prefix_len INTEGER NOT NULL,
            duid BLOB NOT NULL,
            iaid INTEGER NOT NULL,
            kind TEXT NOT NULL,
            hostname TEXT,
            expires INTEGER NOT NULL,
            PRIMARY KEY (address, prefix_len)
        )""",
    ),
    (  # 2: indexes for the client lookups and for expiry
        "CREATE INDEX lease4_hwaddr ON lease4 (hwaddr, hwtype)",
        "CREATE INDEX lease4_client_id ON lease4 (client_id)",
        "CREATE INDEX lease4_expires ON lease4 (expires)",
        "CREATE INDEX lease6_client ON lease6 (duid, iaid, kind)",
        "CREATE INDEX lease6_expires ON lease6 (expires)",
    ),
    (  # 3: no secondary v4 indexes.  Every DHCPv4 commit wrote a random page of the hwaddr
        # index, and within a second the expires index too: 40 us of CPU per lease instead
        # of 12 at 8000 leases/s.  The engine keeps its own indexes in memory; the store's
        # readers list all leases, so nothing looks a v4 lease up by client or expiry.
        "DROP INDEX IF EXISTS lease4_hwaddr",
        "DROP INDEX IF EXISTS lease4_client_id",
        "DROP INDEX IF EXISTS lease4_expires",
    ),
)
LATEST = len(MIGRATIONS)


def schema_version(db: sqlite3.Connection) -> int:
    """The schema version recorded in `meta`, 0 for a database without one."""
    has_meta = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if has_meta is None:
        return 0
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row is not None else 0


def check_version(version: int, where: str) -> None:
    """Refuse a schema this lanctl does not know (exit 3)."""
    if version > LATEST:
        raise FileSystemError(
            f"lease store schema {version} is newer than this lanctl "
            f"(it knows up to {LATEST}): {where}"
        )


def migrate(db: sqlite3.Connection, where: str, upto: int = LATEST) -> int:
    """Apply the missing migrations up to `upto` in one IMMEDIATE transaction; the version.

    `db` must be in autocommit mode (isolation_level=None).  Two processes opening a new
    store at once are serialised by the write lock, and the loser sees the new version.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(META)
        version = schema_version(db)
        check_version(version, where)
        for number in range(version + 1, upto + 1):
            for statement in MIGRATIONS[number - 1]:
                db.execute(statement)
            version = number
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (version,)
        )
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return version
