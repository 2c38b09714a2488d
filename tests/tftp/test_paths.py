"""Path resolution table: every traversal of RELIABILITY §3c, roots, unique roots, permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lanctl.config.grammar.dhcp_net import TftpRoot
from lanctl.tftp.files import OsFileSystem
from lanctl.tftp.paths import PathPolicy, Refusal, Resolved, choose_root, mac_dir, resolve
from lanctl.tftp.wire import ErrorCode

FS = OsFileSystem()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    (base / "sub").mkdir(parents=True)
    (base / "a").mkdir()
    for name in ("file", "sub/inner", "MixedCase", "mixedcase"):
        (base / name).write_bytes(name.encode())
        (base / name).chmod(0o644)
    (tmp_path / "outside").write_bytes(b"secret")
    (tmp_path / "outside").chmod(0o644)
    (base / "escape").symlink_to(tmp_path / "outside")
    (base / "inlink").symlink_to(base / "sub" / "inner")
    (base / "secret600").write_bytes(b"x")
    (base / "secret600").chmod(0o600)
    return base


def run(
    root: Path,
    name: str,
    *,
    euid: int = 0,
    unique_root: str | None = None,
    lowercase: bool = False,
    secure: bool = False,
) -> Resolved | Refusal:
    policy = PathPolicy(str(root), unique_root, lowercase, secure, euid)
    return resolve(name, policy, FS, client_ip="192.0.2.2", client_mac="02-00-00-00-01-02")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("../../etc/passwd", ErrorCode.ACCESS_VIOLATION),
        ("..\\..\\etc\\passwd", ErrorCode.ACCESS_VIOLATION),
        ("a/../../x", ErrorCode.ACCESS_VIOLATION),
        ("a/../file", ErrorCode.ACCESS_VIOLATION),  # any '..' component, as dnsmasq
        ("sub\\..\\..\\outside", ErrorCode.ACCESS_VIOLATION),
        ("..", ErrorCode.ACCESS_VIOLATION),
        ("file\0../../etc/passwd", ErrorCode.ACCESS_VIOLATION),
        ("x" * 2000, ErrorCode.ACCESS_VIOLATION),
        ("escape", ErrorCode.ACCESS_VIOLATION),  # symlink out of the root
        ("secret600", ErrorCode.ACCESS_VIOLATION),  # not world-readable while root
        ("/etc/passwd", ErrorCode.FILE_NOT_FOUND),  # taken relative to the root
        ("%2e%2e/%2e%2e/etc/passwd", ErrorCode.FILE_NOT_FOUND),  # no URL decoding
        ("missing", ErrorCode.FILE_NOT_FOUND),
        ("sub/", ErrorCode.FILE_NOT_FOUND),
        ("sub", ErrorCode.NOT_DEFINED),  # a directory: "cannot read ...: Is a directory"
        (".", ErrorCode.NOT_DEFINED),
    ],
)
def test_refusals(root: Path, name: str, code: ErrorCode) -> None:
    got = run(root, name)
    assert isinstance(got, Refusal) and got.code == code, got


def test_refusal_messages_are_dnsmasqs(root: Path) -> None:
    assert run(root, "../x") == Refusal(
        ErrorCode.ACCESS_VIOLATION, f"cannot access {root}/../x: Permission denied"
    )
    assert run(root, "missing") == Refusal(
        ErrorCode.FILE_NOT_FOUND, f"file {root}/missing not found for 192.0.2.2", True
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("file", "file"),
        ("sub/inner", "sub/inner"),
        ("sub\\inner", "sub/inner"),  # backslashes become slashes
        ("/sub/inner", "sub/inner"),
        ("inlink", "inlink"),  # a symlink that stays inside is followed
        ("sub//inner", "sub/inner"),
    ],
)
def test_served_names(root: Path, name: str, expected: str) -> None:
    got = run(root, name)
    assert isinstance(got, Resolved), got
    assert os.path.realpath(got.path) == os.path.realpath(root / expected)
    assert got.size == os.path.getsize(root / expected)


def test_absolute_name_inside_the_root_is_used_as_is(root: Path) -> None:
    got = run(root, f"{root}/sub/inner")
    assert isinstance(got, Resolved) and got.path == f"{root}/sub/inner"


def test_lowercase(root: Path) -> None:
    got = run(root, "MIXEDCASE", lowercase=True)
    assert isinstance(got, Resolved) and got.path.endswith("/mixedcase")
    got = run(root, "MIXEDCASE")
    assert isinstance(got, Refusal) and got.code == ErrorCode.FILE_NOT_FOUND


def test_secure_mode_as_non_root_serves_only_own_files(root: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to chown the test file")
    os.chown(root / "file", 4242, -1)
    assert isinstance(run(root, "file", secure=True, euid=4242), Resolved)
    assert isinstance(run(root, "file", secure=True, euid=4243), Refusal)
    # Without --tftp-secure, a non-root process serves what it can read.
    assert isinstance(run(root, "file", euid=4243), Resolved)


def test_unique_root_ip_and_mac(root: Path) -> None:
    (root / "192.0.2.2").mkdir()
    (root / "192.0.2.2" / "file").write_bytes(b"per-ip")
    (root / "192.0.2.2" / "file").chmod(0o644)
    got = run(root, "file", unique_root="ip")
    assert isinstance(got, Resolved) and got.path == f"{root}/192.0.2.2/file"
    got = run(root, "file", unique_root="mac")  # no MAC directory: the root itself
    assert isinstance(got, Resolved) and got.path == f"{root}/file"
    (root / "02-00-00-00-01-02").mkdir()
    got = run(root, "file", unique_root="mac")
    assert isinstance(got, Refusal) and got.code == ErrorCode.FILE_NOT_FOUND


def test_mac_dir_format() -> None:
    assert mac_dir("1:2:3:4:AA:bb") == "01-02-03-04-aa-bb"


def test_choose_root_prefers_the_interface_root() -> None:
    roots = (TftpRoot("/global"), TftpRoot("/eth1", "eth1"))
    assert choose_root(roots, "eth1") == "/eth1"
    assert choose_root(roots, "eth0") == "/global"
    assert choose_root((TftpRoot("/eth1", "eth1"),), "eth0") is None
    assert choose_root((), None) is None
