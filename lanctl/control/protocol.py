"""The control-socket wire format: one JSON object per line, both ways (pure, no I/O).

A request is ``{"cmd": "cache.dump", "args": {...}}\\n``; the answer is
``{"ok": true, "result": ...}\\n`` or ``{"ok": false, "error": "dns not running"}\\n``.
A connection may carry several requests, answered in order.  This is a lanctl extension
(dnsmasq has no control socket; it only dumps its cache to the log on SIGUSR1).
Malformed input from the peer raises `DecodeError`, never anything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Final

from lanctl.errors import DecodeError
from lanctl.service import JsonValue

MAX_REQUEST_BYTES: Final = 64 * 1024  # one request line, newline included
MAX_RESPONSE_BYTES: Final = 256 * 1024 * 1024  # a full cache dump of a huge cache stays below this


@dataclass(frozen=True, slots=True)
class Request:
    """One command for the server."""

    cmd: str
    args: dict[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Response:
    """The answer to one request: a result when ok, else an error message."""

    ok: bool
    result: JsonValue = None
    error: str | None = None


def _loads(line: bytes) -> object:
    try:
        return json.loads(line.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not UTF-8: {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise DecodeError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise DecodeError("not JSON: nested too deeply") from None


def _dumps(obj: object) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def encode_request(request: Request) -> bytes:
    """A request as one newline-terminated JSON line."""
    return _dumps({"cmd": request.cmd, "args": request.args})


def decode_request(line: bytes) -> Request:
    """Parse one request line (with or without its newline); raise DecodeError if malformed."""
    if len(line) > MAX_REQUEST_BYTES:
        raise DecodeError(f"request longer than {MAX_REQUEST_BYTES} bytes")
    obj = _loads(line)
    if not isinstance(obj, dict):
        raise DecodeError("request is not a JSON object")
    cmd = obj.get("cmd")
    if not isinstance(cmd, str) or not cmd:
        raise DecodeError('request has no "cmd" string')
    args = obj.get("args", {})
    if args is None:
        args = {}
    if not isinstance(args, dict):
        raise DecodeError('"args" is not a JSON object')
    return Request(cmd, args)


def encode_response(response: Response) -> bytes:
    """A response as one newline-terminated JSON line.

    Raises TypeError/ValueError if `result` is not JSON-serialisable (a server bug).
    """
    if response.ok:
        return _dumps({"ok": True, "result": response.result})
    return _dumps({"ok": False, "error": response.error or "unknown error"})


def decode_response(line: bytes) -> Response:
    """Parse one response line; raise DecodeError if it is not a well-formed answer."""
    obj = _loads(line)
    if not isinstance(obj, dict) or not isinstance(obj.get("ok"), bool):
        raise DecodeError('response is not a JSON object with a boolean "ok"')
    if obj["ok"]:
        return Response(True, obj.get("result"))
    error = obj.get("error")
    if not isinstance(error, str):
        raise DecodeError('error response has no "error" string')
    return Response(False, None, error)


def ok(result: JsonValue) -> Response:
    """A successful response."""
    return Response(True, result)


def fail(error: str) -> Response:
    """An error response."""
    return Response(False, None, error)
