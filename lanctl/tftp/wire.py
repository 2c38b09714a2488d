"""TFTP packet codec: RRQ/WRQ/DATA/ACK/ERROR (RFC 1350 §5) and OACK (RFC 2347).

`decode_packet` turns a datagram into one of the frozen packet dataclasses and raises
`DecodeError` (and nothing else) for malformed input; the `encode_*` functions build every
packet fresh with an exact length (RELIABILITY §3c "error packet leak").  File names are
kept as `str` decoded with `surrogateescape`, so any byte sequence survives the round trip
(`os.fsencode` gives the bytes back); option names are lowercased (RFC 2347: case-insensitive).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from lanctl.errors import DecodeError

MAX_ERROR_PACKET: Final = 512  # RFC 1350 packets fit 516 bytes; keep ERROR within 512


class Opcode(IntEnum):
    """RFC 1350 §5 opcodes, plus OACK from RFC 2347."""

    RRQ = 1
    WRQ = 2
    DATA = 3
    ACK = 4
    ERROR = 5
    OACK = 6


class ErrorCode(IntEnum):
    """RFC 1350 Appendix error codes, plus 8 (option refused) from RFC 2347."""

    NOT_DEFINED = 0
    FILE_NOT_FOUND = 1
    ACCESS_VIOLATION = 2
    DISK_FULL = 3
    ILLEGAL_OPERATION = 4
    UNKNOWN_TID = 5
    FILE_EXISTS = 6
    NO_SUCH_USER = 7
    OPTION_REFUSED = 8


@dataclass(frozen=True, slots=True)
class Request:
    """RRQ or WRQ: file name, transfer mode (lowercased) and options in arrival order."""

    opcode: Opcode
    filename: str
    mode: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Data:
    block: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class Ack:
    block: int


@dataclass(frozen=True, slots=True)
class Error:
    code: int
    message: str


@dataclass(frozen=True, slots=True)
class OAck:
    options: tuple[tuple[str, str], ...]


Packet = Request | Data | Ack | Error | OAck

_H: Final = struct.Struct("!H")
_HH: Final = struct.Struct("!HH")


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def _strings(body: bytes, what: str) -> list[bytes]:
    """NUL-terminated strings (RFC 1350 §5); the last one must be terminated."""
    if not body or body[-1] != 0:
        raise DecodeError(f"{what}: missing NUL terminator")
    return body[:-1].split(b"\0")


def _decode_request(opcode: Opcode, body: bytes) -> Request:
    fields = _strings(body, opcode.name)
    if len(fields) < 2:
        raise DecodeError(f"{opcode.name}: no mode")
    name, mode, rest = fields[0], fields[1], fields[2:]
    try:
        mode_text = mode.decode("ascii").lower()
    except UnicodeDecodeError:
        raise DecodeError(f"{opcode.name}: mode is not ASCII") from None
    # RFC 2347: options come in name/value pairs; a dangling name is ignored, as the
    # server may ignore any option it does not understand.
    options: list[tuple[str, str]] = []
    for i in range(0, len(rest) - 1, 2):
        options.append((_text(rest[i]).lower(), _text(rest[i + 1])))
    return Request(opcode, _text(name), mode_text, tuple(options))


def _decode_oack(body: bytes) -> OAck:
    if not body:
        return OAck(())
    fields = _strings(body, "OACK")
    if len(fields) % 2:
        raise DecodeError("OACK: option without a value")
    pairs = [(_text(fields[i]).lower(), _text(fields[i + 1])) for i in range(0, len(fields), 2)]
    return OAck(tuple(pairs))


def decode_packet(data: bytes) -> Packet:
    """Decode one TFTP datagram; `DecodeError` for anything malformed."""
    if len(data) < 2:
        raise DecodeError("packet shorter than an opcode")
    (raw_op,) = _H.unpack_from(data)
    try:
        opcode = Opcode(raw_op)
    except ValueError:
        raise DecodeError(f"unknown opcode {raw_op}") from None
    body = data[2:]
    if opcode in (Opcode.RRQ, Opcode.WRQ):
        return _decode_request(opcode, body)
    if opcode == Opcode.OACK:
        return _decode_oack(body)
    if len(body) < 2:
        raise DecodeError(f"{opcode.name}: no block number or code")
    (number,) = _H.unpack_from(body)
    if opcode == Opcode.DATA:
        return Data(number, bytes(body[2:]))
    if opcode == Opcode.ACK:
        return Ack(number)  # trailing bytes (padding some clients add) are ignored
    message = body[2:]
    end = message.find(b"\0")
    return Error(number, _text(message if end < 0 else message[:end]))


def peek_ack(data: bytes) -> int | None:
    """The block number of an ACK, or None: the fast path of the transfer loop."""
    if len(data) >= 4 and data[0] == 0 and data[1] == Opcode.ACK:
        return int(_H.unpack_from(data, 2)[0])
    return None


def encode_request(request: Request) -> bytes:
    parts = [request.filename, request.mode]
    for name, value in request.options:
        parts += [name, value]
    body = b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in parts)
    return _H.pack(request.opcode) + body


def encode_data(block: int, payload: bytes) -> bytes:
    return _HH.pack(Opcode.DATA, block & 0xFFFF) + payload


def encode_ack(block: int) -> bytes:
    return _HH.pack(Opcode.ACK, block & 0xFFFF)


def encode_error(code: int, message: str) -> bytes:
    """ERROR packet, message cut so the whole packet stays within 512 bytes."""
    raw = message.encode("utf-8", "surrogateescape")[: MAX_ERROR_PACKET - 5]
    return _HH.pack(Opcode.ERROR, code & 0xFFFF) + raw + b"\0"


def encode_oack(options: tuple[tuple[str, str], ...]) -> bytes:
    body = b"".join(n.encode("ascii") + b"\0" + v.encode("ascii") + b"\0" for n, v in options)
    return _H.pack(Opcode.OACK) + body


def encode_packet(packet: Packet) -> bytes:
    """Encode any packet (tests and the raw test client use this)."""
    match packet:
        case Request():
            return encode_request(packet)
        case Data(block, payload):
            return encode_data(block, payload)
        case Ack(block):
            return encode_ack(block)
        case Error(code, message):
            return encode_error(code, message)
        case OAck(options):
            return encode_oack(options)
