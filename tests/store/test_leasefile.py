"""dnsmasq's lease-file codec: golden files written by real dnsmasq 2.90, round trips,
and damaged input that yields warnings, never exceptions (RELIABILITY P5)."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, IPv6Network
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.store.lease import LEASE6_KINDS, Lease4, Lease6
from lanctl.store.leasefile import LeaseFile, parse, render, render_lease4, render_lease6

DATA = Path(__file__).resolve().parents[1] / "data" / "leases"
GOLDEN = sorted(DATA.glob("*.leases"))


def test_golden_files_exist() -> None:
    assert {p.name for p in GOLDEN} >= {"dnsmasq-v4.leases", "dnsmasq-v4v6.leases"}


@pytest.mark.parametrize("path", GOLDEN, ids=lambda p: p.name)
def test_files_written_by_dnsmasq_round_trip_exactly(path: Path) -> None:
    text = path.read_text()
    leases, warnings = parse(text)
    assert warnings == []
    assert len(leases.v4) + len(leases.v6) + (leases.server_duid is not None) == len(
        text.splitlines()
    )
    assert render(leases) == text


def test_golden_v4_file_content() -> None:
    leases, _ = parse((DATA / "dnsmasq-v4.leases").read_text())
    by_addr = {str(x.address): x for x in leases.v4}
    assert leases.server_duid is None and leases.v6 == ()
    alpha = by_addr["192.0.2.52"]  # udhcpc: client-id 01:<mac>, host name option
    assert alpha.hwaddr == bytes.fromhex("02000000aa01")
    assert alpha.hwtype == 1 and alpha.hostname == "alpha"
    assert alpha.client_id == b"\x01" + alpha.hwaddr
    delta = by_addr["192.0.2.56"]  # dhclient: no client-id
    assert (delta.hostname, delta.client_id) == ("delta", None)
    infinite = by_addr["192.0.2.55"]  # dhcp-host=...,infinite
    assert (infinite.expires, infinite.hostname) == (0, None)
    token_ring = by_addr["192.0.2.60"]  # htype 6
    assert (token_ring.hwtype, token_ring.hwaddr) == (6, bytes.fromhex("020000bb0006"))
    no_chaddr = by_addr["192.0.2.50"]  # htype 32, hlen 0: written as "20-"
    assert (no_chaddr.hwtype, no_chaddr.hwaddr) == (32, b"")
    assert no_chaddr.client_id == bytes.fromhex("ff0000002000010203")


def test_golden_v6_file_content() -> None:
    leases, _ = parse((DATA / "dnsmasq-v4v6.leases").read_text())
    assert leases.server_duid is not None and leases.server_duid[:4] == b"\x00\x01\x00\x01"
    kinds = {x.kind: x for x in leases.v6}
    assert set(kinds) == {"na", "ta"}
    assert kinds["na"].hostname == "echo1" and kinds["ta"].hostname is None
    assert kinds["na"].duid == bytes.fromhex("0003000102000000cc01")  # DUID-LL of the MAC
    assert kinds["na"].iaid == kinds["ta"].iaid == 52225
    assert len(leases.v4) == 7


# --- exact rendering of the forms dnsmasq writes --------------------------------------


def test_render_v4_forms() -> None:
    mac = bytes.fromhex("02000000aa01")
    lease = Lease4(IPv4Address("192.0.2.52"), mac, client_id=b"\x01" + mac, hostname="alpha")
    assert render_lease4(lease) == "0 02:00:00:00:aa:01 192.0.2.52 alpha 01:02:00:00:00:aa:01"
    assert render_lease4(Lease4(IPv4Address("192.0.2.9"), b"", hwtype=1, expires=5)) == (
        "5 01- 192.0.2.9 * *"
    )
    assert render_lease4(Lease4(IPv4Address("192.0.2.9"), b"\x0a", hwtype=255)) == (
        "0 ff-0a 192.0.2.9 * *"
    )


def test_render_v6_forms() -> None:
    duid = bytes.fromhex("000300010200")
    na = Lease6(IPv6Address("2001:db8::1"), duid, 1, "na", "h", 9)
    ta = Lease6(IPv6Address("2001:db8::2"), duid, 2, "ta", None, 9)
    pd = Lease6(IPv6Network("2001:db8:1::/48"), b"", 3, "pd", None, 0)
    assert render_lease6(na) == "9 1 2001:db8::1 h 00:03:00:01:02:00"
    assert render_lease6(ta) == "9 T2 2001:db8::2 * 00:03:00:01:02:00"
    assert render_lease6(pd) == "0 P3 2001:db8:1::/48 * *"


def test_hwtype_zero_with_an_address_reads_as_ethernet() -> None:
    leases, warnings = parse("5 00-02:00:00:00:00:01 192.0.2.9 * *\n")
    assert warnings == []
    assert (leases.v4[0].hwtype, leases.v4[0].hwaddr) == (1, bytes.fromhex("020000000001"))


def test_uppercase_and_single_digit_hex_are_read() -> None:
    leases, warnings = parse("5 2:0:0:AB:cd:1 192.0.2.9 * 1:FF\nduid 0:1\n")
    assert warnings == []
    assert leases.v4[0].hwaddr == bytes.fromhex("020000abcd01")
    assert leases.v4[0].client_id == b"\x01\xff"
    assert leases.server_duid == b"\x00\x01"


# --- damaged input: warnings with line numbers, the other lines still load --------------

BAD_LINES = [
    ("garbage", "1 fields"),
    ("5 02:00:00:00:00:01 192.0.2.9 host", "4 fields"),
    ("5 02:00:00:00:00:01 192.0.2.9 host * extra", "6 fields"),
    ("-5 02:00:00:00:00:01 192.0.2.9 * *", "expiry"),
    ("soon 02:00:00:00:00:01 192.0.2.9 * *", "expiry"),
    ("5 zz:00 192.0.2.9 * *", "hex"),
    ("5 02:00:00:00:00:01 192.0.2.300 * *", "IPv4"),
    ("5 02:00:00:00:00:01 192.0.2.9 * 0x", "hex"),
    ("5 " + ":".join(["aa"] * 17) + " 192.0.2.9 * *", "17 octets"),
    ("5 02::01 192.0.2.9 * *", "hex"),
    ("5 X7 2001:db8::1 * *", "IAID"),
    ("5 99999999999 2001:db8::1 * *", "IAID"),
    ("5 1 2001:db8::g * 00:01", "IPv6"),
    ("5 1 2001:db8::/64 * 00:01", "IPv6"),
    ("5 P1 2001:db8::1/64 * 00:01", "host bits"),
    ("duid xyz", "hex"),
    ("duid 00:01:00:01 extra", "3 fields"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES, ids=[b[0][:20] for b in BAD_LINES])
def test_a_bad_line_is_a_warning_and_the_rest_loads(line: str, reason: str) -> None:
    golden = (DATA / "dnsmasq-v4v6.leases").read_text().splitlines(keepends=True)
    text = "".join([*golden[:2], line + "\n", *golden[2:]])
    leases, warnings = parse(text)
    assert [(w.line, w.text) for w in warnings] == [(3, line)]
    assert reason in warnings[0].reason
    assert str(warnings[0]).startswith("line 3: ")
    assert render(leases) == "".join(golden)


def test_a_second_duid_line_is_refused() -> None:
    _, warnings = parse("duid 00:01\nduid 00:02\n")
    assert [w.line for w in warnings] == [2]


def test_blank_lines_are_skipped_silently() -> None:
    leases, warnings = parse("\n   \n5 02:00:00:00:00:01 192.0.2.9 * *\n\n")
    assert warnings == [] and len(leases.v4) == 1


@pytest.mark.parametrize("cut", range(0, 120, 7))
def test_a_torn_file_never_raises(cut: int) -> None:
    text = (DATA / "dnsmasq-v4.leases").read_text()
    torn = text[: len(text) - cut]
    leases, warnings = parse(torn)
    whole = torn.count("\n")
    assert len(leases.v4) in (whole, whole + 1)  # a torn last line loads or is a warning
    assert len(leases.v4) + len(warnings) == len(torn.splitlines())


@given(st.text(max_size=300))
def test_any_text_parses_without_exception(text: str) -> None:
    leases, warnings = parse(text)
    lines = text.split("\n")
    for w in warnings:
        assert 1 <= w.line <= len(lines) and lines[w.line - 1] == w.text
    assert len(leases.v4) + len(leases.v6) + len(warnings) <= len(lines)


# --- hypothesis round trips -----------------------------------------------------------

hostnames = st.none() | st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}", fullmatch=True)
expiries = st.integers(min_value=0, max_value=2**40)


@st.composite
def leases4(draw: st.DrawFn) -> Lease4:
    hwtype = draw(st.integers(min_value=0, max_value=255))
    hwaddr = draw(st.binary(max_size=16 if hwtype else 0))
    return Lease4(
        address=draw(st.ip_addresses(v=4)),  # type: ignore[arg-type]
        hwaddr=hwaddr,
        hwtype=hwtype,
        client_id=draw(st.none() | st.binary(min_size=1, max_size=64)),
        hostname=draw(hostnames),
        expires=draw(expiries),
    )


@st.composite
def leases6(draw: st.DrawFn) -> Lease6:
    kind = draw(st.sampled_from(LEASE6_KINDS))
    addr = draw(st.ip_addresses(v=6))
    address: IPv6Address | IPv6Network = addr  # type: ignore[assignment]
    if kind == "pd":
        address = IPv6Network((addr, draw(st.integers(0, 128))), strict=False)
    return Lease6(
        address=address,
        duid=draw(st.binary(max_size=130)),
        iaid=draw(st.integers(min_value=0, max_value=2**32 - 1)),
        kind=kind,
        hostname=draw(hostnames),
        expires=draw(expiries),
    )


lease_files = st.builds(
    LeaseFile,
    st.lists(leases4(), max_size=5).map(tuple),
    st.none() | st.binary(min_size=1, max_size=130),
    st.lists(leases6(), max_size=5).map(tuple),
)


@given(lease_files)
def test_render_then_parse_gives_the_same_leases(leases: LeaseFile) -> None:
    text = render(leases)
    assert parse(text) == (leases, [])
    assert render(parse(text)[0]) == text
