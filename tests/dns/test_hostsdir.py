"""lanctl.dns.hostsdir: --hostsdir files read, re-read when changed, forgotten when deleted;
and the same changes seen by a running server and by real dnsmasq (inotify) on loopback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import trio

from lanctl.config.grammar import domain_spec
from lanctl.config.model import DnsCfg
from lanctl.dns.hostsdir import HostsDirs
from lanctl.dns.local import build_local
from lanctl.dns.server import DnsHandle, load_local
from lanctl.dns.wire import QType, encode_name
from lanctl.errors import COMMAND_LINE as W
from tests.dns.test_server_loopback import config, dig, dnsmasq, run_server, summary
from tests.support import free_port

__all__ = ["dnsmasq"]  # the fixture, used with this module's `conf`


def write(path: Path, text: str, stamp: int) -> None:
    """Write and give the file its own mtime, so that a rewrite is always seen as a change."""
    path.write_text(text)
    os.utime(path, ns=(stamp * 10**9, stamp * 10**9))


def names(dirs: HostsDirs) -> dict[str, list[str]]:
    return {
        n.decode(): [".".join(str(b) for b in a) for a, _ in v] for n, v in dirs.forward.items()
    }


def test_scan_reads_new_changed_and_forgets_deleted_files(tmp_path: Path) -> None:
    d = tmp_path / "hd"
    d.mkdir()
    write(d / "a", "192.0.2.1 one\n", 1)
    (d / "sub").mkdir()  # directories are not hosts files
    dirs = HostsDirs([str(d)], DnsCfg())
    assert dirs.scan() is True
    assert names(dirs) == {"one": ["192.0.2.1"]}
    assert dirs.take_messages() == [f"read {d / 'a'} - 1 names"]
    assert dirs.scan() is False  # nothing changed: nothing read
    assert dirs.take_messages() == []
    write(d / "b", "192.0.2.2 two\n192.0.2.1 again\n", 2)
    assert dirs.scan() is True
    assert names(dirs) == {"one": ["192.0.2.1"], "two": ["192.0.2.2"], "again": ["192.0.2.1"]}
    assert dirs.take_messages() == [
        f"hostsdir: {d / 'b'} new or modified",
        f"read {d / 'b'} - 2 names",
    ]
    assert dirs.reverse[bytes([192, 0, 2, 1])][0] == b"one"  # first file in name order
    write(d / "a", "192.0.2.9 one\n", 3)
    assert dirs.scan() is True
    assert names(dirs)["one"] == ["192.0.2.9"]
    assert f"hostsdir: flushed 1 names read from {d / 'a'}" in dirs.take_messages()
    assert dirs.reverse[bytes([192, 0, 2, 1])][0] == b"again"
    (d / "b").unlink()
    assert dirs.scan() is True
    assert names(dirs) == {"one": ["192.0.2.9"]}
    assert dirs.take_messages() == [
        f"hostsdir: {d / 'b'} removed",
        f"hostsdir: flushed 2 names read from {d / 'b'}",
    ]


def test_local_data_answers_from_the_directory_and_expands(tmp_path: Path) -> None:
    d = tmp_path / "hd"
    d.mkdir()
    write(d / "h", "192.0.2.5 five\n2001:db8::5 five\n", 1)
    cfg = DnsCfg(no_hosts=True, hostsdir=(str(d),), local_ttl=7)
    local = load_local(cfg)
    ans = local.answer(encode_name("five"), QType.AAAA)
    assert ans is not None and [(rr.ttl, rr.text, rr.source) for rr in ans.rrs] == [
        (7, "2001:db8::5", str(d / "h"))
    ]
    ptr = local.answer(encode_name("5.2.0.192.in-addr.arpa"), QType.PTR)
    assert ptr is not None and ptr.rrs[0].rdata == b"\x04five\x00"
    assert ("five", "A", "192.0.2.5", str(d / "h")) in set(local.dump())
    (d / "h").unlink()
    assert local.refresh_dirs() is True
    assert local.answer(encode_name("five"), QType.A) is None
    # --expand-hosts as for the other hosts files.
    write(d / "h", "192.0.2.6 six\n", 2)
    cfg = DnsCfg(no_hosts=True, expand_hosts=True, domain=(domain_spec("lan", W),))
    data = build_local(cfg, [])
    data.dirs = HostsDirs([str(d)], cfg)
    data.dirs.scan()
    assert data.answer(encode_name("six.lan"), QType.A) is not None
    ptr = data.answer(encode_name("6.2.0.192.in-addr.arpa"), QType.PTR)
    assert ptr is not None and ptr.rrs[0].rdata == encode_name("six.lan")


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    (tmp_path / "hd").mkdir()
    write(tmp_path / "hd" / "first", "192.0.2.50 a50\n", 1)
    path = tmp_path / "dnsmasq.conf"
    path.write_text(f"no-resolv\nno-hosts\nhostsdir={tmp_path / 'hd'}\n")
    return path


async def _until(port: int, name: str, want: str) -> list[str]:
    """Ask until the answer shows `want` (the watchers are asynchronous), at most ~10 s."""
    out: list[str] = []
    for _ in range(100):
        out = summary(await dig(port, name, "A"))
        if want in " ".join(out):
            return out
        await trio.sleep(0.1)
    return out


def test_hostsdir_changes_seen_like_dnsmasq(conf: Path, dnsmasq: int, tmp_path: Path) -> None:
    port = free = free_port()
    hd = tmp_path / "hd"
    seen: list[tuple[str, list[str], list[str]]] = []

    async def body(handle: DnsHandle) -> None:
        async def both(what: str, name: str, want: str) -> None:
            seen.append((what, await _until(free, name, want), await _until(dnsmasq, name, want)))

        await both("start", "a50", "192.0.2.50")
        write(hd / "new", "192.0.2.51 a51\n", 2)
        await both("new", "a51", "192.0.2.51")
        write(hd / "new", "192.0.2.52 a51\n", 3)
        await both("changed", "a51", "192.0.2.52")
        (hd / "new").unlink()
        await both("deleted", "a51", "REFUSED")
        await both("other", "a50", "192.0.2.50")

    run_server(config(conf, port), body)
    assert [s[0] for s in seen] == ["start", "new", "changed", "deleted", "other"]
    for what, ours, theirs in seen:
        assert ours == theirs, what
    assert "192.0.2.52" in " ".join(seen[2][1]) and "192.0.2.51" not in " ".join(seen[2][1])
    assert "REFUSED" in seen[3][1]
