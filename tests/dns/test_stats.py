"""SIGUSR1 statistics (stats.py) and the cache dump (cachedump.py) in dnsmasq 2.90's shape."""

from __future__ import annotations

import time

from lanctl.dns.cache import DumpRow
from lanctl.dns.cachedump import HEAD, cache_rows, flags_text, local_rows, row
from lanctl.dns.stats import ServerStats, head_lines, server_lines, tcp_line
from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import Rcode
from tests.dns.test_forward import engine as fwd_engine
from tests.dns.test_forward import query, reply_to

A = Upstream("198.51.100.53")
B = Upstream("198.51.100.54", 5300)


def test_server_lines_count_nxdomain_and_average_latency() -> None:
    st = ServerStats()
    st.answered(A, Rcode.NOERROR, 0.010)
    st.answered(A, Rcode.NXDOMAIN, 0.0205)
    assert server_lines([A, B], {A: 3}, {A: 1}, {}, st) == [
        "server 198.51.100.53#53: queries sent 3, retried 1, failed 0, nxdomain replies 1, "
        "avg. latency 15ms",
        "server 198.51.100.54#5300: queries sent 0, retried 0, failed 0, nxdomain replies 0, "
        "avg. latency 0ms",
    ]


def test_head_and_tcp_lines() -> None:
    assert head_lines(1795628210, 150, 1, 4, 2, 3) == [
        "time 1795628210",
        "cache size 150, 1/4 cache insertions re-used unexpired cache entries.",
        "queries forwarded 2, queries answered locally 3",
        "queries for authoritative zones 0",
        "DNSSEC per-query subqueries HWM 0",
        "DNSSEC per-query crypto work HWM 0",
        "DNSSEC per-RRSet signature fails HWM 0",
    ]
    assert tcp_line(1, 2, 20) == (
        "child processes for TCP requests: in use 1, highest since last SIGUSR1 2, max allowed 20."
    )


def test_engine_log_stats_order_and_forwarder_counters() -> None:
    e = fwd_engine()
    e.on_query(query("nx.example", 1), ("192.0.2.250", 1000), 0.0, dest="a")
    (send,), _, _ = e.take_actions()
    e.on_upstream(send.token, reply_to(send, rcode=3, name="nx.example."), 0.004)
    lines = e.log_stats("TCP")
    assert lines[0].startswith("time ")
    assert lines[7:] == [
        "TCP",
        "server 198.51.100.53#53: queries sent 1, retried 0, failed 0, nxdomain replies 1, "
        "avg. latency 4ms",
    ]


def test_dump_rows_in_dnsmasq_columns() -> None:
    assert HEAD[0] == (
        "Host                           Address                                  Flags      "
        "Expires                  Source"
    )
    assert len(HEAD[1]) == len(HEAD[0]) + 6
    assert flags_text("A", reverse=True, immortal=True, hosts=True, config=True) == "4FRI   HC"
    assert flags_text("AAAA", negative=True, nxdomain=True) == "6F   NX  "
    local = [
        ("hf.test", "A", "192.0.2.9", "/etc/hosts"),
        ("alias.test", "A", "192.0.2.9", "/etc/hosts"),
        ("192.0.2.9", "PTR", "hf.test", "/etc/hosts"),
        ("c.test", "CNAME", "hf.test", "config"),
        ("x" * 35, "A", "192.0.2.10", "/" + "d" * 50),
    ]
    got = local_rows(local)
    assert got[0] == row("hf.test", "192.0.2.9", "4FRI   H", "", "/etc/hosts")
    assert got[0].endswith(" " * 25 + "/etc/hosts" + " " * 30)
    assert got[1][72:82] == "4F I   H  "  # not the name of the PTR record
    assert got[2] == f"{'c.test':<30} {'hf.test':<40} {'CF I    C':<10} {'':<24}"
    assert got[3].startswith("x" * 30 + " 192.0.2.10") and got[3].endswith("/" + "d" * 39)
    when = time.mktime((2026, 11, 25, 18, 41, 10, 0, 0, -1))
    rows = cache_rows([DumpRow("fwd.test", "A", "203.0.113.1", 300, "F", "x#53"),
                       DumpRow("nx.test", "A", "NXDOMAIN", 60, "FNX", "x#53")], when)  # fmt: skip
    assert rows[0] == row("fwd.test", "203.0.113.1", "4F", "Wed Nov 25 18:46:10 2026")
    assert rows[1] == row("nx.test", "", " F   NX", "Wed Nov 25 18:42:10 2026")


def test_cache_rows_negative_other_types_and_reverse() -> None:
    when = time.mktime((2026, 11, 25, 19, 2, 0, 0, 0, -1))
    rows = cache_rows(
        [
            DumpRow("nx.test", "AAAA", "NXDOMAIN", 60, "FNX", "x#53"),
            DumpRow("m.test", "AAAA", "NODATA", 60, "FN", "x#53"),
            DumpRow("m.test", "SRV", "<SRV>", 60, "F", "x#53"),
            DumpRow("7.100.51.198.in-addr.arpa", "PTR", "NODATA", 60, "FN", "x#53"),
            DumpRow("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                    "PTR", "NXDOMAIN", 60, "FNX", "x#53"),
        ],
        when,
    )  # fmt: skip
    date = "Wed Nov 25 19:03:00 2026"
    assert rows == [
        row("nx.test", "", " F   NX", date),  # NXDOMAIN: for every type, no type letter
        row("m.test", "", "6F   N", date),
        row("m.test", "<SRV>", "TF", date),
        row("", "198.51.100.7", "4 R  N", date),
        row("", "2001:db8::1", "6 R  NX", date),
    ]
