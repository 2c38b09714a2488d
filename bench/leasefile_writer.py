"""CPU cost of one rewrite of dnsmasq's lease file by the DHCPv4 server's LeaseFileWriter.

    python3 bench/leasefile_writer.py [N] [K] [--writes=W] [--profile]

N leases (default 100000) like perfdhcp's in bench/dhcp.sh: a random MAC, an address in
198.18.0.0/15, no client-id, no host name, an expiry an hour ahead.  Between two writes K
of them (default 8000) are replaced by new Lease4 objects, as the engine does (a renewed
or new lease is a new object): half renewed in place (same address, later expiry), half
released and replaced by a new client at a free address, so N stays the same.  The
snapshot is taken as the server's timer task takes it (a tuple of the engine's dict
values, that dict keyed by address: a stored lease goes to its end).

Reports milliseconds of CPU (time.process_time) per write(): first without the file
(the writer's _write replaced by a no-op: rendering, ordering and joining only), then with
the file written atomically into a temporary directory (fsync's wait is not CPU).  The
write runs in a worker thread holding the GIL, so this is time taken from the receive
loop.  --profile: cProfile of the writes without the file, top 20 by own time.  A
benchmark reports; it is not a test and is not run in CI.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from collections import deque
from ipaddress import IPv4Address

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lanctl.dhcp4.leasewriter import LeaseFileWriter
from lanctl.store.lease import Lease4
from lanctl.store.leasefile import LeaseFile

BASE = int(IPv4Address("198.18.0.0"))
SPAN = 1 << 17  # 198.18.0.0/15
T0 = 1_700_000_000


class Table:
    """The engine's lease table as the writer sees it: address -> lease, in dict order."""

    def __init__(self, n: int, rng: random.Random) -> None:
        self.rng = rng
        self.now = T0
        self.leases: dict[IPv4Address, Lease4] = {}
        self.free = deque(IPv4Address(BASE + i) for i in rng.sample(range(1, SPAN - 1), SPAN - 2))
        for _ in range(n):
            self.add()

    def lease(self, address: IPv4Address) -> Lease4:
        mac = b"\x02\x00" + self.rng.getrandbits(32).to_bytes(4, "big")
        return Lease4(address=address, hwaddr=mac, expires=self.now + 3600)

    def add(self) -> None:
        address = self.free.pop()
        self.leases[address] = self.lease(address)

    def churn(self, k: int) -> None:
        """k leases become new objects: k - k//2 renewed, k//2 released and replaced."""
        self.now += 1
        picked = self.rng.sample(list(self.leases), k)
        for address in picked[k // 2 :]:
            old = self.leases.pop(address)  # the engine drops, then stores (at the end)
            self.leases[address] = Lease4(
                address=address, hwaddr=old.hwaddr, expires=self.now + 3600
            )
        for address in picked[: k // 2]:
            del self.leases[address]
            self.free.appendleft(address)  # reused last, as an address just released
            self.add()

    def snapshot(self) -> LeaseFile:
        return LeaseFile(tuple(self.leases.values()), None, ())


def measure(n: int, k: int, writes: int, with_file: bool, profile: bool = False) -> float:
    """CPU ms per write after the first (the first renders every line)."""
    table = Table(n, random.Random(7))
    with tempfile.TemporaryDirectory(prefix="leasefile-bench.") as tmp:
        writer = LeaseFileWriter(os.path.join(tmp, "leases"))
        if not with_file:
            writer._write = lambda text: None  # type: ignore[method-assign]
        writer.write(table.snapshot())
        prof = cProfile.Profile()
        took = 0.0
        for _ in range(writes):
            table.churn(k)  # the engine's work, not timed
            snap = table.snapshot()
            start = time.process_time()
            if profile:
                prof.runcall(writer.write, snap)
            else:
                writer.write(snap)
            took += time.process_time() - start
            del snap
        writer.close()
        if profile:
            pstats.Stats(prof).sort_stats("tottime").print_stats(20)
    return took / writes * 1e3


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = dict(a[2:].partition("=")[::2] for a in sys.argv[1:] if a.startswith("--"))
    n = int(args[0]) if args else 100000
    k = int(args[1]) if len(args) > 1 else 8000
    writes = int(flags.get("writes") or 10)
    if "profile" in flags:
        measure(n, k, writes, with_file=False, profile=True)
        return
    bare = measure(n, k, writes, with_file=False)
    full = measure(n, k, writes, with_file=True)
    print(f"N={n} K={k}: {bare:.1f} ms CPU per write without the file, {full:.1f} ms with it")


if __name__ == "__main__":
    main()
