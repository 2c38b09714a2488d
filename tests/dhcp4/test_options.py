"""Option value encoders per kind and the tag-based choice of --dhcp-option rows."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from lanctl.config import load
from lanctl.config.grammar.dhcp_option import DhcpOption
from lanctl.dhcp4.options import encode_domains, encode_value, select_options

S = IPv4Address("192.0.2.1")


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        ("addr", ["192.0.2.5", "0.0.0.0"], bytes([192, 0, 2, 5, 192, 0, 2, 1])),
        ("int1", ["1"], b"\x01"),
        ("int2", ["1400"], b"\x05\x78"),
        ("int4", ["3600"], b"\x00\x00\x0e\x10"),
        ("time", ["1h"], b"\x00\x00\x0e\x10"),
        ("time", ["infinite"], b"\xff\xff\xff\xff"),
        ("name", ["example.test"], b"example.test"),
        ("domains", ["a.test", "b"], b"\x01a\x04test\x00\x01b\x00"),
        ("any", ["01:02:ff"], b"\x01\x02\xff"),
        ("any", ["7"], b"\x07"),
        ("any", ["300"], b"\x01\x2c"),
        ("any", ["70000"], b"\x00\x01\x11\x70"),
        ("any", ["192.0.2.9", "192.0.2.10"], bytes([192, 0, 2, 9, 192, 0, 2, 10])),
        ("any", ["hello", "world"], b"hello,world"),
        ("any", [], b""),
    ],
)
def test_encode_value(kind: str, values: list[str], expected: bytes) -> None:
    assert encode_value(kind, values, literal=False, server=S) == expected  # type: ignore[arg-type]


def test_quoted_values_are_text() -> None:
    assert encode_value("any", ["123"], literal=True, server=S) == b"123"


def test_encode_domains_strips_dots() -> None:
    assert encode_domains(["example.test."]) == b"\x07example\x04test\x00"


def rows(*lines: str) -> list[DhcpOption]:
    return [o for o in load(["-C", "/dev/null", *lines]).dhcp4.dhcp_option]  # type: ignore[misc]


def test_tagged_row_beats_untagged_and_negation_excludes() -> None:
    table = rows(
        "--dhcp-option=42,192.0.2.5",
        "--dhcp-option=tag:a,42,192.0.2.6",
        "--dhcp-option=tag:!a,44,192.0.2.7",
        "--dhcp-option=tag:a,tag:b,42,192.0.2.8",
    )
    assert select_options(table, frozenset(), S)[42].value == IPv4Address("192.0.2.5").packed
    assert 44 in select_options(table, frozenset(), S)
    chosen = select_options(table, frozenset({"a"}), S)
    assert chosen[42].value == IPv4Address("192.0.2.6").packed and 44 not in chosen
    both = select_options(table, frozenset({"a", "b"}), S)
    assert both[42].value == IPv4Address("192.0.2.8").packed


def test_force_flag_and_encapsulated_rows_skipped() -> None:
    table = rows("--dhcp-option-force=26,1400", "--dhcp-option=encap:175,1,5b")
    chosen = select_options(table, frozenset(), S)
    assert chosen[26].force and set(chosen) == {26}
