"""Transfer state machine in virtual time: lock-step, OACK, windows, loss, rollover, dup ACKs."""

from __future__ import annotations

import pytest

from lanctl.tftp.engine import IDLE_LIMIT, MAX_RETRIES, NetasciiSource, Outcome, Transfer
from lanctl.tftp.negotiate import Negotiated
from lanctl.tftp.wire import Ack, Data, OAck, decode_packet, encode_ack, encode_error


class Source:
    """An in-memory BlockSource that records reads and insists they are sequential."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads: list[tuple[int, int]] = []

    def read(self, offset: int, size: int) -> bytes:
        if self.reads:
            last_offset, last_size = self.reads[-1]
            assert offset == last_offset + len(self.data[last_offset : last_offset + last_size])
        self.reads.append((offset, size))
        return self.data[offset : offset + size]


def make(data: bytes, **kw: object) -> tuple[Transfer, Source]:
    source = Source(data)
    neg = Negotiated(**kw)  # type: ignore[arg-type]
    return Transfer(source, neg, path="/srv/f", client="192.0.2.2"), source


def blocks(packets: list[bytes]) -> list[int]:
    out = []
    for p in packets:
        d = decode_packet(p)
        assert isinstance(d, Data)
        out.append(d.block)
    return out


def drive(t: Transfer, now: float = 0.0) -> bytes:
    """Ack everything in order (last block of each burst) and return the received bytes."""
    received = bytearray()
    packets = t.start(now)
    while packets:
        last = None
        for p in packets:
            d = decode_packet(p)
            if isinstance(d, OAck):
                last = 0
                continue
            assert isinstance(d, Data)
            received += d.payload
            last = d.block
        assert last is not None
        packets = t.on_packet(encode_ack(last), now)
    assert t.outcome is Outcome.SENT
    return bytes(received)


def test_lock_step_without_options() -> None:
    data = bytes(range(256)) * 5  # 1280 bytes: blocks of 512, 512, 256
    t, _ = make(data)
    assert blocks(t.start(0.0)) == [1]
    assert blocks(t.on_packet(encode_ack(1), 0.1)) == [2]
    last = t.on_packet(encode_ack(2), 0.2)
    assert blocks(last) == [3] and len(decode_packet(last[0]).payload) == 256  # type: ignore[union-attr]
    assert not t.done
    assert t.on_packet(encode_ack(3), 0.3) == []
    assert t.outcome is Outcome.SENT and t.take_logs() == ["sent /srv/f to 192.0.2.2"]
    assert t.bytes_sent == 1280 and t.next_deadline() is None


def test_exact_multiple_of_blksize_ends_with_an_empty_block() -> None:
    t, _ = make(b"x" * 1024)
    assert blocks(t.start(0)) == [1]
    assert blocks(t.on_packet(encode_ack(1), 0)) == [2]
    final = t.on_packet(encode_ack(2), 0)
    assert final == [b"\0\3\0\3"]
    t.on_packet(encode_ack(3), 0)
    assert t.outcome is Outcome.SENT


def test_empty_file_is_one_empty_block() -> None:
    t, _ = make(b"")
    assert t.start(0) == [b"\0\3\0\1"]
    t.on_packet(encode_ack(1), 0)
    assert t.outcome is Outcome.SENT


def test_oack_then_data_after_ack_zero() -> None:
    t, _ = make(b"y" * 100, blksize=1468, oack=(("blksize", "1468"),))
    assert t.start(0) == [b"\0\6blksize\0001468\0"]
    assert t.on_packet(encode_ack(1), 0) == []  # not the ACK of the OACK
    data = t.on_packet(encode_ack(0), 0)
    assert decode_packet(data[0]) == Data(1, b"y" * 100)


def test_windowed_sending_and_partial_window_ack() -> None:
    t, source = make(b"z" * (512 * 10 + 1), windowsize=4, oack=(("windowsize", "4"),))
    t.start(0)
    assert blocks(t.on_packet(encode_ack(0), 0)) == [1, 2, 3, 4]
    assert blocks(t.on_packet(encode_ack(4), 0)) == [5, 6, 7, 8]
    # RFC 7440: an ACK inside the window restarts the window after the acknowledged block.
    assert blocks(t.on_packet(encode_ack(6), 0)) == [7, 8, 9, 10]
    assert blocks(t.on_packet(encode_ack(10), 0)) == [11]  # the final (1 byte) block
    t.on_packet(encode_ack(11), 0)
    assert t.outcome is Outcome.SENT
    offsets = [o for o, _ in source.reads]
    assert offsets == sorted(set(offsets))  # each range read once, in order


def test_windowed_transfer_delivers_the_file() -> None:
    data = bytes(i % 251 for i in range(100_000))
    t, _ = make(data, blksize=1468, windowsize=16, oack=(("windowsize", "16"),))
    assert drive(t) == data


def test_duplicate_acks_never_cause_duplicate_data() -> None:
    """Sorcerer's Apprentice: a client that ACKs every block twice gets each block once."""
    data = b"q" * (512 * 20 + 7)
    t, _ = make(data)
    sent = blocks(t.start(0))
    for _ in range(40):
        if t.done:
            break
        ack = encode_ack(sent[-1])
        sent += blocks(t.on_packet(ack, 0))
        assert t.on_packet(ack, 0) == []  # the duplicate
    assert sent == list(range(1, 22)) and t.outcome is Outcome.SENT


