"""Tag grammars: tag lists, --tag-if, class matchers, --dhcp-mac, --dhcp-name-match, --dhcp-match.

Accept/reject decisions were checked against `dnsmasq --test` (2.90).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.config.grammar.tags import (
    DhcpMac,
    NameMatch,
    TagIf,
    TagMatch,
    TagRef,
    dhcp_mac,
    dhcp_match,
    dhcp_name_match,
    split_tags,
    tag_if,
    tag_list,
    tag_match,
)
from lanctl.errors import ConfigError, Where

W = Where("test.conf", 7, "dhcp-x")


def test_split_tags_separates_sets_matches_and_rest() -> None:
    sets, matches, rest = split_tags(["set:a", "tag:b", "x", "tag:!c", "net:d", "tag:", "y"])
    assert sets == ("a",)
    assert matches == (TagRef("b"), TagRef("c", True), TagRef("d"))
    assert rest == ["x", "y"]


def test_split_tags_net_sets_when_asked() -> None:
    sets, matches, rest = split_tags(["net:d", "tag:e"], net_sets=True)
    assert sets == ("d",) and matches == (TagRef("e"),) and rest == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ()),
        ("tag:!known", (TagRef("known", True),)),
        ("tag:a,tag:!b", (TagRef("a"), TagRef("b", True))),
        ("known", (TagRef("known"),)),  # legacy bare network-id
        ("tag:a, tag:b", (TagRef("a"), TagRef("b"))),
    ],
)
def test_tag_list(raw: str, expected: tuple[TagRef, ...]) -> None:
    assert tag_list(raw, W) == expected


@pytest.mark.parametrize("raw", ["tag:", "tag:a,", "tag:!"])
def test_tag_list_rejects_empty_names(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        tag_list(raw, W)
    assert info.value.where is W


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("set:a", TagIf(("a",), ())),
        ("set:a,tag:b,set:c,tag:!d", TagIf(("a", "c"), (TagRef("b"), TagRef("d", True)))),
        ("set:ppp,tag:ppp*", TagIf(("ppp",), (TagRef("ppp*"),))),
    ],
)
def test_tag_if(raw: str, expected: TagIf) -> None:
    assert tag_if(raw, W) == expected


@pytest.mark.parametrize("raw", ["tag:a", "set:a,foo", "", "set:"])
def test_tag_if_rejects(raw: str) -> None:
    with pytest.raises(ConfigError, match="bad tag-if") as info:
        tag_if(raw, W)
    assert info.value.where is W


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("set:red,Linux", TagMatch("red", "Linux")),
        ("red,Linux", TagMatch("red", "Linux")),
        (
            "set:printers,Hewlett-Packard JetDirect",
            TagMatch("printers", "Hewlett-Packard JetDirect"),
        ),
        ("set:red,enterprise:311,MSFT 5.0", TagMatch("red", "MSFT 5.0", 311)),
        ("set:a,01:02:03", TagMatch("a", "01:02:03")),
        ('set:a,"x,y"', TagMatch("a", "x,y")),
    ],
)
def test_tag_match(raw: str, expected: TagMatch) -> None:
    assert tag_match(raw, W) == expected


def test_tag_match_as_bytes_reads_hex_or_text() -> None:
    assert TagMatch("a", "01:02:ff").as_bytes() == b"\x01\x02\xff"
    assert TagMatch("a", "foo").as_bytes() == b"foo"
    assert TagMatch("a", "zz:yy").as_bytes() == b"zz:yy"


@pytest.mark.parametrize("raw", ["set:red", "set:red,enterprise:x,MSFT"])
def test_tag_match_rejects(raw: str) -> None:
    where = Where("f", 1, "dhcp-userclass")
    with pytest.raises(ConfigError, match="bad dhcp-userclass") as info:
        tag_match(raw, where)
    assert info.value.where is where


def test_dhcp_mac() -> None:
    value = dhcp_mac("set:3com,01:34:23:*:*:*", W)
    assert isinstance(value, DhcpMac) and value.set_tag == "3com"
    assert value.mac.matches(1, bytes.fromhex("013423aabbcc"))
    assert not value.mac.matches(1, bytes.fromhex("023423aabbcc"))
    assert dhcp_mac("red,00:60:8C:*:*:*", W).set_tag == "red"
    assert dhcp_mac("set:x,00608c", W).mac.octets == b"\x00\x60\x8c"


@pytest.mark.parametrize("raw", ["set:red", "set:red,00:60:8g", "set:red,", "set:a,1:2,3"])
def test_dhcp_mac_rejects(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        dhcp_mac(raw, W)
    assert info.value.where is W


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("set:wpad-ignore,wpad", NameMatch("wpad-ignore", "wpad", False)),
        ("set:a,foo*", NameMatch("a", "foo", True)),
    ],
)
def test_dhcp_name_match(raw: str, expected: NameMatch) -> None:
    assert dhcp_name_match(raw, W) == expected


@pytest.mark.parametrize("raw", ["set:a", "set:a,", "set:a,b,c"])
def test_dhcp_name_match_rejects(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        dhcp_name_match(raw, W)
    assert info.value.where is W


def test_dhcp_match_presence_by_number() -> None:
    m = dhcp_match("set:ipxe,175", W)
    assert (m.set_tag, m.option, m.option_name, m.family, m.value) == ("ipxe", 175, None, 4, None)


def test_dhcp_match_named_option_with_array_value() -> None:
    m = dhcp_match("set:efi-ia32,option:client-arch,6", W)
    assert (m.option, m.option_name, m.value, m.value_kind) == (
        93,
        "client-arch",
        b"\x00\x06",
        "int",
    )


def test_dhcp_match_legacy_tag_and_spaces() -> None:
    m = dhcp_match("peecees, option:client-arch, 0", W)
    assert (m.set_tag, m.option, m.value) == ("peecees", 93, b"\x00\x00")


def test_dhcp_match_hex_wildcards() -> None:
    m = dhcp_match("set:x,175,01:ff:*:02", W)
    assert m.value == b"\x01\xff\x00\x02"
    assert m.wildcard_mask == b"\x00\x00\xff\x00"
    assert m.value_kind == "hex"


def test_dhcp_match_string_value() -> None:
    m = dhcp_match("set:x,60,PXEClient*", W)
    assert (m.value, m.value_kind, m.value_text) == (b"PXEClient*", "string", "PXEClient*")


def test_dhcp_match_vi_encap_and_option6() -> None:
    m = dhcp_match("set:x,vi-encap:14,foo", W)
    assert (m.vi_encap, m.option, m.value) == (14, None, b"foo")
    m6 = dhcp_match("set:x,option6:16", W)
    assert (m6.family, m6.option) == (6, 16)
    m6n = dhcp_match("set:x,option6:dns-server", W)
    assert (m6n.family, m6n.option, m6n.option_name) == (6, 23, "dns-server")


@pytest.mark.parametrize(
    "raw",
    ["set:x", "set:x,option:foo", "set:x,01:ff:*:02", "set:x,zz", "set:x,vi-encap:q", "set:x,256"],
)
def test_dhcp_match_rejects(raw: str) -> None:
    with pytest.raises(ConfigError) as info:
        dhcp_match(raw, W)
    assert info.value.where is W


@given(st.text(max_size=60))
def test_random_text_returns_or_raises_config_error(raw: str) -> None:
    for parser in (tag_list, tag_if, tag_match, dhcp_mac, dhcp_name_match, dhcp_match):
        try:
            parser(raw, W)
        except ConfigError as exc:
            assert exc.where is W


@given(st.lists(st.sampled_from(["set:a", "tag:b", "tag:!c", "x", ",", "*", "1", ":"]), max_size=8))
def test_random_tag_soup_returns_or_raises_config_error(parts: list[str]) -> None:
    raw = ",".join(parts)
    for parser in (tag_list, tag_if, tag_match, dhcp_match):
        try:
            parser(raw, W)
        except ConfigError as exc:
            assert exc.where is W
