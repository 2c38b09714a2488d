"""Child processes for the lease-store tests (run as `python -m tests.store._worker`).

- `reserve DB PROC CLIENTS`: CLIENTS clients of process PROC each take the first free
  address of 192.0.2.50-59 with `reserve4`, printing "ADDRESS HWADDR" per success.
- `commit DB ROUND`: commits one IPv6 lease after another as fast as it can, printing each
  committed address once `commit` has returned (the kill -9 test).
Both wait for the file DB.go to exist before starting, so that workers really race.
"""

from __future__ import annotations

import sys
import time
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

from lanctl.store.lease import Lease4, Lease6
from lanctl.store.sqlite import SqliteBackend

RANGE = [IPv4Address("192.0.2.50") + i for i in range(10)]
NOW = 1_800_000_000


def wait_go(db: str) -> None:
    go = Path(db + ".go")
    deadline = time.monotonic() + 30
    while not go.exists():  # a start line, so that both workers race from the same moment
        if time.monotonic() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.001)


def reserve(db: str, proc: int, clients: int) -> None:
    store = SqliteBackend(db)
    print("ready", flush=True)
    wait_go(db)
    for client in range(clients):
        hwaddr = bytes([2, 0, 0, 0, proc, client])
        for address in RANGE:
            lease = Lease4(address=address, hwaddr=hwaddr, expires=NOW + 3600)
            if store.reserve4(lease, now=NOW):
                print(address, hwaddr.hex(), flush=True)
                break
    store.close()


def commit(db: str, round_: int) -> None:
    store = SqliteBackend(db)
    base = IPv6Address(f"2001:db8:{round_:x}::")
    duid = b"\x00\x03\x00\x01\x02\x00\x00\x00\x00\x01"
    i = 0
    while True:
        i += 1
        address = base + i
        store.commit([Lease6(address=address, duid=duid, iaid=i, expires=NOW + i)])
        sys.stdout.write(f"{address}\n")
        sys.stdout.flush()


def main(argv: list[str]) -> None:
    if argv[0] == "reserve":
        reserve(argv[1], int(argv[2]), int(argv[3]))
    elif argv[0] == "commit":
        commit(argv[1], int(argv[2]))
    else:
        raise SystemExit(f"unknown mode {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
