"""Control socket: dispatcher answers, the trio server on a real Unix socket, the client.

Server tests bind a socket in a short temporary directory (Unix socket paths are limited
to 108 bytes) and talk to it with the blocking client or raw sockets.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trio

from lanctl import __version__
from lanctl.config.model import Config, CoreCfg
from lanctl.control import client
from lanctl.control.protocol import Request, encode_request
from lanctl.control.server import (
    MAX_CLIENTS,
    Dispatcher,
    open_control_socket,
    serve_control,
)
from lanctl.diag import render_cache
from lanctl.errors import ControlError, FileSystemError, NetworkError
from lanctl.service import ServiceHandle


class Handle:
    """A minimal ServiceHandle with a pretend cache."""

    def __init__(self, name: str = "dns", known: tuple[str, ...] = ("cache.dump", "cache.clear")):
        self.name = name
        self.known = known
        self.reloads = 0
        self.entries: list[dict[str, Any]] = [{"name": "a.example", "type": "A", "ttl": 5}]

    def stats(self) -> dict[str, Any]:
        return {"hits": 3, "misses": 1, "servers": [{"address": "192.0.2.1#53", "queries": 4}]}

    def reload(self) -> None:
        self.reloads += 1

    def control(self, command: str, args: dict[str, Any]) -> Any:
        if command not in self.known:
            raise KeyError(command)
        if command == "cache.dump":
            if args.get("explode"):
                raise RuntimeError("kaboom")
            if args.get("unserialisable"):
                return {1, 2}
            return list(self.entries)
        self.entries.clear()
        return {"removed": 1}

    def log_stats(self) -> list[str]:
        return []


def _dispatcher(**handles: ServiceHandle) -> Dispatcher:
    def reload() -> Any:
        for handle in handles.values():
            handle.reload()
        return {"reloaded": list(handles)}

    return Dispatcher(handles, reload)


# --- dispatcher -----------------------------------------------------------------------------


def test_ping_names_version_pid_and_services() -> None:
    response = _dispatcher(dns=Handle()).dispatch(Request("ping"))
    assert response.ok
    assert response.result == {
        "pong": True,
        "version": __version__,
        "pid": os.getpid(),
        "services": ["dns"],
    }


def test_stats_collects_every_service() -> None:
    response = _dispatcher(dns=Handle(), tftp=Handle("tftp")).dispatch(Request("stats"))
    assert set(response.result) == {"dns", "tftp"}
    assert response.result["dns"]["hits"] == 3


def test_cache_commands_go_to_the_dns_handle() -> None:
    dns = Handle()
    d = _dispatcher(dns=dns)
    assert d.dispatch(Request("cache.dump")).result == [
        {"name": "a.example", "type": "A", "ttl": 5}
    ]
    assert d.dispatch(Request("cache.clear")).result == {"removed": 1}
    assert dns.entries == []


@pytest.mark.parametrize(
    ("cmd", "error"),
    [
        ("cache.dump", "dns not running"),
        ("cache.clear", "dns not running"),
        ("leases.list", "dhcp not running"),
    ],
)
def test_a_service_that_is_not_running_answers_not_running(cmd: str, error: str) -> None:
    response = _dispatcher(tftp=Handle("tftp")).dispatch(Request(cmd))
    assert (response.ok, response.error) == (False, error)


def test_a_command_the_service_does_not_know_says_not_implemented() -> None:
    response = _dispatcher(dhcp4=Handle("dhcp4")).dispatch(Request("leases.list"))
    assert response.error == "leases.list: not implemented yet by the dhcp4 service"


def test_unknown_command_is_an_error_listing_known_ones() -> None:
    response = _dispatcher(dns=Handle()).dispatch(Request("frob"))
    assert not response.ok
    assert response.error is not None
    assert response.error.startswith("unknown command 'frob' (known: ping, stats,")


def test_reload_is_the_sighup_callback() -> None:
    dns = Handle()
    assert _dispatcher(dns=dns).dispatch(Request("reload")).result == {"reloaded": ["dns"]}
    assert dns.reloads == 1


def test_answer_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    d = _dispatcher(dns=Handle())
    assert json.loads(d.answer(b"not json"))["error"].startswith("bad request: not JSON")
    boom = json.loads(d.answer(encode_request(Request("cache.dump", {"explode": True}))))
    assert boom == {"ok": False, "error": "internal error in cache.dump: kaboom"}
    assert "control command cache.dump failed" in caplog.text
    odd = json.loads(d.answer(encode_request(Request("cache.dump", {"unserialisable": True}))))
    assert odd["ok"] is False and odd["error"].startswith("internal error in cache.dump")


# --- server on a real socket ----------------------------------------------------------------


@pytest.fixture
def short_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="lanctl-", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _with_server(path: Path, dispatcher: Dispatcher, body: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        control = await open_control_socket(str(path))
        async with trio.open_nursery() as nursery:
            await nursery.start(serve_control, control, dispatcher)
            with trio.fail_after(30):
                await body()
            nursery.cancel_scope.cancel()
        control.remove()

    trio.run(main)


def _raw_exchange(path: Path, payload: bytes, lines: int) -> list[dict[str, Any]]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(str(path))
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
        except BrokenPipeError:
            pass  # the server may close early (oversized request) and still answer
        buf = b""
        while buf.count(b"\n") < lines:
            data = s.recv(65536)
            if not data:
                break
            buf += data
    return [json.loads(line) for line in buf.splitlines()]


def test_socket_is_mode_0660_and_removed(short_dir: Path) -> None:
    path = short_dir / "c.sock"
    seen: dict[str, int] = {}

    async def body() -> None:
        seen["mode"] = stat.S_IMODE(os.stat(path).st_mode)
        seen["is_sock"] = stat.S_ISSOCK(os.stat(path).st_mode)

    _with_server(path, _dispatcher(dns=Handle()), body)
    assert seen == {"mode": 0o660, "is_sock": True}
    assert not path.exists()


def test_concurrent_clients_are_all_answered(short_dir: Path) -> None:
    path = short_dir / "c.sock"
    n = MAX_CLIENTS - 2
    answers: list[Any] = []

    async def body() -> None:
        # Every client connects first, then they ask in reverse order: one idle
        # connection must not hold up the others.
        conns = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(n)]
        try:
            for conn in conns:
                conn.settimeout(10)
                conn.connect(str(path))

            def ask(conn: socket.socket, i: int) -> None:
                conn.sendall(encode_request(Request("ping", {"i": i})))
                answers.append(json.loads(conn.makefile("rb").readline()))

            async with trio.open_nursery() as nursery:
                for i, conn in reversed(list(enumerate(conns))):
                    nursery.start_soon(trio.to_thread.run_sync, ask, conn, i)
        finally:
            for conn in conns:
                conn.close()
        results = await trio.to_thread.run_sync(
            lambda: [client.request(str(path), "stats") for _ in range(5)]
        )
        assert all(r["dns"]["hits"] == 3 for r in results)

    _with_server(path, _dispatcher(dns=Handle()), body)
    assert len(answers) == n
    assert all(a["ok"] and a["result"]["pong"] for a in answers)


def test_pipelined_requests_are_answered_in_order(short_dir: Path) -> None:
    path = short_dir / "c.sock"
    got: list[list[dict[str, Any]]] = []
    payload = b'{"cmd": "frob"}\nnonsense\n{"cmd": "cache.dump"}\n{"cmd": "ping"}'

    async def body() -> None:
        got.append(await trio.to_thread.run_sync(_raw_exchange, path, payload, 4))

    _with_server(path, _dispatcher(dns=Handle()), body)
    first, second, third, fourth = got[0]
    assert first["ok"] is False and first["error"].startswith("unknown command 'frob'")
    assert second["ok"] is False and second["error"].startswith("bad request: not JSON")
    assert third == {"ok": True, "result": [{"name": "a.example", "type": "A", "ttl": 5}]}
    assert fourth["result"]["pong"] is True  # last request without a newline, then EOF


def test_oversized_request_gets_an_error_and_the_connection_closes(short_dir: Path) -> None:
    path = short_dir / "c.sock"
    got: list[list[dict[str, Any]]] = []

    async def body() -> None:
        payload = b"x" * (200 * 1024)
        got.append(await trio.to_thread.run_sync(_raw_exchange, path, payload, 2))

    _with_server(path, _dispatcher(dns=Handle()), body)
    assert len(got[0]) == 1
    assert got[0][0]["error"].startswith("bad request: request longer than")


def test_stale_socket_is_removed_but_a_live_one_is_refused(short_dir: Path) -> None:
    path = short_dir / "c.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(path))
    stale.close()
    errors: list[BaseException] = []

    async def body() -> None:
        try:
            await open_control_socket(str(path))
        except NetworkError as exc:
            errors.append(exc)

    _with_server(path, _dispatcher(dns=Handle()), body)
    assert len(errors) == 1
    assert str(errors[0]) == f"control socket {path} is in use by another running lanctl"
    assert errors[0].exit_code == 2  # type: ignore[attr-defined]


def test_a_regular_file_in_the_way_is_not_deleted(short_dir: Path) -> None:
    path = short_dir / "c.sock"
    path.write_text("precious")

    async def main() -> None:
        await open_control_socket(str(path))

    with pytest.raises(FileSystemError, match="exists and is not a socket"):
        trio.run(main)
    assert path.read_text() == "precious"


def test_missing_directory_is_a_filesystem_error(short_dir: Path) -> None:
    async def main() -> None:
        await open_control_socket(str(short_dir / "nope" / "c.sock"))

    with pytest.raises(FileSystemError) as info:
        trio.run(main)
    assert info.value.exit_code == 3
    assert "No such file or directory" in str(info.value)


def test_remove_leaves_a_socket_that_replaced_ours(short_dir: Path) -> None:
    path = short_dir / "c.sock"

    async def main() -> None:
        control = await open_control_socket(str(path))
        os.unlink(path)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as newer:
            newer.bind(str(path))
            newer.listen(1)
            control.remove()

    trio.run(main)
    assert path.exists()


# --- client ---------------------------------------------------------------------------------


def test_missing_socket_is_control_error_exit_5(short_dir: Path) -> None:
    path = short_dir / "none.sock"
    with pytest.raises(ControlError) as info:
        client.request(str(path), "ping")
    assert info.value.exit_code == 5
    assert str(info.value) == (
        f"cannot reach lanctl at {path}: No such file or directory (is it running?)"
    )


def test_refused_socket_says_so(short_dir: Path) -> None:
    path = short_dir / "dead.sock"
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()
    with pytest.raises(ControlError, match=r"Connection refused \(is it running\?\)"):
        client.request(str(path), "ping")


def _one_shot_server(path: Path, reply: bytes) -> threading.Thread:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.makefile("rb").readline()
                conn.sendall(reply)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (b'{"ok": false, "error": "dns not running"}\n', "dns not running"),
        (b"garbage\n", "bad answer from lanctl at"),
        (b"", "closed the connection without answering"),
    ],
)
def test_client_reports_error_answers(short_dir: Path, reply: bytes, message: str) -> None:
    path = short_dir / "c.sock"
    thread = _one_shot_server(path, reply)
    with pytest.raises(ControlError, match=message):
        client.request(str(path), "cache.dump")
    thread.join(10)


def test_explicit_socket_skips_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    import lanctl.config

    def boom(argv: Any) -> Config:
        raise AssertionError("config must not be loaded")

    monkeypatch.setattr(lanctl.config, "load", boom)
    assert client.resolve_socket_path(["/nonexistent.conf"], [], "/x/c.sock") == "/x/c.sock"


def test_socket_path_comes_from_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    import lanctl.config

    seen: list[list[str]] = []

    def load(argv: list[str]) -> Config:
        seen.append(argv)
        return Config(core=CoreCfg(pid_file="/srv/run/lan.pid"))

    monkeypatch.setattr(lanctl.config, "load", load)
    assert client.resolve_socket_path(["a.conf"], ["-x", "/srv/run/lan.pid"], None) == (
        "/srv/run/lan.sock"
    )
    assert seen == [["--conf-file=a.conf", "-x", "/srv/run/lan.pid"]]


def test_run_command_prints_json_when_piped(
    short_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = short_dir / "c.sock"
    thread = _one_shot_server(path, b'{"ok": true, "result": {"dns": {"hits": 2}}}\n')
    client.run_command("stats", None, [], str(path), json_out=False)
    thread.join(10)
    assert json.loads(capsys.readouterr().out) == {"dns": {"hits": 2}}


def test_cli_missing_socket_exits_5_with_one_line(short_dir: Path) -> None:
    path = short_dir / "none.sock"
    result = subprocess.run(
        [sys.executable, "-m", "lanctl", "cache", "stats", "--control-socket", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 5
    assert result.stdout == ""
    assert result.stderr == (
        f"lanctl: cannot reach lanctl at {path}: No such file or directory (is it running?)\n"
    )


# --- terminal rendering ---------------------------------------------------------------------


def _render(fn: Callable[..., None], result: Any) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, record=True, color_system=None)
    fn(result, console)
    return console.export_text()


def test_stats_table_has_one_row_per_counter_and_a_table_per_list() -> None:
    text = _render(render_cache.print_stats, {"dns": Handle().stats()})
    assert "hits" in text and "3" in text
    assert "dns: servers" in text and "192.0.2.1#53" in text


def test_cache_dump_table_has_a_column_per_field() -> None:
    entries = [{"name": "a.example", "type": "A", "ttl": 5}, {"name": "b.example", "flags": "H"}]
    text = _render(render_cache.print_cache_dump, entries)
    header = next(line for line in text.splitlines() if "name" in line)
    assert [w for w in header.replace("┃", " ").replace("│", " ").split()] == [
        "name",
        "type",
        "ttl",
        "flags",
    ]
    assert "cache: 2 entries" in text
    assert "b.example" in text
    assert _render(render_cache.print_cache_dump, []).strip() == "cache is empty"


def test_cleared_message() -> None:
    assert _render(render_cache.print_cleared, {"cleared": 4}).strip() == (
        "cache cleared: 4 entries removed"
    )
    assert _render(render_cache.print_cleared, {"a": 1, "b": {"c": 2}}).strip() == (
        "cache cleared: a 1, b.c 2"
    )
