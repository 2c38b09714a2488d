"""lanctl.dns.hosts: hosts(5) parsing with dnsmasq's warnings."""

from __future__ import annotations

import ipaddress

from lanctl.dns.hosts import parse_hosts, valid_name

TEXT = """\
# comment line
192.0.2.1   Host1.Example. host1   # trailing comment
2001:db8::1 v6.example
 192.0.2.2\tTabbed.example\tupper#comment
bogus line here
192.0.2.034 octal.example
fe80::1%eth0 scoped.example
192.0.2.9
192.0.2.3 bad!name good.example
"""


def packed(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def test_entries_are_lowercased_in_file_order() -> None:
    hf = parse_hosts(TEXT, "/etc/hosts")
    assert hf.entries == [
        (packed("192.0.2.1"), ("host1.example", "host1")),
        (packed("2001:db8::1"), ("v6.example",)),
        (packed("192.0.2.2"), ("tabbed.example", "upper")),
        (packed("192.0.2.3"), ("good.example",)),
    ]


def test_bad_lines_become_warnings_with_file_and_line() -> None:
    hf = parse_hosts(TEXT, "/etc/hosts")
    # dnsmasq: "bad address at /etc/hosts line 5" (inet_pton rejects leading zeros and %scope)
    assert hf.warnings == (
        "bad address at /etc/hosts line 5",
        "bad address at /etc/hosts line 6",
        "bad address at /etc/hosts line 7",
        "bad name at /etc/hosts line 9",
    )


def test_empty_and_comment_only_files() -> None:
    assert parse_hosts("", "f").entries == []
    assert parse_hosts("# x\n\n   \n", "f").warnings == ()


def test_valid_name() -> None:
    assert valid_name("a-b_c.example")
    assert valid_name("*.wild.example")  # dnsmasq stores it literally
    assert not valid_name("a..b")
    assert not valid_name("")
    assert not valid_name("x" * 64)
    assert not valid_name("bad!name")
