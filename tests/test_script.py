"""lanctl.script: dnsmasq's --dhcp-script arguments and environment, init, the serial runner.

The expected environments were recorded from dnsmasq 2.90 with a script dumping `env`
for a udhcpc client (tests/dhcp4/test_script_e2e.py repeats that comparison live).
"""

from __future__ import annotations

import logging
import os
from ipaddress import IPv4Address
from pathlib import Path

import pytest
import trio

from lanctl.config import load
from lanctl.dhcp4.effects import ClientInfo
from lanctl.errors import ConfigError, ScriptError
from lanctl.script import (
    ScriptJob,
    ScriptRunner,
    lease_job,
    mac_text,
    old_wanted,
    run_init,
    tftp_job,
)
from lanctl.store.lease import Lease4

MAC = bytes.fromhex("020000000102")
LEASE = Lease4(
    IPv4Address("192.0.2.63"),
    MAC,
    client_id=bytes.fromhex("01020000000102"),
    hostname="udbox",
    expires=1_795_666_466,
)
NOW = 1_795_666_466 - 43200
INFO = ClientInfo(
    iface="veth0",
    supplied_hostname="udbox",
    requested_options=(1, 3, 6, 12, 15, 28, 42),
    vendor_class=b"udhcp 1.35.0",
    tags=("veth0",),
)


def test_mac_text_ethernet_other_types_and_empty() -> None:
    assert mac_text(1, MAC) == "02:00:00:00:01:02"
    assert mac_text(6, bytes.fromhex("0123456789ab")) == "06-01:23:45:67:89:ab"
    assert mac_text(32, b"\x01\x02") == "20-01:02"
    assert mac_text(1, b"") == "01-"


def test_add_matches_dnsmasq() -> None:
    job = lease_job("add", LEASE, NOW, domain="example.test", log_dhcp=True, info=INFO)
    assert job.args == ("add", "02:00:00:00:01:02", "192.0.2.63", "udbox")
    assert dict(job.env) == {
        "DNSMASQ_CLIENT_ID": "01:02:00:00:00:01:02",
        "DNSMASQ_DOMAIN": "example.test",
        "DNSMASQ_INTERFACE": "veth0",
        "DNSMASQ_LEASE_EXPIRES": "1795666466",
        "DNSMASQ_LOG_DHCP": "1",
        "DNSMASQ_REQUESTED_OPTIONS": "1,3,6,12,15,28,42",
        "DNSMASQ_SUPPLIED_HOSTNAME": "udbox",
        "DNSMASQ_TAGS": "veth0",
        "DNSMASQ_TIME_REMAINING": "43200",
        "DNSMASQ_VENDOR_CLASS": "udhcp 1.35.0",
    }


def test_old_and_del_carry_data_missing_not_request_data() -> None:
    old = lease_job("old", LEASE, NOW, domain="example.test", info=INFO)
    assert old.args == ("old", "02:00:00:00:01:02", "192.0.2.63", "udbox")
    env = dict(old.env)
    assert env["DNSMASQ_DATA_MISSING"] == "1" and env["DNSMASQ_INTERFACE"] == "veth0"
    assert "DNSMASQ_TAGS" not in env and "DNSMASQ_SUPPLIED_HOSTNAME" not in env
    assert env["DNSMASQ_TIME_REMAINING"] == "43200"
    gone = lease_job("del", LEASE, NOW, iface="veth0")
    env = dict(gone.env)
    assert "DNSMASQ_TIME_REMAINING" not in env
    assert env["DNSMASQ_LEASE_EXPIRES"] == "1795666466" and env["DNSMASQ_INTERFACE"] == "veth0"
    assert env["DNSMASQ_DATA_MISSING"] == "1"


def test_no_hostname_no_client_id_infinite_relay_and_old_hostname() -> None:
    lease = Lease4(IPv4Address("192.0.2.5"), MAC, hwtype=6)
    relayed = ClientInfo(iface="veth0", relay="198.51.100.1")
    job = lease_job("old", lease, NOW, domain="example.test", info=relayed, old_hostname="was")
    assert job.args == ("old", "06-02:00:00:00:01:02", "192.0.2.5")
    env = dict(job.env)
    assert env["DNSMASQ_LEASE_EXPIRES"] == "0" and "DNSMASQ_TIME_REMAINING" not in env
    assert "DNSMASQ_CLIENT_ID" not in env and "DNSMASQ_DOMAIN" not in env
    assert env["DNSMASQ_RELAY_ADDRESS"] == "198.51.100.1"
    assert env["DNSMASQ_OLD_HOSTNAME"] == "was"


