"""The control socket server: a trio Unix stream socket answering JSON-line commands.

Commands: ``ping``, ``stats`` (every running service's `stats()`), ``cache.dump`` and
``cache.clear`` (delegated to the "dns" service handle's `control()`), ``leases.list``
(delegated to the DHCP handles) and ``reload`` (the same as SIGHUP).  A command for a
service that is not running answers ``{"ok": false, "error": "dns not running"}``.
The socket is created mode 0660 before privileges are dropped; a stale socket file left
by a dead process is removed at start only if nothing answers on it.  This is a lanctl
extension (`--control-socket`): dnsmasq has no control channel.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import trio

from lanctl import __version__
from lanctl.control.protocol import (
    MAX_REQUEST_BYTES,
    Request,
    Response,
    decode_request,
    encode_response,
    fail,
    ok,
)
from lanctl.errors import DecodeError, FileSystemError, NetworkError
from lanctl.service import JsonValue, ServiceHandle

log = logging.getLogger("lanctl.control")

SOCKET_MODE: Final = 0o660
MAX_CLIENTS: Final = 32  # concurrent connections; further clients wait in the backlog
IDLE_TIMEOUT: Final = 30.0  # seconds a connection may sit without sending a full request
STALE_PROBE_TIMEOUT: Final = 1.0
DRAIN_TIMEOUT: Final = 1.0  # after refusing an oversized request
DRAIN_BYTES: Final = 1024 * 1024

COMMANDS: Final = ("ping", "stats", "cache.dump", "cache.clear", "leases.list", "reload")

# Which running service answers a delegated command, and how "not running" is spelled.
DELEGATED: Final[Mapping[str, tuple[str, tuple[str, ...]]]] = {
    "cache.dump": ("dns", ("dns",)),
    "cache.clear": ("dns", ("dns",)),
    "leases.list": ("dhcp", ("dhcp4", "dhcp6")),
}


class Dispatcher:
    """Turns one request into one response using the running services' handles."""

    def __init__(
        self, handles: Mapping[str, ServiceHandle], reload: Callable[[], JsonValue]
    ) -> None:
        self._handles = handles
        self._reload = reload

    def dispatch(self, request: Request) -> Response:
        """Answer a decoded request (service errors become error responses)."""
        cmd = request.cmd
        if cmd == "ping":
            info = {"version": __version__, "pid": os.getpid(), "services": list(self._handles)}
            return ok({"pong": True, **info})
        if cmd == "stats":
            return ok({name: handle.stats() for name, handle in self._handles.items()})
        if cmd == "reload":
            return ok(self._reload())
        if cmd in DELEGATED:
            return self._delegate(cmd, request.args)
        return fail(f"unknown command {cmd!r} (known: {', '.join(COMMANDS)})")

    def _delegate(self, cmd: str, args: dict[str, JsonValue]) -> Response:
        label, names = DELEGATED[cmd]
        running = [name for name in names if name in self._handles]
        if not running:
            return fail(f"{label} not running")
        results: dict[str, JsonValue] = {}
        for name in running:
            try:
                results[name] = self._handles[name].control(cmd, args)
            except KeyError:
                return fail(f"{cmd}: not implemented yet by the {name} service")
        if len(running) == 1 and label == running[0]:
            return ok(results[running[0]])
        return ok(results)

    def answer(self, line: bytes) -> bytes:
        """One request line in, one response line out.  Never raises."""
        try:
            request = decode_request(line)
        except DecodeError as exc:
            return encode_response(fail(f"bad request: {exc}"))
        try:
            response = self.dispatch(request)
            return encode_response(response)
        except Exception as exc:
            # Per-request boundary (convention 4): a bug in one service's control code
            # must not take the control socket, or the server, down.
            log.exception("control command %s failed", request.cmd)
            return encode_response(fail(f"internal error in {request.cmd}: {exc}"))


@dataclass(frozen=True, slots=True)
class ControlSocket:
    """A bound, listening control socket and the file identity needed to remove it safely."""

    path: str
    listener: trio.SocketListener
    dev: int
    ino: int

    def remove(self) -> None:
        """Close the listener and unlink the socket file unless a newer instance owns it.

        The inode check alone is not enough (tmpfs reuses inode numbers at once), so a
        file that some live process answers on is left alone as well.
        """
        self.listener.socket.close()
        try:
            st = os.lstat(self.path)
            if (st.st_dev, st.st_ino) == (self.dev, self.ino) and not _answers_now(self.path):
                os.unlink(self.path)
        except OSError as exc:
            # After the privilege drop /run is usually not writable any more; the next
            # start removes the stale socket (nothing answers on it).
            log.debug("cannot remove control socket %s: %s", self.path, exc)


