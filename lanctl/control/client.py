"""The control-socket client behind `lanctl cache dump|stats|clear` (blocking stdlib, no trio).

The socket path is `--control-socket` when given, else the configuration's
`control_socket_path()` (beside the pid file, so `-x/--pid-file` finds it too).
Output is a Rich table on a terminal, JSON when piped or with `--json`.  A missing or
refusing socket is `ControlError` (exit 5): "cannot reach lanctl at PATH: ... (is it running?)".
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Sequence
from typing import Final

from lanctl.control.protocol import (
    MAX_RESPONSE_BYTES,
    Request,
    decode_response,
    encode_request,
)
from lanctl.errors import ControlError, DecodeError
from lanctl.service import JsonValue

DEFAULT_TIMEOUT: Final = 10.0


def resolve_socket_path(
    conf_file: Sequence[str] | None, extra_argv: Sequence[str], sock_path: str | None
) -> str:
    """Explicit `--control-socket`, else the path the configuration implies."""
    if sock_path:
        return sock_path
    from lanctl.config import load

    # Same argv shape as lanctl.commands._run.argv_with_conf; rebuilt here because
    # nothing outside commands/ may import lanctl.commands (import-linter contract).
    argv = [f"--conf-file={path}" for path in conf_file or ()] + list(extra_argv)
    return load(argv).core.control_socket_path()


def _unreachable(path: str, reason: str) -> ControlError:
    return ControlError(f"cannot reach lanctl at {path}: {reason} (is it running?)")


def _receive_line(sock: socket.socket, path: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        data = sock.recv(1 << 16)
        if not data:
            raise ControlError(f"lanctl at {path} closed the connection without answering")
        idx = data.find(b"\n")
        if idx >= 0:
            chunks.append(data[:idx])
            return b"".join(chunks)
        chunks.append(data)
        size += len(data)
        if size > MAX_RESPONSE_BYTES:
            raise ControlError(f"answer from lanctl at {path} is larger than {MAX_RESPONSE_BYTES}")


def request(
    path: str,
    cmd: str,
    args: dict[str, JsonValue] | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> JsonValue:
    """Send one command and return its result; an error answer raises ControlError."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except TimeoutError:
            raise _unreachable(path, f"no answer within {timeout:g} s") from None
        except OSError as exc:
            raise _unreachable(path, exc.strerror or str(exc)) from None
        try:
            sock.sendall(encode_request(Request(cmd, args or {})))
            line = _receive_line(sock, path)
        except TimeoutError:
            msg = f"lanctl at {path} did not answer {cmd} within {timeout:g} s"
            raise ControlError(msg) from None
        except OSError as exc:
            msg = f"lost connection to lanctl at {path}: {exc.strerror or exc}"
            raise ControlError(msg) from None
    try:
        response = decode_response(line)
    except DecodeError as exc:
        raise ControlError(f"bad answer from lanctl at {path}: {exc}") from None
    if not response.ok:
        raise ControlError(response.error or "unknown error")
    return response.result


def _print_table(command: str, result: JsonValue) -> None:
    from lanctl.diag import render_cache

    if command == "stats":
        render_cache.print_stats(result)
    elif command == "cache.dump":
        render_cache.print_cache_dump(result)
    elif command == "cache.clear":
        render_cache.print_cleared(result)
    else:
        render_cache.print_result(result)


def run_command(
    command: str,
    conf_file: Sequence[str] | None,
    extra_argv: Sequence[str],
    sock_path: str | None,
    json_out: bool,
) -> None:
    """`lanctl cache ...`: ask the running server and print its answer."""
    path = resolve_socket_path(conf_file, extra_argv, sock_path)
    result = request(path, command)
    if json_out or not sys.stdout.isatty():
        sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    else:
        _print_table(command, result)