@pytest.mark.parametrize(
    ("change", "on_renewal", "ro", "expected"),
    [
        ({}, False, False, False),
        ({"expires": LEASE.expires + 60}, False, False, False),
        ({"expires": LEASE.expires + 60}, True, False, True),
        ({"expires": LEASE.expires + 60}, False, True, True),
        ({"hostname": "other"}, False, False, True),
        ({"hostname": None}, False, False, True),
        ({"hwaddr": b"\x02" * 6}, False, False, True),
        ({"client_id": b"\x01\x09"}, False, False, False),
        ({"client_id": b"\x01\x09"}, False, True, True),
    ],
)
def test_old_wanted(change: dict[str, object], on_renewal: bool, ro: bool, expected: bool) -> None:
    from dataclasses import replace

    after = replace(LEASE, **change)  # type: ignore[arg-type]
    assert old_wanted(LEASE, after, on_renewal=on_renewal, leasefile_ro=ro) is expected


def test_tftp_job() -> None:
    assert tftp_job(1234, "192.0.2.2", "/srv/tftp/pxelinux.0") == ScriptJob(
        ("tftp", "1234", "192.0.2.2", "/srv/tftp/pxelinux.0")
    )


def _script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "script.sh"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_run_init_returns_stdout_and_fails_with_exit_code(tmp_path: Path) -> None:
    line = "1795666466 02:00:00:00:01:02 192.0.2.63 udbox 01:02:00:00:00:01:02\n"
    good = _script(tmp_path, f'[ "$1" = init ] && printf "%s" "{line}"\n')
    assert run_init(str(good), None) == line
    bad = _script(tmp_path, "exit 3\n")
    with pytest.raises(ScriptError) as info:
        run_init(str(bad), None)
    assert info.value.exit_code == 13 and "exit code 3" in str(info.value)


def test_unknown_scriptuser_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        ScriptRunner(str(_script(tmp_path, "exit 0\n")), "no-such-user-lanctl")


def test_runner_runs_jobs_in_order_with_env(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    script = _script(tmp_path, f'echo "$* ${{DNSMASQ_TAGS:-}}" >> {out}\necho "said $1"\nexit 1\n')
    runner = ScriptRunner(str(script), None)
    caplog.set_level(logging.INFO, logger="lanctl.script")

    async def main() -> None:
        with trio.fail_after(60):
            async with trio.open_nursery() as nursery:
                await nursery.start(runner.run)
                for n in range(5):
                    runner.submit(ScriptJob(("add", str(n)), (("DNSMASQ_TAGS", f"t{n}"),)))
                runner.submit(tftp_job(7, "192.0.2.2", "/x"))
                runner.close()  # run() drains the queue, then returns

    trio.run(main)
    lines = out.read_text().splitlines()
    assert lines == [f"add {n} t{n}" for n in range(5)] + ["tftp 7 192.0.2.2 /x "]
    said = [r.getMessage() for r in caplog.records if r.name == "lanctl.script"]
    assert said[:2] == ["script: said add", "script: said add"] and "script: said tftp" in said


def test_config_fields(tmp_path: Path) -> None:
    script = _script(tmp_path, "exit 0\n")
    cfg = load(
        [
            "--conf-file=/dev/null",
            f"--dhcp-script={script}",
            "--dhcp-scriptuser=nobody",
            "--script-on-renewal",
            f"--dhcp-hostsdir={tmp_path}",
            f"--dhcp-optsdir={tmp_path}",
            "--lease-fsync=full",
            "--dhcp-range=192.0.2.10,192.0.2.20",
            "--enable-tftp",
        ]
    )
    d = cfg.dhcp4
    assert d.dhcp_script == str(script) and d.dhcp_scriptuser == "nobody"
    assert d.script_on_renewal and d.lease_fsync == "full"
    assert d.dhcp_hostsdir == (str(tmp_path),) and d.dhcp_optsdir == (str(tmp_path),)
    assert cfg.tftp.dhcp_script == str(script)
    assert not [w for w in cfg.warnings if "script" in w or "dir" in w]
    with pytest.raises(ConfigError):
        load(["--conf-file=/dev/null", "--lease-fsync=sometimes"])
    assert os.path.exists(script)
