"""The dnsmasq lease-file writer survives a lost right to rename (after dropping root).

Regression: with the default `user=nobody`, the atomic temp-file-and-rename in a
root-owned directory failed and the exception stopped the whole server.
"""

from __future__ import annotations

import logging
import os
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from lanctl.dhcp4 import leasewriter as server
from lanctl.errors import FileSystemError
from lanctl.store.lease import Lease4
from lanctl.store.leasefile import LeaseFile, parse

LEASE = Lease4(
    address=IPv4Address("192.0.2.50"),
    hwaddr=bytes.fromhex("020000000001"),
    hwtype=1,
    client_id=None,
    hostname="host1",
    expires=2000000000,
)


def denied(path: object, text: str, mode: int = 0o644) -> int:
    raise FileSystemError("cannot write lease file") from PermissionError(13, "Permission denied")


def test_permission_denied_rename_falls_back_to_in_place_rewrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "leases"
    path.write_text("stale contents that are longer than the new file\n" * 20)
    writer = server.LeaseFileWriter(str(path))  # opened "as root", before the drop
    monkeypatch.setattr(server, "write_atomic_fd", denied)
    writer.write(LeaseFile((LEASE,), None, ()))
    parsed, warnings = parse(path.read_text())
    assert warnings == []
    assert [lease.address for lease in parsed.v4] == [LEASE.address]
    writer.close()


def test_a_write_that_cannot_happen_is_logged_and_retried_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    writer = server.LeaseFileWriter(str(tmp_path / "leases"))
    writer.close()  # no descriptor to fall back on
    monkeypatch.setattr(server, "write_atomic_fd", denied)
    assert writer.due(10.0)
    with caplog.at_level(logging.ERROR, logger="lanctl.dhcp4"):
        writer.write(LeaseFile((LEASE,), None, ()))
    assert "failed to write" in caplog.text and "retry in 60s" in caplog.text
    assert writer.dirty
    assert not writer.due(10.0 + 30)  # not hammered every second
    assert writer.due(10.0 + server.LEASE_RETRY)


def test_after_an_atomic_write_the_descriptor_follows_the_new_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    writer.write(LeaseFile((), None, ()))  # atomic: a new inode replaces the first
    monkeypatch.setattr(server, "write_atomic_fd", denied)
    writer.write(LeaseFile((LEASE,), None, ()))  # in place: must land in the visible file
    assert "192.0.2.50" in path.read_text()
    writer.close()


def test_the_new_file_is_followed_even_when_it_cannot_be_opened_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The privilege drop can land between the rename and a re-open by name (the write runs
    in a worker thread): the writer must then still hold the new file, or every later
    in-place write goes into the replaced, unlinked one and the lease file stays stale."""
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    real_open = os.open

    def no_reopen(name: object, flags: int, *args: int, **kw: object) -> int:
        if str(name) == str(path):
            raise PermissionError(13, "Permission denied")  # as nobody, just after the drop
        return real_open(name, flags, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", no_reopen)
    writer.write(LeaseFile((), None, ()))  # atomic: a new inode replaces the first
    assert writer.fd is not None
    assert os.fstat(writer.fd).st_ino == path.stat().st_ino
    monkeypatch.setattr(server, "write_atomic_fd", denied)
    writer.write(LeaseFile((LEASE,), None, ()))  # in place, through the descriptor
    assert "192.0.2.50" in path.read_text()
    writer.close()


def test_lines_of_unchanged_leases_are_reused_and_changed_ones_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    other = Lease4(address=IPv4Address("192.0.2.40"), hwaddr=bytes.fromhex("020000000002"))
    writer.write(LeaseFile((LEASE, other), None, ()))
    first = path.read_text()
    assert [x.address for x in parse(first)[0].v4] == [other.address, LEASE.address]  # by address
    renewed = Lease4(
        address=LEASE.address, hwaddr=LEASE.hwaddr, hostname="host2", expires=2000000600
    )
    writer.write(LeaseFile((renewed, other), None, ()))
    again = parse(path.read_text())[0].v4
    assert [(x.hostname, x.expires) for x in again] == [(None, 0), ("host2", 2000000600)]
    writer.write(LeaseFile((other,), None, ()))
    assert parse(path.read_text())[0].v4 == (other,)
    writer.close()
