"""The dnsmasq lease-file writer survives a lost right to rename (after dropping root).

Regression: with the default `user=nobody`, the atomic temp-file-and-rename in a
root-owned directory failed and the exception stopped the whole server.
"""

from __future__ import annotations

import logging
import os
import random
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest

from lanctl.dhcp4 import leasewriter as server
from lanctl.errors import FileSystemError
from lanctl.store.lease import Lease4, Lease6
from lanctl.store.leasefile import LeaseFile, parse, render, render_lease4

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


# The writer renders only the leases that are new objects since its last write and keeps
# the lines in address order between writes; the file must stay what a full rendering of
# the sorted leases gives (the writer before that cache), whatever changed in between.


def reference(leases: LeaseFile) -> str:
    """The file as rendered from nothing: v4 lines by address, then the duid and v6."""
    v4 = tuple(sorted(leases.v4, key=lambda x: int(x.address)))
    return render(LeaseFile(v4, leases.server_duid, leases.v6))


def lease4(address: str, n: int = 1, **kw: object) -> Lease4:
    return Lease4(address=IPv4Address(address), hwaddr=bytes((2, 0, 0, 0, 0, n)), **kw)  # type: ignore[arg-type]


def test_lines_are_in_address_order_not_in_table_order(tmp_path: Path) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    rng = random.Random(1)
    addrs = [IPv4Address(a) for a in rng.sample(range(0xC0000200, 0xC0000300), 200)]
    leases = tuple(Lease4(address=a, hwaddr=rng.randbytes(6), expires=1000) for a in addrs)
    writer.write(LeaseFile(leases))
    more = (*leases[::-1], lease4("192.0.2.0"), lease4("192.0.2.255"), lease4("0.0.0.0"))
    writer.write(LeaseFile(more))  # the kept lines, and new ones before, after, between
    written = [x.address for x in parse(path.read_text())[0].v4]
    assert written == sorted(x.address for x in more)
    assert path.read_text() == reference(LeaseFile(more))
    writer.close()


def test_a_new_lease_object_on_the_same_address_gets_a_new_line(tmp_path: Path) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    a, b = lease4("192.0.2.10", 1, expires=1000), lease4("192.0.2.11", 2, expires=1000)
    writer.write(LeaseFile((a, b)))
    renewed = Lease4(address=a.address, hwaddr=a.hwaddr, hostname="laptop", expires=5000)
    writer.write(LeaseFile((b, renewed)))  # as the engine: renewed last, the old object gone
    text = path.read_text()
    assert text == reference(LeaseFile((renewed, b)))
    assert "1000 02:00:00:00:00:01" not in text and "laptop" in text
    infinite = Lease4(address=a.address, hwaddr=a.hwaddr, client_id=b"\x01\x02", expires=0)
    writer.write(LeaseFile((b, infinite)))
    assert path.read_text().splitlines()[0] == "0 02:00:00:00:00:01 192.0.2.10 * 01:02"
    writer.close()


def test_a_removed_lease_is_not_written_again(tmp_path: Path) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    leases = tuple(lease4(f"192.0.2.{i}", i, expires=1000 + i) for i in range(1, 40))
    writer.write(LeaseFile(leases))
    kept = leases[1:20] + leases[21:-1]
    writer.write(LeaseFile(kept))
    assert path.read_text() == reference(LeaseFile(kept))
    writer.write(LeaseFile(()))
    assert path.read_text() == ""
    writer.write(LeaseFile(leases[:3]))  # after nothing: from the start again
    assert path.read_text() == reference(LeaseFile(leases[:3]))
    writer.close()


def test_a_lease_that_moved_is_written_at_its_new_address_only(tmp_path: Path) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    a, b, c = lease4("192.0.2.10", 1), lease4("192.0.2.20", 2), lease4("192.0.2.30", 3)
    writer.write(LeaseFile((a, b, c)))
    moved = Lease4(address=IPv4Address("192.0.2.40"), hwaddr=a.hwaddr, expires=7)
    writer.write(LeaseFile((b, c, moved)))
    assert [x.address for x in parse(path.read_text())[0].v4] == [
        b.address,
        c.address,
        moved.address,
    ]
    back = Lease4(address=a.address, hwaddr=c.hwaddr)  # another client takes the old one
    writer.write(LeaseFile((b, moved, back)))
    assert path.read_text() == reference(LeaseFile((b, moved, back)))
    writer.close()


