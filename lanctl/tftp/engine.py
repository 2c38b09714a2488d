"""One TFTP read transfer as a sans-IO state machine (RFC 1350, 2347, 7440; RFC 1123 §4.2.3.1).

`Transfer` takes decoded options (`negotiate.Negotiated`), a `BlockSource` port and explicit
`now` values; it returns the datagrams to send and exposes `next_deadline()`/`on_timer()`.
It never opens files or sockets.  netascii conversion (RFC 764 line ends) is a source
wrapper.  Log lines ("sent /path to 192.0.2.2", "failed sending ...", "error N ... received
from ...") are produced here, with --quiet-tftp applied, and drained with `take_logs()`.
"""

from __future__ import annotations

import enum
import struct
from math import inf
from typing import Final, Protocol

from lanctl.errors import DecodeError
from lanctl.tftp.negotiate import Negotiated
from lanctl.tftp.wire import Error, decode_packet, encode_oack

MAX_RETRIES: Final = 5  # retransmissions of one window before the transfer is abandoned
MAX_BACKOFF: Final = 8  # the retransmission timeout doubles up to this many times the base
IDLE_LIMIT: Final = 120.0  # seconds without progress: abandon (dnsmasq TFTP_TRANSFER_TIME)
_HEADER: Final = struct.Struct("!HH")  # opcode, block: the header of DATA and ACK packets


class BlockSource(Protocol):
    """Where file bytes come from: `read` returns `size` bytes at `offset`, fewer only at
    the end of the file.

    The engine reads each byte range exactly once, in increasing order and in chunks of
    about `Transfer.CHUNK` bytes, so a source may be sequential (netascii) and the file is
    never held whole in memory.
    """

    def read(self, offset: int, size: int) -> bytes: ...


class NetasciiSource:
    """RFC 764 NVT line ends over a raw source: LF -> CR LF, CR -> CR NUL (sequential)."""

    CHUNK: Final = 65536

    def __init__(self, raw: BlockSource) -> None:
        self._raw = raw
        self._raw_offset = 0
        self._out_offset = 0
        self._buffer = b""

    def read(self, offset: int, size: int) -> bytes:
        if offset != self._out_offset:
            raise ValueError("NetasciiSource is sequential")
        while len(self._buffer) < size:
            chunk = self._raw.read(self._raw_offset, self.CHUNK)
            if not chunk:
                break
            self._raw_offset += len(chunk)
            self._buffer += chunk.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        self._out_offset += len(out)
        return out


class Outcome(enum.Enum):
    SENT = "sent"  # the final block was acknowledged
    FAILED = "failed"  # retries exhausted
    ABORTED = "aborted"  # the client sent an ERROR


# Rules / theory of operation
# ---------------------------
# Blocks are numbered internally from 1 without limit; the wire carries `n & 0xFFFF`, so
# after 65535 comes 0 (the rollover tftp-hpa, curl and dnsmasq use).  With an OACK the
# client must ACK block 0 first (RFC 2347).  Then a window of `windowsize` blocks is sent
# (RFC 7440; 1 is RFC 1350 lock-step).  An ACK is mapped to the unique internal number in
# (acked, sent]; an ACK of the whole window sends the next window, an ACK inside the
# window restarts the window after the acknowledged block (RFC 7440 §4), anything else
# (duplicates, stale or stray numbers) is ignored: a duplicate ACK never triggers a resend
# (RFC 1123 §4.2.3.1, the Sorcerer's Apprentice bug).  Only the timer retransmits: the
# unacknowledged blocks (or the OACK), with the timeout doubling up to MAX_BACKOFF times
# the negotiated one, and after MAX_RETRIES silent rounds (or, after at least one resend,
# IDLE_LIMIT seconds without progress: this bounds a client-chosen timeout of 255 s) the
# transfer is abandoned.  The first block shorter than blksize (possibly empty) is the
# last one; its ACK ends the transfer.
#
# The source is read once, in order, in chunks of about CHUNK bytes (whole blocks), and
# each chunk is turned into DATA packets at once; `_ready` holds the packets of blocks
# base+1 .. base+len(_ready): the sent but unacknowledged ones (at most windowsize) and
# the rest of the current chunk.  A read shorter than asked is the end of the file.  The
# hot path is an ACK byte-equal to `_want`, the ACK of everything sent so far.


