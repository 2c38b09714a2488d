"""Request admission: unsupported requests, tftp-max, refusals, quiet-tftp, counters."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanctl.config.grammar.dhcp_net import TftpRoot
from lanctl.config.model import TftpCfg
from lanctl.tftp.admission import Admitted, Refused, TftpEngine, transfer_limit
from lanctl.tftp.engine import Outcome
from lanctl.tftp.files import OsFileSystem
from lanctl.tftp.wire import Error, OAck, decode_packet, encode_ack

FS = OsFileSystem()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "boot").write_bytes(b"B" * 700)
    (tmp_path / "boot").chmod(0o644)
    (tmp_path / "private").write_bytes(b"p")
    (tmp_path / "private").chmod(0o600)
    return tmp_path


def engine(root: Path, **kw: object) -> TftpEngine:
    return TftpEngine(TftpCfg(enable_tftp=True, tftp_root=(TftpRoot(str(root)),), **kw))  # type: ignore[arg-type]


def error_of(decision: Admitted | Refused) -> Error:
    assert isinstance(decision, Refused)
    packet = decode_packet(decision.packet)
    assert isinstance(packet, Error)
    return packet


@pytest.mark.parametrize(
    "raw",
    [
        b"\0\2boot\0octet\0",  # WRQ: read-only server
        b"\0\1boot\0mail\0",  # obsolete mail mode
        b"\0\1\0octet\0",  # empty file name
        b"\0\1boot",  # malformed
        b"\0\4\0\1",  # an ACK on the request port
    ],
)
def test_unsupported_requests_get_error_4_as_dnsmasq(root: Path, raw: bytes) -> None:
    e = engine(root)
    err = error_of(e.on_request(raw, "192.0.2.2", FS, euid=0))
    assert (err.code, err.message) == (4, "unsupported request from 192.0.2.2")
    assert e.take_logs() == ["unsupported request from 192.0.2.2"]


def test_admit_and_start_a_transfer(root: Path) -> None:
    e = engine(root)
    raw = b"\0\1boot\0octet\0tsize\0000\0blksize\0001468\0"
    decision = e.on_request(raw, "192.0.2.2", FS, euid=0)
    assert isinstance(decision, Admitted) and decision.resolved.size == 700
    t = e.start(decision, MemSource(root / "boot"), "192.0.2.2", mtu=1500)
    assert decode_packet(t.start(0)[0]) == OAck((("tsize", "700"), ("blksize", "1468")))
    assert e.stats()["active"] == 1
    t.on_packet(encode_ack(0), 0)
    t.on_packet(encode_ack(1), 0)
    assert t.outcome is Outcome.SENT
    e.finished(t)
    stats = e.stats()
    assert (stats["active"], stats["sent"], stats["bytes_sent"], stats["highest"]) == (0, 1, 700, 1)


class MemSource:
    """A BlockSource over a file read whole (tests only)."""

    def __init__(self, path: Path) -> None:
        self.data = path.read_bytes()

    def read(self, offset: int, size: int) -> bytes:
        return self.data[offset : offset + size]


def test_tftp_max_refuses_the_extra_transfer(root: Path) -> None:
    e = engine(root, tftp_max=2)
    raw = b"\0\1boot\0octet\0"
    transfers = []
    for _ in range(2):
        d = e.on_request(raw, "192.0.2.2", FS, euid=0)
        assert isinstance(d, Admitted)
        transfers.append(e.start(d, MemSource(root / "boot"), "192.0.2.2"))
    err = error_of(e.on_request(raw, "192.0.2.3", FS, euid=0))
    assert err.code == 0 and "too many" in err.message
    e.finished(transfers[0])  # abandoned before the end: counted as failed
    assert e.stats()["failed"] == 1
    assert isinstance(e.on_request(raw, "192.0.2.3", FS, euid=0), Admitted)


def test_transfer_limit_is_lowered_to_the_port_range() -> None:
    assert transfer_limit(TftpCfg()) == 50
    assert transfer_limit(TftpCfg(tftp_port_range=(40000, 40010))) == 11
    assert transfer_limit(TftpCfg(tftp_port_range=(40000, 40010), tftp_single_port=True)) == 50


def test_quiet_tftp_mutes_not_found_but_not_access_violations(root: Path) -> None:
    e = engine(root, quiet_tftp=True)
    assert error_of(e.on_request(b"\0\1nope\0octet\0", "192.0.2.2", FS, euid=0)).code == 1
    assert e.take_logs() == []
    assert error_of(e.on_request(b"\0\1private\0octet\0", "192.0.2.2", FS, euid=0)).code == 2
    assert e.take_logs() == [f"cannot access {root}/private: Permission denied"]
    loud = engine(root)
    loud.on_request(b"\0\1nope\0octet\0", "192.0.2.2", FS, euid=0)
    assert loud.take_logs() == [f"file {root}/nope not found for 192.0.2.2"]


def test_per_interface_root(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("eth1root")
    (other / "only-eth1").write_bytes(b"1")
    (other / "only-eth1").chmod(0o644)
    e = TftpEngine(TftpCfg(tftp_root=(TftpRoot(str(root)), TftpRoot(str(other), "eth1"))))
    raw = b"\0\1only-eth1\0octet\0"
    assert isinstance(e.on_request(raw, "192.0.2.2", FS, euid=0, interface="eth1"), Admitted)
    assert error_of(e.on_request(raw, "192.0.2.2", FS, euid=0, interface="eth0")).code == 1


def test_log_stats_shape(root: Path) -> None:
    assert engine(root).log_stats() == [
        "TFTP transfers: in use 0, highest since last SIGUSR1 0, max allowed 50; sent 0, failed 0."
    ]
