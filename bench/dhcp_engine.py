"""DHCPv4 engine micro-benchmark: relayed DISCOVER/REQUEST pairs through the sans-IO engine.

    python3 bench/dhcp_engine.py [N]            us per DORA (engine only, virtual time)
    python3 bench/dhcp_engine.py N --store      plus the SQLite commit per batch of 64
    python3 bench/dhcp_engine.py N --profile    cProfile, top 30 by own time
    python3 bench/dhcp_engine.py N --setup      only the set-up (for callgrind: subtract it)

Instructions per DORA, repeatable on a busy machine (PY: the real interpreter, not a shim):
    valgrind --tool=callgrind --callgrind-out-file=/dev/null $PY bench/dhcp_engine.py 2000
    minus the same with --setup, divided by 2000.

The configuration and packets mirror bench/dhcp.sh (perfdhcp through a relay at
198.18.0.2, one range of 130k addresses, --quiet-dhcp, --no-ping): each of N clients (a
perfdhcp MAC: sequential, picked at random) sends
a DISCOVER (options 53, 55, 61) and, with the offered address, a REQUEST (53, 50, 54, 55,
61), as perfdhcp does (61: type 1 and the MAC).  Inside the running server the engine costs
more than here (its caches are shared with the sockets, the store and the lease-file writer:
1.5 times, timed around on_datagram at 7000 DORA/s, before the occupancy map and the reply
templates); the server as a whole is measured by bench/dhcp.sh.
The packets are encoded before timing starts.  Not a test: it asserts only that every
DISCOVER got an OFFER and every REQUEST an ACK.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import random
import sys
import tempfile
import time
from ipaddress import IPv4Address, IPv4Interface

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from lanctl.config import load
from lanctl.dhcp4.context import Inbound
from lanctl.dhcp4.effects import LeaseChanged, Send
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.wire import BOOTREQUEST, Packet, encode_packet

CONF = [
    "--no-ping",
    "--quiet-dhcp",
    "--dhcp-lease-max=1000000",
    "--dhcp-authoritative",
    "--dhcp-range=198.18.1.0,198.19.255.254,255.254.0.0,1h",
]
ADDRS = (IPv4Interface("198.18.0.1/15"),)
RELAY = IPv4Address("198.18.0.2")
SERVER = IPv4Address("198.18.0.1")
PRL = bytes((1, 28, 2, 3, 15, 6, 12))
T0 = 1_700_000_000.0


def _pkt(mtype: int, n: int, hw: bytes, extra: dict[int, bytes]) -> bytes:
    # perfdhcp's packets (captured): 53, then 50 and 54 in a REQUEST, 55, 61 (type 1 + MAC).
    opts = {53: bytes((mtype,)), **extra, 55: PRL, 61: b"\x01" + hw}
    pkt = Packet(BOOTREQUEST, n, hw, hops=1, giaddr=RELAY, options=opts)
    return encode_packet(pkt, max_size=1500)


def run(n: int, store: bool, profile: bool, setup: bool = False) -> None:
    cfg = load(["-C", "/dev/null", *CONF])
    eng = Dhcp4Engine(cfg.dhcp4, (), rng=random.Random(0))
    backend = None
    if store:
        from lanctl.store.sqlite import SqliteBackend

        tmp = tempfile.mkdtemp(prefix="dhcp-engine-bench.")
        backend = SqliteBackend(os.path.join(tmp, "leases.sqlite"))
    # perfdhcp's MACs: 00:0c:01:02:03:04 upwards, n of its 100k clients picked at random
    # (fixed seed).  Sequential MACs make the hash walk's starts cluster (allocate.py).
    base = 0x000C01020304
    picked = random.Random(6).sample(range(max(n, 100000)), n)
    macs = [(base + k).to_bytes(6, "big") for k in picked]
    discovers = [_pkt(1, i, macs[i], {}) for i in range(n)]
    src = (str(RELAY), 67)
    # The REQUEST needs the offered address: run the DISCOVERs once on a scratch engine.
    scratch = Dhcp4Engine(cfg.dhcp4, (), rng=random.Random(0))
    requests: list[bytes] = []
    for i, d in enumerate(discovers):
        out = scratch.on_datagram(Inbound(d, src, "veth0", ADDRS), T0)
        offer = next(e for e in out if isinstance(e, Send))
        yiaddr = offer.payload[16:20]
        requests.append(_pkt(3, i, macs[i], {50: yiaddr, 54: SERVER.packed}))

    acks = 0
    pending: list[object] = []

    def go() -> None:
        nonlocal acks
        on = eng.on_datagram
        for i in range(n):
            now = T0 + i * 1e-4
            on(Inbound(discovers[i], src, "veth0", ADDRS), now)
            out = on(Inbound(requests[i], src, "veth0", ADDRS), now)
            acks += sum(isinstance(e, Send) for e in out)
            if backend is not None:
                pending.extend(e.lease for e in out if isinstance(e, LeaseChanged))
                if len(pending) >= 32:  # a receive batch of 64 datagrams
                    backend.commit(pending)  # type: ignore[arg-type]
                    pending.clear()

    if setup:
        return
    start = time.perf_counter()
    if profile:
        prof = cProfile.Profile()
        prof.runcall(go)
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
    else:
        go()
    took = time.perf_counter() - start
    assert acks == n, f"{acks} ACKs for {n} clients"
    print(f"{n} DORA in {took:.3f} s: {took / n * 1e6:.1f} us/DORA ({n / took:.0f} DORA/s)")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    flags = set(sys.argv[1:])
    run(
        int(args[0]) if args else 20000,
        "--store" in flags,
        "--profile" in flags,
        "--setup" in flags,
    )
