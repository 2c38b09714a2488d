"""resolv.conf parsing and change detection."""

from __future__ import annotations

import os
from pathlib import Path

from lanctl.dns.resolvconf import ResolvWatch, parse_resolv, read_servers, stat_files
from lanctl.dns.upstreams import Upstream

TEXT = """\
# comment
search example
nameserver 198.51.100.53
nameserver 2001:db8::53 ; trailing comment
nameserver fe80::1%eth0
nameserver not-an-address
nameserver 198.51.100.53
nameserver
options ndots:2
"""


def test_parse_nameservers_in_order_without_duplicates() -> None:
    assert parse_resolv(TEXT) == [
        Upstream("198.51.100.53"),
        Upstream("2001:db8::53"),
        Upstream("fe80::1%eth0"),
    ]


def test_several_files_and_missing_ones(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("nameserver 198.51.100.53\n")
    b.write_text("nameserver 198.51.100.54\nnameserver 198.51.100.53\n")
    got = read_servers([str(a), str(tmp_path / "missing"), str(b)])
    assert got == [Upstream("198.51.100.53"), Upstream("198.51.100.54")]


def test_watch_sees_change_appearance_and_removal(tmp_path: Path) -> None:
    path = tmp_path / "resolv.conf"
    paths = [str(path)]
    watch = ResolvWatch(paths, stat_files(paths))
    assert not watch.changed(stat_files(paths))
    path.write_text("nameserver 198.51.100.53\n")
    assert watch.changed(stat_files(paths))
    assert not watch.changed(stat_files(paths))
    st = path.stat()
    path.write_text("nameserver 198.51.100.54\n")  # same size: the mtime tells
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert watch.changed(stat_files(paths))
    path.unlink()
    assert watch.changed(stat_files(paths))