def test_stale_and_stray_acks_are_ignored() -> None:
    t, _ = make(b"w" * 5000, windowsize=2, oack=(("windowsize", "2"),))
    t.start(0)
    t.on_packet(encode_ack(0), 0)
    assert t.on_packet(encode_ack(9), 0) == []  # beyond what was sent
    assert t.on_packet(encode_ack(0), 0) == []  # old
    assert t.on_packet(b"\0\3\0\1x", 0) == []  # DATA on a read transfer
    assert t.on_packet(b"\0", 0) == []  # garbage
    assert t.ignored == 4 and not t.done


def test_loss_retransmit_with_backoff_then_give_up() -> None:
    t, _ = make(b"r" * 2000, timeout=1.0)
    first = t.start(10.0)
    assert t.next_deadline() == 11.0
    assert t.on_timer(10.5) == []  # not due yet
    expected_deadlines = [13.0, 17.0, 25.0, 33.0, 41.0]  # 2, 4, 8, then capped at 8 x 1 s
    now = 11.0
    for deadline in expected_deadlines:
        assert t.on_timer(now) == first  # the same DATA 1 again
        assert t.next_deadline() == deadline
        now = deadline
    assert len(expected_deadlines) == MAX_RETRIES
    assert t.on_timer(now) == []
    assert t.outcome is Outcome.FAILED
    assert t.take_logs() == ["failed sending /srv/f to 192.0.2.2"]


def test_retransmit_resends_the_unacked_window_and_progress_resets_the_timer() -> None:
    t, _ = make(b"s" * 5000, windowsize=3, oack=(("windowsize", "3"),))
    assert t.on_timer(100.0) == []  # not started: no deadline
    t.start(0)
    assert t.on_timer(1.0) == [b"\0\6windowsize\0003\0"]  # OACK lost: resent
    t.on_packet(encode_ack(0), 1.5)
    assert t.next_deadline() == 2.5  # progress: base timeout again
    t.on_packet(encode_ack(1), 1.6)  # blocks 2..4 outstanding
    assert blocks(t.on_timer(2.6)) == [2, 3, 4]
    assert t.retransmissions >= 3


def test_block_numbers_roll_over_past_65535() -> None:
    n_blocks = 65535 + 10
    data = bytes(i % 256 for i in range(8 * n_blocks + 3))
    t, _ = make(data, blksize=8, oack=(("blksize", "8"),))
    seen: list[int] = []
    received = bytearray()
    packets = t.start(0)
    packets = t.on_packet(encode_ack(0), 0)
    while packets:
        d = decode_packet(packets[0])
        assert isinstance(d, Data)
        seen.append(d.block)
        received += d.payload
        packets = t.on_packet(encode_ack(d.block), 0)
    assert t.outcome is Outcome.SENT and bytes(received) == data
    assert seen[65533:65538] == [65534, 65535, 0, 1, 2]  # the wrap tftp-hpa and curl expect


