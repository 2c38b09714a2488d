"""dnsmasq's upstream server log lines (dns/serverlog.py)."""

from __future__ import annotations

from ipaddress import ip_address

from lanctl.config.grammar.dns import ServerSpec
from lanctl.dns.serverlog import resolv_lines, server_lines
from lanctl.dns.upstreams import Upstream


def test_domains_default_via_and_standard() -> None:
    specs = [
        ServerSpec(("a.test", "b.test"), ip_address("192.0.2.53"), 5353),
        ServerSpec((), ip_address("192.0.2.54"), interface="eth0"),
        ServerSpec(("",), ip_address("192.0.2.55")),
        ServerSpec(("x.test",), use_standard=True),
        ServerSpec(("lan.test",)),  # local-only: logged with the local data (rules.py)
    ]
    assert server_lines(specs, no_resolv=True) == [
        "using nameserver 192.0.2.53#5353 for domain a.test ",
        "using nameserver 192.0.2.53#5353 for domain b.test ",
        "using nameserver 192.0.2.54#53(via eth0)",
        "using nameserver 192.0.2.55#53 for unqualified names ",
        "using standard nameservers for x.test",
    ]


def test_no_upstream_warning_only_without_resolv() -> None:
    local = [ServerSpec(("lan.test",))]
    assert server_lines(local, no_resolv=True) == ["warning: no upstream servers configured"]
    assert server_lines(local, no_resolv=False) == []


def test_resolv_lines() -> None:
    assert resolv_lines("/r", [Upstream("192.0.2.1")]) == [
        "reading /r",
        "using nameserver 192.0.2.1#53",
    ]
    assert resolv_lines("/r", []) == ["no servers found in /r, will retry"]
