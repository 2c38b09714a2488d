"""lanctl.store.hostsfile: hosts, dhcp-hostsfile, dhcp-optsfile and ethers parsers."""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address

from hypothesis import example, given
from hypothesis import strategies as st

from lanctl.store.hostsfile import (
    EthersEntry,
    parse_dhcp_hosts,
    parse_dhcp_opts,
    parse_ethers,
    parse_hosts,
)


def packed(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def test_columns_one_row_per_name_first_name_flagged() -> None:
    hf = parse_hosts("192.0.2.1 a.example A\n# c\n2001:db8::1 b.example.\n", "/h")
    assert hf.names == ["a.example", "a", "b.example"]
    assert hf.addrs == [packed("192.0.2.1"), packed("192.0.2.1"), packed("2001:db8::1")]
    assert list(hf.first) == [1, 0, 1]
    assert len(hf) == 3
    assert hf.warnings == ()


def test_bulk_and_line_by_line_paths_agree() -> None:
    # 5000 plain lines take the bulk path in the first piece; one bad line in the
    # second piece sends that piece through the careful parser: same rows either way.
    plain = [f"198.51.100.{i % 250 + 1} h{i}.example" for i in range(5000)]
    text = "\n".join(plain) + "\n"
    bad = text + "192.0.2.300 x.example\n"
    a, b = parse_hosts(text, "/f"), parse_hosts(bad, "/f")
    assert a.names == b.names and a.addrs == b.addrs and a.first == b.first
    assert a.names[4999] == "h4999.example"
    assert a.addrs[4999] == packed(f"198.51.100.{4999 % 250 + 1}")
    assert b.warnings == ("bad address at /f line 5001",)


def test_bulk_path_refuses_pieces_it_cannot_take_whole() -> None:
    # Each of these lines must be handled as dnsmasq does even among plain lines.
    for odd, rows in (
        ("192.0.2.9 one.example two.example", ["one.example", "two.example"]),
        ("192.0.2.9 Upper.Example", ["upper.example"]),
        ("192.0.2.9 dot.example.", ["dot.example"]),
        ("192.0.2.9", []),
        ("192.0.2.9 bad!name", []),
        ("2001:db8::9 six.example", ["six.example"]),
        ("192.0.2.9 x.example # comment", ["x.example"]),
        ("192.0.2.9 a..b", []),
    ):
        hf = parse_hosts(f"192.0.2.1 p.example\n{odd}\n", "/f")
        assert hf.names == ["p.example", *rows], odd


def test_dhcp_hostsfile_lines_use_the_dhcp_host_grammar() -> None:
    text = "# hosts\n00:11:22:33:44:55,192.0.2.50,laptop\n\nnot,a,valid,line,99:zz\n"
    parsed = parse_dhcp_hosts(text, "/etc/dhcp-hosts")
    assert len(parsed.values) == 1
    host = parsed.values[0]
    assert host.ipv4 == IPv4Address("192.0.2.50") and host.hostname == "laptop"
    assert len(parsed.warnings) == 1
    assert "line 4 of /etc/dhcp-hosts" in parsed.warnings[0]


def test_dhcp_optsfile_lines_use_the_dhcp_option_grammar() -> None:
    parsed = parse_dhcp_opts(
        "option:router,192.0.2.1\n3,192.0.2.2\noption:no-such-option,1\n", "/o"
    )
    assert len(parsed.values) == 2
    assert len(parsed.warnings) == 1 and "line 3 of /o" in parsed.warnings[0]


def test_ethers() -> None:
    text = (
        "00:11:22:33:44:55 printer\n"
        "00:11:22:33:44:66 192.0.2.7\n"
        "00:11:22:33:44:67 192.0.2.8 # not a comment: a name (dnsmasq legal_hostname)\n"
        "zz:11:22:33:44:77 bad-mac\n"
        "00:11:22:33:44:88\n"
        "00:11:22:33:44:99 bad!name\n"
    )
    parsed = parse_ethers(text, "/etc/ethers")
    assert parsed.values == (
        EthersEntry(bytes.fromhex("001122334455"), hostname="printer"),
        EthersEntry(bytes.fromhex("001122334466"), address=IPv4Address("192.0.2.7")),
        EthersEntry(
            bytes.fromhex("001122334467"),
            hostname="192.0.2.8 # not a comment: a name (dnsmasq legal_hostname)",
        ),
    )
    assert parsed.warnings == (  # as dnsmasq 2.90 (tests/dhcp4/test_ethers_compat.py)
        "bad line at /etc/ethers line 4",
        "bad line at /etc/ethers line 5",
        "bad name at /etc/ethers line 6",
    )


_LABEL = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)
_NAME = st.lists(_LABEL, min_size=1, max_size=3).map(".".join)
AnyAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_ADDR = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6))


@given(st.lists(st.tuples(_ADDR, st.lists(_NAME, min_size=1, max_size=3)), max_size=30))
def test_round_trip(
    lines: list[tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, list[str]]],
) -> None:
    text = "".join(f"{a} {' '.join(names)}\n" for a, names in lines)
    hf = parse_hosts(text, "/rt")
    assert hf.warnings == ()
    assert hf.entries == [(a.packed, tuple(names)) for a, names in lines]


@example("\x00\x850")  # a NUL in an address: inet_pton raises ValueError, not OSError
@example("192.0.2.1\x00 a.example\n")
@given(st.text(max_size=300))
def test_garbage_gives_warnings_not_exceptions(text: str) -> None:
    hf = parse_hosts(text, "/g")
    assert len(hf.names) == len(hf.addrs) == len(hf.first)
    assert all(w.endswith(tuple(f" line {n}" for n in range(1, 400))) for w in hf.warnings)
    parse_ethers(text, "/g")
    parse_dhcp_hosts(text, "/g")
    parse_dhcp_opts(text, "/g")
