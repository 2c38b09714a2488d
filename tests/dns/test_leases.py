"""`lanctl dns serve` answers the names of DHCP leases held in the SQLite lease store.

A real subprocess, loopback high port, no upstream: the test writes leases into the store
(as `lanctl dhcp serve` would), digs, commits another lease and digs until it resolves
(bounded poll: the server looks at the store's data_version every 100 ms), then releases
it and sees REFUSED again, as dnsmasq answers a name it does not know without upstreams.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.store.lease import Lease4
from lanctl.store.sqlite import SqliteBackend
from tests.support import free_port, require_tool

MAC = bytes.fromhex("020000000001")
FAR = int(time.time()) + 3600


def dig(port: int, *args: str) -> tuple[str, list[str]]:
    """(status, answer lines as 'name ttl class type value') from dig."""
    out = subprocess.run(
        [require_tool("dig"), "@127.0.0.1", "-p", str(port), "+time=1", "+tries=1",
         "+noall", "+comments", "+answer", *args],
        capture_output=True, text=True, timeout=10, check=False,
    ).stdout  # fmt: skip
    status = re.search(r"status: (\w+)", out)
    answers = [" ".join(line.split()) for line in out.splitlines() if line and line[0] != ";"]
    return (status.group(1) if status else "no reply"), answers


def poll(port: int, want: str, *args: str) -> tuple[str, list[str]]:
    """Dig until the status is `want` (at most ~10 s); the last result either way."""
    result = dig(port, *args)
    for _ in range(100):
        if result[0] == want:
            break
        time.sleep(0.1)
        result = dig(port, *args)
    return result


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, SqliteBackend]]:
    store = SqliteBackend(tmp_path / "leases.sqlite")
    store.commit([Lease4(IPv4Address("192.0.2.50"), MAC, hostname="laptop", expires=FAR)])
    port = free_port()
    conf = tmp_path / "lanctl.conf"
    conf.write_text(
        f"port={port}\nlisten-address=127.0.0.1\nno-resolv\nno-hosts\ndomain=lan\n"
        f"dhcp-leasefile={tmp_path / 'leases'}\nlocal-ttl=30\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "lanctl", "dns", "serve", "-C", str(conf), "--user=",
         "--pid-file=", f"--control-socket={tmp_path / 'x.sock'}", "--log-facility=-"],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        status, _ = poll(port, "NOERROR", "laptop.lan")
        if status != "NOERROR":
            proc.terminate()
            err = proc.communicate(timeout=10)[1].decode(errors="replace")
            pytest.fail(f"lanctl dns serve did not answer: {status}\n{err[-2000:]}")
        yield port, store
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        store.close()


def test_lease_names_follow_the_store(server: tuple[int, SqliteBackend]) -> None:
    port, store = server
    assert dig(port, "laptop.lan") == ("NOERROR", ["laptop.lan. 30 IN A 192.0.2.50"])
    assert dig(port, "laptop") == ("NOERROR", ["laptop. 30 IN A 192.0.2.50"])
    assert dig(port, "-x", "192.0.2.50") == (
        "NOERROR",
        ["50.2.0.192.in-addr.arpa. 30 IN PTR laptop.lan."],
    )
    assert dig(port, "phone.lan")[0] == "REFUSED"  # not known yet; no upstream

    store.commit([Lease4(IPv4Address("192.0.2.51"), MAC[:-1] + b"\x02", hostname="phone",
                         expires=FAR)])  # fmt: skip
    assert poll(port, "NOERROR", "phone.lan") == ("NOERROR", ["phone.lan. 30 IN A 192.0.2.51"])

    store.release(IPv4Address("192.0.2.51"))
    assert poll(port, "REFUSED", "phone.lan") == ("REFUSED", [])
    assert dig(port, "-x", "192.0.2.51")[0] == "REFUSED"
    assert dig(port, "laptop.lan")[0] == "NOERROR"  # the other lease stays