def test_client_error_aborts_with_dnsmasq_log_lines() -> None:
    t, _ = make(b"e" * 2000)
    t.start(0)
    assert t.on_packet(encode_error(0, "bye"), 0) == []
    assert t.outcome is Outcome.ABORTED
    assert t.take_logs() == [
        "error 0 bye received from 192.0.2.2",
        "failed sending /srv/f to 192.0.2.2",
    ]
    assert t.on_packet(encode_ack(1), 0) == []  # finished: nothing more


def test_quiet_suppresses_only_the_success_line() -> None:
    source = Source(b"1")
    t = Transfer(source, Negotiated(), path="/f", client="192.0.2.9", quiet=True)
    t.start(0)
    t.on_packet(encode_ack(1), 0)
    assert t.outcome is Outcome.SENT and t.take_logs() == []


def test_abandon_counts_as_failure() -> None:
    t, _ = make(b"a")
    t.start(0)
    t.abandon()
    assert t.outcome is Outcome.FAILED


@pytest.mark.parametrize(
    ("raw", "converted"),
    [
        (b"a\nb", b"a\r\nb"),
        (b"a\rb", b"a\r\0b"),
        (b"a\r\nb", b"a\r\0\r\nb"),
        (b"", b""),
    ],
)
def test_netascii_conversion(raw: bytes, converted: bytes) -> None:
    src = NetasciiSource(Source(raw))
    out = bytearray()
    while chunk := src.read(len(out), 3):
        out += chunk
    assert bytes(out) == converted


def test_netascii_transfer_converts_across_chunks() -> None:
    raw = b"line\n" * 30000
    t = Transfer(NetasciiSource(Source(raw)), Negotiated(), path="/f", client="c")
    assert drive(t) == raw.replace(b"\n", b"\r\n")


def test_ack_decoding_is_by_wire_block() -> None:
    assert decode_packet(encode_ack(65536 + 5)) == Ack(5)


def test_long_client_timeout_is_bounded_by_the_idle_limit() -> None:
    t, _ = make(b"l" * 2000, timeout=255.0, oack=(("timeout", "255"),))
    t.start(0.0)
    now = 0.0
    rounds = 0
    while not t.done:
        deadline = t.next_deadline()
        assert deadline is not None
        now = deadline
        t.on_timer(now)
        rounds += 1
    # One resend at 255 s, then the next deadline (765 s) is past the idle limit: give up.
    assert t.outcome is Outcome.FAILED and rounds == 2 and t.retransmissions == 1
    assert now == 765.0 > IDLE_LIMIT


def test_late_acks_after_the_end_are_ignored() -> None:
    """A finished transfer answers nothing: not a late ACK of its final block (a client
    retransmitting it), nor of an earlier one; its outcome and logs stay as they were."""
    t, _ = make(b"k" * 1000)
    assert drive(t, now=5.0) == b"k" * 1000
    logs = t.take_logs()
    for block in (2, 2, 1, 0):
        assert t.on_packet(encode_ack(block), 6.0) == []
    assert t.on_timer(1000.0) == [] and t.next_deadline() is None
    assert t.outcome is Outcome.SENT and t.take_logs() == [] and logs


def test_chunked_reads_and_packets_across_chunk_boundaries() -> None:
    """The source is read in whole-block chunks; block numbers run on across chunks and a
    window may straddle two chunks; bytes_sent counts what was sent."""
    data = bytes(i % 253 for i in range(3 * Transfer.CHUNK + 5))
    t, source = make(data, blksize=1000, windowsize=7, oack=(("windowsize", "7"),))
    assert drive(t) == data
    sizes = {size for _, size in source.reads}
    assert sizes == {Transfer.CHUNK // 1000 * 1000}
    assert t.bytes_sent == t.size_sent == len(data)
