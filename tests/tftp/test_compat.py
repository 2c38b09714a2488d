"""Differential tests: the same requests to dnsmasq 2.90 and to lanctl, same answers.

dnsmasq runs in namespace `dm` (198.51.100.1), lanctl in `lc` (192.0.2.1), both serving the
same root directory, and one client namespace is linked to both.  Compared: error codes and
messages (client address normalised), OACKs for the options dnsmasq supports, and what a
late ACK gets with --tftp-single-port.  (The project keeps differential tests next to the
package they check, as tests/<pkg>/test_compat.py; there is no tests/compat/.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lanctl.tftp.wire import Error, Opcode, Request, decode_packet, encode_ack, encode_request
from tests.support import require_tool
from tests.support.netns import Lab, Namespace
from tests.tftp.client import Result, fetch
from tests.tftp.netlab import make_root, put, start_dnsmasq, start_lanctl

LANCTL, DNSMASQ = "192.0.2.1", "198.51.100.1"


@dataclass
class Pair:
    cli: Namespace
    root: Path

    def both(
        self, name: str, options: tuple[tuple[str, str], ...] = (), mode: str = "octet"
    ) -> tuple[Result, Result]:
        return tuple(  # type: ignore[return-value]
            fetch(
                host,
                69,
                name,
                options,
                mode=mode,
                make_socket=self.cli.socket,
                first_reply_only=True,
            )
            for host in (LANCTL, DNSMASQ)
        )


@pytest.fixture(params=[False, True], ids=["port-per-transfer", "single-port"])
def single_port(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def pair(netns: Lab, tmp_path: Path) -> Iterator[Pair]:
    yield from _pair(netns, tmp_path, single_port=False)


@pytest.fixture
def any_pair(netns: Lab, tmp_path: Path, single_port: bool) -> Iterator[Pair]:
    yield from _pair(netns, tmp_path, single_port=single_port)


def _pair(netns: Lab, tmp_path: Path, *, single_port: bool) -> Iterator[Pair]:
    require_tool("dnsmasq")
    lc, dm, cli = netns("lc"), netns("dm"), netns("cli")
    netns.link(lc, cli, ["192.0.2.1/24"], ["192.0.2.2/24"])
    netns.link(dm, cli, ["198.51.100.1/24"], ["198.51.100.2/24"])
    root = make_root(tmp_path)
    put(root, "file", os.urandom(3000))
    put(root, "private", b"p", mode=0o600)
    (tmp_path / "lc").mkdir()
    (tmp_path / "dm").mkdir()
    lproc, _ = start_lanctl(lc, tmp_path / "lc", root, *(["tftp-single-port"] * single_port))
    dproc, _ = start_dnsmasq(dm, tmp_path / "dm", root, *(["--tftp-single-port"] * single_port))
    yield Pair(cli, root)
    assert lproc.poll() is None and dproc.poll() is None


def normalised(err: Error | None) -> tuple[int, str] | None:
    if err is None:
        return None
    return err.code, err.message.replace("198.51.100.2", "CLIENT").replace("192.0.2.2", "CLIENT")


@pytest.mark.parametrize(
    "name",
    [
        "missing",
        "../../etc/passwd",
        "..\\..\\etc\\passwd",
        "a/../../x",
        "/etc/passwd",
        "private",
        "sub/",
    ],
)
def test_same_errors(pair: Pair, name: str) -> None:
    ours, theirs = pair.both(name)
    assert theirs.error is not None
    assert normalised(ours.error) == normalised(theirs.error)


def test_same_error_for_write_requests_and_bad_modes(pair: Pair) -> None:
    for raw in (encode_request(Request(Opcode.WRQ, "file", "octet")), b"\0\1file\0mail\0"):
        answers = []
        for host in (LANCTL, DNSMASQ):
            s = pair.cli.socket()
            s.settimeout(5)
            try:
                s.sendto(raw, (host, 69))
                answers.append(normalised(decode_packet(s.recvfrom(600)[0])))  # type: ignore[arg-type]
            finally:
                s.close()
        assert answers[0] == answers[1] == (4, "unsupported request from CLIENT")


@pytest.mark.parametrize(
    ("options", "mode"),
    [
        ((("blksize", "1468"), ("tsize", "0")), "octet"),
        ((("blksize", "70000"), ("tsize", "0")), "octet"),  # both bound it by the MTU: 1468
        ((("tsize", "0"),), "octet"),
        ((("blksize", "1024"), ("tsize", "0")), "netascii"),  # no tsize in netascii
        ((("blksize", "512"),), "octet"),
    ],
)
def test_same_oack(pair: Pair, options: tuple[tuple[str, str], ...], mode: str) -> None:
    ours, theirs = pair.both("file", options, mode)
    assert theirs.oack is not None
    assert ours.oack == theirs.oack


def test_plain_request_gets_data_from_both(pair: Pair) -> None:
    for host in (LANCTL, DNSMASQ):
        got = fetch(host, 69, "file", make_socket=pair.cli.socket)
        assert got.data == (pair.root / "file").read_bytes()


def test_same_answer_to_late_acks(any_pair: Pair) -> None:
    """After the final ACK, the client ACKs the last block again, then block 1: dnsmasq 2.90
    ignores both with a port per transfer (that socket is closed) and, in single-port mode,
    refuses both with ERROR 4 as requests.  lanctl must answer the same."""
    answers: list[list[object]] = []
    for host in (LANCTL, DNSMASQ):
        s = any_pair.cli.socket()
        s.settimeout(5)
        try:
            s.sendto(encode_request(Request(Opcode.RRQ, "file", "octet")), (host, 69))
            while True:
                raw, tid = s.recvfrom(600)
                s.sendto(encode_ack(int.from_bytes(raw[2:4], "big")), tid)
                if len(raw) < 516:
                    break
            got: list[object] = []
            for block in (int.from_bytes(raw[2:4], "big"), 1):
                s.sendto(encode_ack(block), tid)
                s.settimeout(1.0)  # silence is one of the answers compared
                try:
                    got.append(normalised(decode_packet(s.recvfrom(600)[0])))  # type: ignore[arg-type]
                except TimeoutError:
                    got.append("silence")
            answers.append(got)
        finally:
            s.close()
    assert answers[0] == answers[1]
    assert answers[1] in (["silence"] * 2, [(4, "unsupported request from CLIENT")] * 2)
