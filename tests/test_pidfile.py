"""The pid file: atomic write, careful removal, dnsmasq's exit 3 on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lanctl.errors import FileSystemError
from lanctl.pidfile import read_pid_file, remove_pid_file, write_pid_file


def test_written_with_a_newline_mode_0644_and_no_leftovers(tmp_path: Path) -> None:
    path = tmp_path / "lanctl.pid"
    write_pid_file(str(path))
    assert path.read_text() == f"{os.getpid()}\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lanctl.pid"]


def test_overwrites_an_old_pid(tmp_path: Path) -> None:
    path = tmp_path / "lanctl.pid"
    path.write_text("99999999\n")
    write_pid_file(str(path), pid=1234)
    assert read_pid_file(str(path)) == 1234


def test_unwritable_is_exit_3_in_dnsmasq_words(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "lanctl.pid"
    with pytest.raises(FileSystemError) as info:
        write_pid_file(str(path))
    assert info.value.exit_code == 3
    assert str(info.value) == f"failed to open pidfile {path}: No such file or directory"


def test_removed_only_while_it_holds_our_pid(tmp_path: Path) -> None:
    path = tmp_path / "lanctl.pid"
    write_pid_file(str(path), pid=4321)
    assert remove_pid_file(str(path), pid=1234) is False
    assert path.exists()  # a newer instance's pid file survives our exit
    assert remove_pid_file(str(path), pid=4321) is True
    assert not path.exists()
    assert remove_pid_file(str(path), pid=4321) is False  # already gone: no error


@pytest.mark.parametrize("content", ["", "abc\n", "-5\n", "12 34\n"])
def test_garbage_reads_as_none(tmp_path: Path, content: str) -> None:
    path = tmp_path / "lanctl.pid"
    path.write_text(content)
    assert read_pid_file(str(path)) is None