def test_random_changes_give_the_file_of_a_full_rendering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Renewals, moves, releases, new clients, names, client-ids, infinite leases, other
    hardware types, the duid and v6 lines, table order or any order: after every write the
    file is what rendering every lease gives.  Small blocks: splits and emptied blocks."""
    monkeypatch.setattr(server._SortedLines, "BLOCK", 2)
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    rng = random.Random(5)
    table: dict[IPv4Address, Lease4] = {}
    v6 = Lease6(address=IPv6Address("2001:db8::5"), duid=b"\x00\x01", iaid=3, expires=9)

    def new(address: IPv4Address) -> Lease4:
        return Lease4(
            address=address,
            hwaddr=rng.randbytes(rng.choice((6, 6, 6, 0, 16))),
            hwtype=rng.choice((1, 1, 1, 6, 32)),
            client_id=rng.choice((None, None, rng.randbytes(7))),
            hostname=rng.choice((None, None, f"host{rng.randrange(1000)}")),
            expires=rng.choice((0, rng.randrange(1, 1 << 33))),
        )

    for round_ in range(150):
        for _ in range(rng.choice((0, 1, 3, 10, 40))):
            address = IPv4Address(0xC6120000 + rng.randrange(300))
            old = table.pop(address, None)
            if old is None or rng.random() < 0.7:
                table[address] = new(address)  # a new client, or a renewal (a new object)
        if table and rng.random() < 0.05:
            table.clear()
        v4 = list(table.values())
        if rng.random() < 0.3:
            rng.shuffle(v4)  # not the engine's order: the new leases are not at the end
        duid = rng.choice((None, b"\x00\x03\x00\x01\x02\x00\x00\x00\x00\x09"))
        leases = LeaseFile(tuple(v4), duid, (v6,) if duid else ())
        writer.write(leases)
        assert path.read_text() == reference(leases), f"round {round_}"
        del v4, leases  # the old lease objects go: their memory (ids) can be reused
    writer.close()


def test_an_address_or_a_lease_twice_is_written_as_rendered_then_the_cache_recovers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    a, b = lease4("192.0.2.10", 1, hostname="one"), lease4("192.0.2.20", 2)
    writer.write(LeaseFile((a, b)))
    other = lease4("192.0.2.10", 3, hostname="two")
    third = lease4("192.0.2.10", 4, hostname="three")
    for twice in ((b, other, a), (a, b, a), (other, a, b), (b, other, third)):
        writer.write(LeaseFile(twice))
        assert path.read_text() == reference(LeaseFile(twice))  # both, in table order
        writer.write(LeaseFile((a, b)))
        assert path.read_text() == reference(LeaseFile((a, b)))
    writer.close()


def test_a_write_that_failed_half_way_leaves_no_stale_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    a, b = lease4("192.0.2.10", 1, expires=10), lease4("192.0.2.20", 2, expires=10)
    writer.write(LeaseFile((a, b)))
    a2, b2 = lease4("192.0.2.10", 1, expires=20), lease4("192.0.2.20", 2, expires=20)
    real = render_lease4

    def fails_on_b2(lease: Lease4) -> str:
        if lease is b2:
            raise RuntimeError("boom")
        return real(lease)

    monkeypatch.setattr(server, "render_lease4", fails_on_b2)
    with pytest.raises(RuntimeError):
        writer.write(LeaseFile((a2, b2)))
    monkeypatch.setattr(server, "render_lease4", real)
    writer.write(LeaseFile((a2, b2)))
    assert path.read_text() == reference(LeaseFile((a2, b2)))
    writer.close()


@pytest.mark.parametrize(
    "address", ["0.0.0.0", "255.255.255.255", "10.0.0.1", "192.0.2.9", "198.19.255.254"]
)
def test_render_lease4_writes_the_address_as_ipaddress_does(address: str) -> None:
    for lease in (
        lease4(address),
        Lease4(address=IPv4Address(address), hwaddr=b"", hwtype=32, expires=5),
        Lease4(
            address=IPv4Address(address),
            hwaddr=b"\xaa" * 16,
            hwtype=6,
            client_id=b"\xff\x00",
            hostname="h",
            expires=2**40,
        ),
    ):
        hw = lease.hwaddr.hex(":")
        if lease.hwtype != 1 or not lease.hwaddr:
            hw = f"{lease.hwtype:02x}-{hw}"
        clid = lease.client_id.hex(":") if lease.client_id else "*"
        expected = f"{lease.expires} {hw} {lease.address!s} {lease.hostname or '*'} {clid}"
        assert render_lease4(lease) == expected


def test_only_the_new_lease_objects_are_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the engine's table order (a stored lease goes to the end), a write renders the
    leases that are new objects and nothing else: no fall-back to rendering every line."""
    monkeypatch.setattr(server._SortedLines, "BLOCK", 2)
    rendered: list[Lease4] = []
    real = render_lease4

    def counted(lease: Lease4) -> str:
        rendered.append(lease)
        return real(lease)

    monkeypatch.setattr(server, "render_lease4", counted)
    path = tmp_path / "leases"
    writer = server.LeaseFileWriter(str(path))
    rng = random.Random(9)
    table: dict[IPv4Address, Lease4] = {}
    for round_ in range(100):
        before = set(map(id, table.values()))
        for _ in range(rng.choice((0, 1, 5, 20))):
            low = max(0, 100 - 2 * round_)  # new leases below the lowest one, too
            address = IPv4Address(0xC0000200 + low + rng.randrange(100))
            table.pop(address, None)  # the engine drops, then stores at the end
            if rng.random() < 0.8:
                table[address] = lease4(str(address), rng.randrange(256), expires=round_)
        new = [x for x in table.values() if id(x) not in before]
        rendered.clear()
        writer.write(LeaseFile(tuple(table.values())))
        assert rendered == new, f"round {round_}"
        assert path.read_text() == reference(LeaseFile(tuple(table.values())))
    writer.close()


def test_a_costly_write_makes_the_next_wait_longer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WRITE_REST: after a write of 100 ms of CPU the next waits 3 s; a cheap one, 1 s."""
    writer = server.LeaseFileWriter(str(tmp_path / "leases"))
    spent = iter([5.0, 5.1, 7.0, 7.001])  # thread CPU seconds before and after each write
    monkeypatch.setattr(server.time, "thread_time", lambda: next(spent))
    assert writer.due(10.0)
    writer.write(LeaseFile((LEASE,), None, ()))
    writer.dirty = True
    assert not writer.due(11.0) and not writer.due(12.9)
    assert writer.due(13.0)
    writer.write(LeaseFile((LEASE,), None, ()))  # cheap: back to the interval
    writer.dirty = True
    assert not writer.due(13.9) and writer.due(14.0)
    writer.close()