class Transfer:
    """One read transfer to one client transfer ID."""

    CHUNK: Final = 65536  # bytes read from the source at a time (rounded to whole blocks)

    def __init__(
        self,
        source: BlockSource,
        negotiated: Negotiated,
        *,
        path: str,
        client: str,
        quiet: bool = False,
    ) -> None:
        self.source = source
        self.negotiated = negotiated
        self.path = path
        self.client = client
        self.quiet = quiet
        self.blksize = negotiated.blksize
        self.window = negotiated.windowsize
        self.outcome: Outcome | None = None
        self.retransmissions = 0
        self.ignored = 0  # duplicate, stale or stray packets
        self._logs: list[str] = []
        self._oack = encode_oack(negotiated.oack) if negotiated.oack else None
        self._awaiting_oack_ack = self._oack is not None
        self._acked = 0
        self._sent = 0
        self._final: int | None = None  # the last block's number, once read
        self._final_size = 0  # its payload length
        self._offset = 0  # bytes read from the source
        self._chunk = max(1, self.CHUNK // self.blksize) * self.blksize
        self._ready: list[bytes] = []
        self._base = 0
        self._want: bytes | None = None
        self._timeout = negotiated.timeout
        self._rto = negotiated.timeout
        self._retries = 0
        self._deadline: float | None = None
        self._progress = 0.0  # when the client last acknowledged something new

    @property
    def done(self) -> bool:
        return self.outcome is not None

    @property
    def bytes_sent(self) -> int:
        """Payload bytes sent (first transmissions only)."""
        if self._final is not None and self._sent == self._final:
            return (self._sent - 1) * self.blksize + self._final_size
        return self._sent * self.blksize

    @property
    def size_sent(self) -> int:
        return self.bytes_sent

    def take_logs(self) -> list[str]:
        logs, self._logs = self._logs, []
        return logs

    def next_deadline(self) -> float | None:
        return None if self.done else self._deadline

    @property
    def deadline(self) -> float:
        """`next_deadline()` as a float (infinity when none), for the adapter's hot loop."""
        return inf if self._deadline is None or self.done else self._deadline

    def start(self, now: float) -> list[bytes]:
        """The first datagrams: the OACK, or the first window of DATA."""
        self._progress = now
        if self._oack is not None:
            self._deadline = now + self._rto
            return [self._oack]
        return self._fill(now)

    def on_packet(self, data: bytes, now: float) -> list[bytes]:
        """A datagram from the client's transfer ID."""
        if data == self._want:  # the ACK of everything sent: the hot path
            acked = self._acked = self._sent
            if acked == self._final:
                self._finish(Outcome.SENT)
                return []
            last = acked + self.window
            base = self._base
            if last - base > len(self._ready):  # the next window needs a read
                return self._fill(now)
            self._retries = 0  # _fill, inlined for a window of packets already made
            self._progress = now
            self._rto = rto = self._timeout
            self._deadline = now + rto
            self._sent = last
            self._want = _HEADER.pack(4, last & 0xFFFF)
            return self._ready[acked - base : last - base]
        if self.outcome is not None:
            return []
        if len(data) >= 4 and data[1] == 4 and data[0] == 0:  # ACK
            return self._on_ack((data[2] << 8) | data[3], now)
        try:
            packet = decode_packet(data)
        except DecodeError:
            self.ignored += 1
            return []
        if isinstance(packet, Error):
            self._logs.append(f"error {packet.code} {packet.message} received from {self.client}")
            self._finish(Outcome.ABORTED)
            return []
        self.ignored += 1  # DATA, requests, OACK on a read transfer: ignored
        return []

    def on_timer(self, now: float) -> list[bytes]:
        """Retransmit what is unacknowledged once the deadline has passed."""
        if self.done or self._deadline is None or now < self._deadline:
            return []
        idle = self._retries > 0 and now - self._progress >= IDLE_LIMIT
        if self._retries >= MAX_RETRIES or idle:
            self._finish(Outcome.FAILED)
            return []
        self._retries += 1
        self._rto = min(self._rto * 2, self._timeout * MAX_BACKOFF)
        self._deadline = now + self._rto
        if self._awaiting_oack_ack:
            assert self._oack is not None
            packets = [self._oack]
        else:
            base = self._base
            packets = self._ready[self._acked - base : self._sent - base]
        self.retransmissions += len(packets)
        return packets

    def _on_ack(self, block: int, now: float) -> list[bytes]:
        if self._awaiting_oack_ack:
            if block != 0:
                self.ignored += 1
                return []
            self._awaiting_oack_ack = False
            return self._fill(now)
        delta = (block - self._acked) & 0xFFFF
        if delta == 0 or delta > self._sent - self._acked:
            self.ignored += 1  # duplicate or stray ACK: never answered (Sorcerer's Apprentice)
            return []
        self._acked += delta
        if self._final is not None and self._acked >= self._final:
            self._finish(Outcome.SENT)
            return []
        return self._fill(now)

    def _fill(self, now: float) -> list[bytes]:
        """Send the window after the last acknowledged block (re-sending what is in it)."""
        self._retries = 0
        self._progress = now
        self._rto = rto = self._timeout
        self._deadline = now + rto
        acked, sent, base = self._acked, self._sent, self._base
        last = acked + self.window
        if last - base > len(self._ready) and self._final is None:
            self._read(last)
            base = self._base
        if self._final is not None and last > self._final:
            last = self._final
        if sent > acked:
            self.retransmissions += min(sent, last) - acked
        if last > sent:
            self._sent = last
        self._want = _HEADER.pack(4, last & 0xFFFF)
        return self._ready[acked - base : last - base]

    def _read(self, last: int) -> None:
        """Read whole chunks until block `last` is ready or the source ends."""
        ready, bs, size, pack = self._ready, self.blksize, self._chunk, _HEADER.pack
        if self._acked > self._base:  # drop acknowledged packets
            del ready[: self._acked - self._base]
            self._base = self._acked
        while self._base + len(ready) < last and self._final is None:
            chunk = self.source.read(self._offset, size)
            self._offset += len(chunk)
            view = memoryview(chunk)
            n = self._base + len(ready)  # the block before the chunk's first
            whole = len(chunk) // bs
            ready += [
                pack(3, (n + i) & 0xFFFF) + view[(i - 1) * bs : i * bs] for i in range(1, whole + 1)
            ]
            if len(chunk) < size:  # the end: a short block (possibly empty) is the last
                tail = view[whole * bs :]
                ready.append(pack(3, (n + whole + 1) & 0xFFFF) + tail)
                self._final = n + whole + 1
                self._final_size = len(tail)

    def _finish(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self._want = None
        self._ready = []
        if outcome is Outcome.SENT:
            if not self.quiet:
                self._logs.append(f"sent {self.path} to {self.client}")
        else:
            self._logs.append(f"failed sending {self.path} to {self.client}")

    def abandon(self) -> None:
        """The server is shutting down or the socket failed."""
        if not self.done:
            self._finish(Outcome.FAILED)
