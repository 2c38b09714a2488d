"""Where a TFTP read request may read from: traversal-safe name resolution (RELIABILITY §3c).

Implements --tftp-root (global and per-interface), --tftp-unique-root[=ip|mac],
--tftp-lowercase and --tftp-secure.  Rules, in order: NUL bytes and over-long names are
refused; `\\` becomes `/` (dnsmasq always does this); with --tftp-lowercase the name is
lowercased; any `..` component is refused (dnsmasq: "cannot access ...: Permission
denied"); an absolute name is used as is when it lies inside the root, otherwise it is
taken relative to the root (as dnsmasq does); the real path (symlinks resolved) must stay
inside the real root; then the file must be a regular file, world-readable when running
as root, owned by the effective user with --tftp-secure otherwise.  The filesystem is a
port (`FileSystem`), so this module stays pure.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from dataclasses import dataclass
from typing import Final, Protocol

from lanctl.tftp.wire import ErrorCode

MAX_NAME: Final = 1024  # bytes; longer names are refused (dnsmasq's buffer is PATH_MAX)


class FileSystem(Protocol):
    """What path resolution needs from the OS (server.py passes the real one)."""

    def realpath(self, path: str) -> str: ...

    def stat(self, path: str) -> os.stat_result:
        """os.stat (follows symlinks); raises OSError."""
        ...

    def isdir(self, path: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class PathPolicy:
    """The path options of TftpCfg, with the effective uid the checks compare against."""

    root: str  # the root chosen for the request's interface ("/" without --tftp-root)
    unique_root: str | None = None  # "ip" / "mac"
    lowercase: bool = False
    secure: bool = False
    euid: int = 0


@dataclass(frozen=True, slots=True)
class Resolved:
    """A file that may be sent; `identity` (st_dev, st_ino) lets the opener detect a swap."""

    path: str
    size: int
    identity: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Refusal:
    """An ERROR to send and the line to log (`not_found` lines are muted by --quiet-tftp)."""

    code: ErrorCode
    message: str
    not_found: bool = False


def choose_root(roots: tuple[object, ...], interface: str | None) -> str | None:
    """--tftp-root=<dir>,<interface> wins for its interface; else the global root."""
    fallback: str | None = None
    for root in roots:
        path, iface = getattr(root, "path", None), getattr(root, "interface", None)
        if not isinstance(path, str):
            continue
        if iface is None:
            fallback = fallback if fallback is not None else path
        elif interface is not None and iface == interface:
            return path
    return fallback


def mac_dir(mac: str) -> str:
    """dnsmasq's MAC directory form: lowercase, zero-padded, dash-separated."""
    return "-".join(f"{int(part, 16):02x}" for part in mac.replace("-", ":").split(":"))


def _inside(path: str, root: str) -> bool:
    return root == "/" or path == root or path.startswith(root.rstrip("/") + "/")


def _access_denied(path: str) -> Refusal:
    return Refusal(ErrorCode.ACCESS_VIOLATION, f"cannot access {path}: Permission denied")


def _clean(name: str) -> str | Refusal:
    if "\0" in name:
        return Refusal(ErrorCode.ACCESS_VIOLATION, "file name contains a NUL byte")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME:
        return Refusal(ErrorCode.ACCESS_VIOLATION, "file name too long")
    return name.replace("\\", "/")


def resolve(
    name: str,
    policy: PathPolicy,
    fs: FileSystem,
    *,
    client_ip: str,
    client_mac: str | None = None,
) -> Resolved | Refusal:
    """Map a requested name to a readable regular file under the root, or refuse."""
    cleaned = _clean(name)
    if isinstance(cleaned, Refusal):
        return cleaned
    if policy.lowercase:
        cleaned = cleaned.lower()
    root = policy.root.rstrip("/") or "/"
    shown = posixpath.join(root, cleaned.lstrip("/"))  # what log lines name, as dnsmasq
    if ".." in cleaned.split("/"):
        return _access_denied(shown)
    if cleaned.startswith("/") and _inside(cleaned, root):
        relative = cleaned[len(root) :].lstrip("/") if root != "/" else cleaned.lstrip("/")
    else:
        relative = cleaned.lstrip("/")
    if not relative:
        return Refusal(ErrorCode.NOT_DEFINED, f"cannot read {root}: Is a directory")
    base = root
    if policy.unique_root is not None:
        leaf = client_ip if policy.unique_root == "ip" else client_mac
        if leaf and fs.isdir(candidate := posixpath.join(root, leaf)):
            base = candidate  # dnsmasq: used only if that directory exists
    path = posixpath.join(base, relative)
    if relative.endswith("/"):
        return Refusal(ErrorCode.FILE_NOT_FOUND, f"file {path} not found for {client_ip}", True)
    # Symlinks may point anywhere inside the root, never outside it (dnsmasq follows them).
    real_root = fs.realpath(root)
    real = fs.realpath(path)
    if not _inside(real, real_root):
        return _access_denied(path)
    return _check_file(path, policy, fs, client_ip)


def _check_file(
    path: str, policy: PathPolicy, fs: FileSystem, client_ip: str
) -> Resolved | Refusal:
    try:
        st = fs.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return Refusal(ErrorCode.FILE_NOT_FOUND, f"file {path} not found for {client_ip}", True)
        if exc.errno == errno.EACCES:
            return _access_denied(path)
        return Refusal(ErrorCode.NOT_DEFINED, f"cannot read {path}: {exc.strerror}")
    if stat.S_ISDIR(st.st_mode):
        return Refusal(ErrorCode.NOT_DEFINED, f"cannot read {path}: Is a directory")
    if not stat.S_ISREG(st.st_mode):
        return _access_denied(path)
    # dnsmasq: as root only world-readable files; --tftp-secure: only the euid's own files.
    if policy.euid == 0:
        if not st.st_mode & stat.S_IROTH:
            return _access_denied(path)
    elif policy.secure and st.st_uid != policy.euid:
        return _access_denied(path)
    return Resolved(path, st.st_size, (st.st_dev, st.st_ino))
