"""--dhcp-option / --dhcp-option-force grammar and the option-name tables.

Accept/reject decisions and messages were checked against `dnsmasq --test` (2.90).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.config.dhcp_names import DHCP4_CODES, DHCP4_KINDS, DHCP4_NAMES, DHCP6_NAMES
from lanctl.config.grammar.dhcp_option import DhcpOption, dhcp_option, dhcp_option_force
from lanctl.config.grammar.tags import TagRef
from lanctl.errors import ConfigError, Where

W = Where("opts.conf", 11, "dhcp-option")


def test_numbered_option() -> None:
    assert dhcp_option("3,192.168.0.1", W) == DhcpOption(
        family=4,
        code=3,
        name=None,
        match_tags=(),
        encap=None,
        vi_encap=None,
        vendor=None,
        values=("192.168.0.1",),
    )


def test_named_option_with_spaces_and_several_values() -> None:
    opt = dhcp_option("option:ntp-server, 192.168.0.4, 10.10.0.5", W)
    assert (opt.code, opt.name, opt.values) == (42, "ntp-server", ("192.168.0.4", "10.10.0.5"))


def test_option6_with_brackets_and_this_server() -> None:
    opt = dhcp_option("option6:dns-server,[::],[1234::88]", W)
    assert (opt.family, opt.code, opt.values) == (6, 23, ("[::]", "[1234::88]"))
    assert dhcp_option("option6:23,[::1]", W).code == 23
    assert dhcp_option("option6:information-refresh-time,6h", W).values == ("6h",)


def test_tags_including_negation_and_legacy_forms() -> None:
    opt = dhcp_option("tag:x,tag:!y,option:router,1.2.3.4", W)
    assert opt.match_tags == (TagRef("x"), TagRef("y", True))
    assert dhcp_option("net:a,3,1.2.3.4", W).match_tags == (TagRef("a"),)
    assert dhcp_option("red,3,1.2.3.4", W).match_tags == (TagRef("red"),)  # bare network-id


def test_encapsulations() -> None:
    enc = dhcp_option("encap:175, 190, iscsi", W)
    assert (enc.encap, enc.code, enc.values, enc.encapsulated) == (175, 190, ("iscsi",), True)
    vi = dhcp_option("vi-encap:2, 10, text", W)
    assert (vi.vi_encap, vi.code) == (2, 10)
    assert dhcp_option("vi-encap:2,option6:10,text", W).family == 6
    vendor = dhcp_option("vendor:PXEClient,1,0.0.0.0", W)
    assert (vendor.vendor, vendor.code, vendor.values) == ("PXEClient", 1, ("0.0.0.0",))
    assert dhcp_option("vendor:,1,0.0.0.0", W).vendor == ""


def test_option_without_data() -> None:
    assert dhcp_option("3", W).values == ()
    assert dhcp_option("option:router", W).values == ()


def test_quoted_values_are_literal_text() -> None:
    opt = dhcp_option('66,"1.2.3.4"', W)
    assert opt.values == ("1.2.3.4",) and opt.literal
    assert dhcp_option('252,"\\n"', W).values == ("\n",)
    assert dhcp_option('40,"a,b"', W).values == ("a,b",)
    assert not dhcp_option("40,welly", W).literal


def test_force_flag() -> None:
    assert dhcp_option_force("208,f1:00:74:7e", W).force
    assert not dhcp_option("208,f1:00:74:7e", W).force


def test_value_kinds_other_than_addresses_are_free_text() -> None:
    for raw in ("option:T1,x", "option:mtu,x", "128,e4:4g", "211,30i", "option6:ntp-server,foo"):
        assert dhcp_option(raw, W).values


def test_classless_routes_and_prefixed_addresses() -> None:
    opt = dhcp_option("121,192.168.1.0/24,1.2.3.4,10.0.0.0/8,5.6.7.8", W)
    assert len(opt.values) == 4
    assert dhcp_option("3,1.2.3.4/24", W).values == ("1.2.3.4/24",)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("option:router,notanip", "bad IP address"),
        ("3,notanip", "bad IP address"),
        ('3,"1.2.3.4"', "bad IP address"),
        ("option:router,1.2.3", "bad IPv4 address"),
        ("option:router,1.2.3.4,5", "bad IPv4 address"),
        ("255,1", "bad IPv4 address"),
        ("option:foo,1", "bad dhcp-option"),
        ("option:3,1.2.3.4", "bad dhcp-option"),
        ("option:hostname,foo", "bad dhcp-option"),  # internal options have no name
        ("option6:client-id,1", "bad dhcp-option"),
        ("option6:foo,1", "bad dhcp-option"),
        ("option6:dns-server,1.2.3.4", "bad IPv6 address"),
        ("option6:dns-server,notanip", "bad IPv6 address"),
        ("option6:dns-server,[::1],x", "bad IPv6 address"),
        ("encap:175,vendor:x,1,1", "inappropriate vendor:"),
        ("encap:175,option6:23,[::1]", "unsupported encapsulation for IPv6 option"),
        ("tag:a", "bad dhcp-option"),
        ("", "bad dhcp-option"),
        ("0,1", "bad dhcp-option"),
        ("256,1", "bad dhcp-option"),
        ("option6:0,1", "bad dhcp-option"),
        ("option6:65536,1", "bad dhcp-option"),
        ("encap:x,1,1", "bad dhcp-option"),
        ('3,"open', 'missing "'),
    ],
)
def test_rejects(raw: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        dhcp_option(raw, W)
    assert info.value.where is W
    assert str(info.value) == f"bad option at line 11 of opts.conf: {info.value.detail}"


def test_codes_range() -> None:
    assert dhcp_option("254,1", W).code == 254
    assert dhcp_option("option6:65535,1", W).code == 65535


@pytest.mark.parametrize("family", [4, 6])
def test_name_tables_match_dnsmasq_help(family: int) -> None:
    """The tables are `dnsmasq --help dhcp` / `--help dhcp6` (dnsmasq 2.90), verbatim."""
    expected = {
        4: {"netmask": 1, "router": 3, "domain-search": 119, "server-ip-address": 255},
        6: {"dns-server": 23, "ntp-server": 56, "bootfile-param": 60},
    }[family]
    table = DHCP4_NAMES if family == 4 else DHCP6_NAMES
    assert expected.items() <= table.items()
    assert len(table) == (61 if family == 4 else 15)
    assert DHCP4_CODES[121] == "classless-static-route" and DHCP4_KINDS[6] == "addr"


@given(st.text(max_size=80))
def test_random_text_returns_or_raises_config_error(raw: str) -> None:
    for parser in (dhcp_option, dhcp_option_force):
        try:
            parser(raw, W)
        except ConfigError as exc:
            assert exc.where is W


_PIECES = ["tag:a", "encap:175", "vi-encap:3", "vendor:x", "option:router", "option6:23", "3"]
_PIECES += ["1.2.3.4", "[::1]", "0.0.0.0", '"q"', "x", "", "01:02", "5i"]


@given(st.lists(st.sampled_from(_PIECES), max_size=7))
def test_random_field_soup_returns_or_raises_config_error(parts: list[str]) -> None:
    try:
        dhcp_option(",".join(parts), W)
    except ConfigError as exc:
        assert exc.where is W
