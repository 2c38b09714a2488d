"""--servers-file: read into the routes, kept across resolv.conf re-reads, replaced on reload."""

from __future__ import annotations

import random
from pathlib import Path

from lanctl.config.model import DnsCfg
from lanctl.dns.engine import DnsEngine
from lanctl.dns.local import LocalData
from lanctl.dns.serversfile import load_servers_file, read_specs
from lanctl.dns.upstreams import LOCAL, Routes, Upstream
from lanctl.dns.wire import encode_name
from tests.dns.test_forward import specs


def test_read_specs_keeps_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    path = tmp_path / "servers"
    path.write_text(
        "# comment\nserver=/a.example/198.51.100.53\nrev-server=192.0.2.0/24,198.51.100.54\n"
        "address=/x/203.0.113.1\nserver=/b.example/not-an-address#x\nserver=/lan.example/\n"
    )
    found, problems = read_specs(str(path))
    routes = Routes(found)
    assert routes.route(encode_name("www.a.example")) == (Upstream("198.51.100.53"),)
    assert routes.route(encode_name("5.2.0.192.in-addr.arpa")) == (Upstream("198.51.100.54"),)
    assert routes.route(encode_name("x.lan.example")) == LOCAL
    assert len(problems) == 2 and "line 4" in problems[0]
    assert read_specs(str(tmp_path / "absent"))[0] == ()
    assert "absent" in read_specs(str(tmp_path / "absent"))[1][0]


def test_engine_routes_keep_servers_file_across_set_routes_and_reload(tmp_path: Path) -> None:
    path = tmp_path / "servers"
    path.write_text("server=/a.example/198.51.100.53\n")
    cfg = DnsCfg(no_resolv=True, server=tuple(specs("198.51.100.1")), servers_file=str(path))
    e = DnsEngine(cfg, LocalData(), rng=random.Random(0))
    load_servers_file(e, cfg)
    a, default = encode_name("x.a.example"), encode_name("x.other.example")
    assert e.routes.route(a) == (Upstream("198.51.100.53"),)
    e.set_routes(Routes(cfg.server, (Upstream("198.51.100.9"),)))  # resolv.conf re-read
    assert e.routes.route(a) == (Upstream("198.51.100.53"),)
    assert e.routes.route(default) == (Upstream("198.51.100.1"), Upstream("198.51.100.9"))
    path.write_text("server=/b.example/198.51.100.54\n")
    load_servers_file(e, cfg)  # SIGHUP
    assert e.routes.route(a) == (Upstream("198.51.100.1"), Upstream("198.51.100.9"))
    assert e.routes.route(encode_name("x.b.example")) == (Upstream("198.51.100.54"),)