def _answers_now(path: str) -> bool:
    """Blocking twin of `_answers` for shutdown, when no checkpoint is wanted."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(STALE_PROBE_TIMEOUT)
        try:
            probe.connect(path)
        except TimeoutError:
            return True
        except OSError:
            return False
        return True


async def _answers(path: str) -> bool:
    """True if something accepts connections on the Unix socket at `path`."""
    probe = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with probe:
        with trio.move_on_after(STALE_PROBE_TIMEOUT):
            try:
                await probe.connect(path)
            except OSError:
                return False
            return True
    return True  # connect hung: a live but busy listener


async def _clear_stale(path: str) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise FileSystemError(f"cannot create control socket {path}: {exc.strerror}") from None
    if not stat.S_ISSOCK(st.st_mode):
        raise FileSystemError(f"cannot create control socket {path}: exists and is not a socket")
    if await _answers(path):
        raise NetworkError(f"control socket {path} is in use by another running lanctl")
    log.debug("removing stale control socket %s", path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        msg = f"cannot remove stale control socket {path}: {exc.strerror}"
        raise FileSystemError(msg) from None


async def open_control_socket(path: str, owner: tuple[int, int] | None = None) -> ControlSocket:
    """Bind and listen on `path` (mode 0660, optionally chowned to `owner` uid/gid).

    Raises FileSystemError (exit 3) when the file cannot be created and NetworkError
    (exit 2) when another live process already answers on it.
    """
    await _clear_stale(path)
    sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        await sock.bind(path)
        # Mode before listen(): connecting needs write permission, so nobody else can
        # get in during the window between bind and chmod (no listen yet anyway).
        os.chmod(path, SOCKET_MODE)
        if owner is not None:
            os.chown(path, owner[0], owner[1])
        sock.listen(MAX_CLIENTS)
        st = os.lstat(path)
    except OSError as exc:
        sock.close()
        raise FileSystemError(
            f"cannot create control socket {path}: {exc.strerror or exc}"
        ) from None
    return ControlSocket(path, trio.SocketListener(sock), st.st_dev, st.st_ino)


async def _read_line(stream: trio.SocketStream, buf: bytearray) -> bytes | None:
    """The next request line (without newline), or None at end of stream."""
    while True:
        idx = buf.find(b"\n")
        if idx >= 0:
            line = bytes(buf[:idx])
            del buf[: idx + 1]
            return line
        if len(buf) > MAX_REQUEST_BYTES:
            raise DecodeError(f"request longer than {MAX_REQUEST_BYTES} bytes")
        data = await stream.receive_some(65536)
        if not data:
            if buf.strip():
                line = bytes(buf)  # last request without its newline: answer it anyway
                buf.clear()
                return line
            return None
        buf += data


async def _drain(stream: trio.SocketStream) -> None:
    """Discard what the client is still sending (bounded), so closing does not reset the
    connection before it has read our error answer."""
    received = 0
    with trio.move_on_after(DRAIN_TIMEOUT):
        while received < DRAIN_BYTES:
            data = await stream.receive_some(65536)
            if not data:
                return
            received += len(data)


async def _serve_connection(
    stream: trio.SocketStream, dispatcher: Dispatcher, slots: trio.Semaphore
) -> None:
    buf = bytearray()
    try:
        async with stream:
            while True:
                line: bytes | None = None
                with trio.move_on_after(IDLE_TIMEOUT):
                    try:
                        line = await _read_line(stream, buf)
                    except DecodeError as exc:
                        await stream.send_all(encode_response(fail(f"bad request: {exc}")))
                        await _drain(stream)
                        return
                if line is None:
                    return
                await stream.send_all(dispatcher.answer(line))
    except (trio.BrokenResourceError, trio.ClosedResourceError) as exc:
        log.debug("control client went away: %s", exc)
    finally:
        slots.release()


_ACCEPT_RESOURCE_ERRNOS: Final = frozenset(
    {errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.ENOBUFS}
)


async def serve_control(
    control: ControlSocket,
    dispatcher: Dispatcher,
    *,
    task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED,
) -> None:
    """Accept clients until cancelled; each connection is served in its own task."""
    slots = trio.Semaphore(MAX_CLIENTS)
    async with control.listener, trio.open_nursery() as nursery:
        task_status.started()
        while True:
            await slots.acquire()
            try:
                stream = await control.listener.accept()
            except OSError as exc:
                slots.release()
                if exc.errno not in _ACCEPT_RESOURCE_ERRNOS:
                    raise
                log.warning("control socket: accept failed: %s", exc.strerror)
                await trio.sleep(0.1)
                continue
            except BaseException:
                slots.release()
                raise
            nursery.start_soon(_serve_connection, stream, dispatcher, slots)
