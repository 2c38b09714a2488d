"""`lanctl dhcp leases`: reads the store (read-only) or dnsmasq's lease file, no server.

Subprocess tests of the real command (JSON, since stdout is a pipe), and the Rich table
rendered in-process into a recording console.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path
from typing import Any

from rich.console import Console

from lanctl.diag.render_leases import expires_in, leases_table
from lanctl.store.lease import Lease4, Lease6
from lanctl.store.sqlite import SqliteBackend

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "leases" / "dnsmasq-v4v6.leases"
MAC = bytes.fromhex("020000000001")
V4 = Lease4(IPv4Address("192.0.2.50"), MAC, client_id=b"\x01" + MAC, hostname="alpha")
V6 = Lease6(IPv6Address("2001:db8::5"), b"\x00\x03\x00\x01" + MAC, 7, "na", "echo", 4_000_000_000)


def _leases(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text(f"dhcp-leasefile={tmp_path / 'dnsmasq.leases'}\n")
    cmd = [sys.executable, "-m", "lanctl", "dhcp", "leases", "-C", str(conf), *args]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)


def _json(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return data


def test_lists_the_store_beside_the_lease_file(tmp_path: Path) -> None:
    store = SqliteBackend(tmp_path / "dnsmasq.leases.sqlite")
    store.commit([V4, V6])
    store.close()
    rows = _json(_leases(tmp_path))
    assert [r["address"] for r in rows] == ["192.0.2.50", "2001:db8::5"]
    assert rows[0] == {
        "family": 4, "address": "192.0.2.50", "hwaddr": "02:00:00:00:00:01",
        "hostname": "alpha", "expires": 0, "expires_in": None,
        "client_id": "01:02:00:00:00:00:01",
    }  # fmt: skip
    assert rows[1]["kind"] == "na" and rows[1]["iaid"] == 7 and rows[1]["expires_in"] > 0
    assert [r["family"] for r in _json(_leases(tmp_path, "--v6"))] == [6]
    assert [r["family"] for r in _json(_leases(tmp_path, "--v4", "--json"))] == [4]


def test_lease_store_option_overrides_the_default_path(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere.sqlite"
    store = SqliteBackend(other)
    store.commit([V6])
    store.close()
    rows = _json(_leases(tmp_path, f"--lease-store={other}"))
    assert [r["address"] for r in rows] == ["2001:db8::5"]


def test_falls_back_to_dnsmasqs_lease_file(tmp_path: Path) -> None:
    shutil.copy(GOLDEN, tmp_path / "dnsmasq.leases")
    rows = _json(_leases(tmp_path))
    assert len(rows) == 9
    by_addr = {r["address"]: r for r in rows}
    assert by_addr["192.0.2.50"]["hwaddr"] == "20-"
    assert by_addr["192.0.2.55"]["expires_in"] is None
    assert by_addr["2001:db8::1b8"]["hostname"] == "echo1"
    assert not (tmp_path / "dnsmasq.leases.sqlite").exists()  # a reader never creates it


def test_bad_lease_file_lines_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "dnsmasq.leases").write_text("garbage\n0 02:00:00:00:00:01 192.0.2.9 * *\n")
    proc = _leases(tmp_path)
    assert [r["address"] for r in _json(proc)] == ["192.0.2.9"]
    assert "warning:" in proc.stderr and "line 1" in proc.stderr


def test_nothing_to_read_is_exit_3(tmp_path: Path) -> None:
    proc = _leases(tmp_path)
    assert proc.returncode == 3
    assert "no lease store at" in proc.stderr and proc.stdout == ""


def test_table_columns() -> None:
    console = Console(record=True, width=200, color_system=None)
    console.print(leases_table([V4, V6], now=4_000_000_000 - 3723))
    text = console.export_text()
    for cell in ("192.0.2.50", "02:00:00:00:00:01", "alpha", "infinite", "01:02:00:00:00:00:01"):
        assert cell in text
    assert "2001:db8::5" in text and "IA_NA 7" in text and "1h 02m 03s" in text


def test_expires_in() -> None:
    assert expires_in(0, 100) == "infinite"
    assert expires_in(100, 100) == "expired"
    assert expires_in(161, 100) == "1m 01s"
    assert expires_in(100 + 86400 + 5, 100) == "1d 0h 00m 05s"
