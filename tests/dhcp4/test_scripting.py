"""lanctl.dhcp4.scripting and filetables: which lease changes run the script; -dir polling."""

from __future__ import annotations

import os
from dataclasses import replace
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.config import load
from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4.effects import ClientInfo, LeaseChanged, Log
from lanctl.dhcp4.filetables import FileTables
from lanctl.dhcp4.hostfiles import DirWatch, parse_hostsfile
from lanctl.dhcp4.leasewriter import open_store
from lanctl.dhcp4.scripting import LeaseScript
from lanctl.dhcp4.server import Dhcp4Handle
from lanctl.script import ScriptJob
from lanctl.store.lease import Lease4
from lanctl.store.sqlite import SqliteBackend
from tests.dhcp4.helpers import engine

LEASE = Lease4(IPv4Address("192.0.2.63"), bytes.fromhex("020000000102"), expires=2000)
INFO = ClientInfo(iface="veth0", tags=("veth0",))


class FakeRunner:
    def __init__(self) -> None:
        self.jobs: list[ScriptJob] = []

    def submit(self, job: ScriptJob) -> None:
        self.jobs.append(job)


def _script(**kw: object) -> tuple[LeaseScript, FakeRunner]:
    runner = FakeRunner()
    cfg = replace(Dhcp4Cfg(), dhcp_script="/bin/true", **kw)  # type: ignore[arg-type]
    return LeaseScript(cfg, runner), runner  # type: ignore[arg-type]


def test_add_renew_del_without_script_on_renewal() -> None:
    script, runner = _script()
    renewed = replace(LEASE, expires=3000)
    script.changes(
        [
            LeaseChanged("add", LEASE, None, INFO),
            Log(20, "DHCPACK"),
            LeaseChanged("old", renewed, LEASE, INFO),
            LeaseChanged("del", renewed),
        ],
        1000,
    )
    assert [j.args[0] for j in runner.jobs] == ["add", "del"]
    assert dict(runner.jobs[1].env)["DNSMASQ_INTERFACE"] == "veth0"  # remembered


def test_script_on_renewal_and_hostname_removal() -> None:
    script, runner = _script(script_on_renewal=True)
    named = replace(LEASE, hostname="box")
    script.changes([LeaseChanged("old", replace(LEASE, expires=3000), LEASE, INFO)], 1000)
    script.changes([LeaseChanged("old", LEASE, named, INFO)], 1000)
    assert [j.args[0] for j in runner.jobs] == ["old", "old"]
    assert dict(runner.jobs[0].env)["DNSMASQ_TIME_REMAINING"] == "2000"
    assert dict(runner.jobs[1].env)["DNSMASQ_OLD_HOSTNAME"] == "box"


def test_existing_leases_old_or_del() -> None:
    script, runner = _script()
    expired = Lease4(IPv4Address("192.0.2.64"), b"\x02" * 6, expires=500)
    script.existing([expired, LEASE], 1000)
    assert [(j.args[0], j.args[2]) for j in runner.jobs] == [
        ("old", "192.0.2.63"),
        ("del", "192.0.2.64"),
    ]
    assert all(dict(j.env)["DNSMASQ_DATA_MISSING"] == "1" for j in runner.jobs)


def test_dirwatch_adds_new_and_changed_files_keeps_deleted_until_reset(tmp_path: Path) -> None:
    watch = DirWatch([str(tmp_path)], parse_hostsfile, count=True)
    assert watch.poll() == (False, [])
    first = tmp_path / "a"
    first.write_text("02:00:00:00:00:01,192.0.2.21\n")
    added, messages = watch.poll()
    assert added and messages == [f"read {first} - 1 addresses"] and len(watch.entries) == 1
    assert watch.poll() == (False, [])  # unchanged: not read again
    first.write_text("02:00:00:00:00:02,192.0.2.22\nbad line,,,\n")
    os.utime(first, ns=(1, 1))
    added, messages = watch.poll()
    assert added and len(watch.entries) == 2  # the old line stays (dnsmasq)
    assert any("bad line" in m or str(first) in m for m in messages[:-1])
    first.unlink()
    assert watch.poll() == (False, []) and len(watch.entries) == 2
    watch.reset()
    assert watch.poll() == (False, []) and watch.entries == []


@pytest.mark.parametrize(("option", "level"), [((), 1), (("--lease-fsync=full",), 2)])
def test_lease_fsync_sets_sqlite_synchronous(
    tmp_path: Path, option: tuple[str, ...], level: int
) -> None:
    leases = tmp_path / "dnsmasq.leases"
    argv = ["-C", "/dev/null", f"--dhcp-leasefile={leases}", "--dhcp-range=192.0.2.50,192.0.2.99"]
    backend, _ = open_store(load([*argv, *option]))
    try:
        assert isinstance(backend, SqliteBackend)
        assert backend._db.execute("PRAGMA synchronous").fetchone()[0] == level  # NORMAL=1
    finally:
        backend.close()


def test_leasefile_ro_store_is_filled_by_init(tmp_path: Path) -> None:
    script = tmp_path / "init.sh"
    line = "1900000000 02:00:00:00:01:02 192.0.2.77 keeper *"
    script.write_text(f'#!/bin/sh\n[ "$1" = init ] && echo "{line}"\n')
    script.chmod(0o755)
    cfg = load(["-C", "/dev/null", "--leasefile-ro", f"--dhcp-script={script}"])
    backend, writer = open_store(cfg)
    assert writer is None
    assert [(str(x.address), x.hostname) for x in backend.all4()] == [("192.0.2.77", "keeper")]


def test_sighup_rereads_hostsdir_from_scratch_and_reports_each_lease_old(tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.d"
    hosts.mkdir()
    (hosts / "a").write_text("02:00:00:00:00:01,192.0.2.21\n")
    eng = engine("--dhcp-range=192.0.2.10,192.0.2.90", f"--dhcp-hostsdir={hosts}", leases=[LEASE])
    tables = FileTables(eng)
    tables.load()
    assert len(tables.hostsdir.entries) == 1
    script, runner = _script()
    handle = Dhcp4Handle(eng, tables, script)
    (hosts / "a").unlink()
    tables.poll()
    assert len(tables.hostsdir.entries) == 1  # deleted: kept until SIGHUP
    handle.reload()
    assert tables.hostsdir.entries == []
    assert [(j.args[0], j.args[2]) for j in runner.jobs] == [("del", "192.0.2.63")]  # expired
