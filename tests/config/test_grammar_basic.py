"""Tests for the basic, files and dns_tuning grammars: forms dnsmasq 2.90 accepts and refuses.

Expected values were checked against `dnsmasq --test` where dnsmasq has an opinion.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.config import grammar as g
from lanctl.errors import ConfigError, Where

W = Where("/etc/dnsmasq.conf", 7, "test")


def bad(parse: Callable[[str, Where], object], raw: str) -> ConfigError:
    """Assert that parse(raw) fails with ConfigError carrying our Where; return it."""
    with pytest.raises(ConfigError) as info:
        parse(raw, W)
    assert info.value.where is W
    return info.value


# --- flag, text, path -------------------------------------------------------------


def test_flag_accepts_only_empty() -> None:
    assert g.flag("", W) is True
    assert bad(g.flag, "yes").detail == "option takes no argument"


def test_text_keeps_anything() -> None:
    assert g.text("", W) == ""
    assert g.text(" a,b ", W) == " a,b "


@pytest.mark.parametrize(("raw", "want"), [("/run/x.pid", "/run/x.pid"), ("", None), (" ", None)])
def test_path(raw: str, want: str | None) -> None:
    assert g.path(raw, W) == want


# --- numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "want"), [("0", 0), ("150", 150), ("", 0), (" 42 ", 42)])
def test_uint(raw: str, want: int) -> None:
    assert g.uint(raw, W) == want


@pytest.mark.parametrize("raw", ["-1", "abc", "1.5", "0x10", "4294967296", "12 3"])
def test_uint_bad(raw: str) -> None:
    bad(g.uint, raw)


def test_optional_uint() -> None:
    assert g.optional_uint("", W) is None
    assert g.optional_uint("10", W) == 10
    bad(g.optional_uint, "x")


@pytest.mark.parametrize(("raw", "want"), [("53", 53), ("0", 0), ("65535", 65535), ("", 0)])
def test_port(raw: str, want: int) -> None:
    assert g.port(raw, W) == want


@pytest.mark.parametrize("raw", ["65536", "-1", "0x10", "http"])
def test_port_bad(raw: str) -> None:
    assert bad(g.port, raw).detail.startswith("bad port")


@pytest.mark.parametrize(("raw", "want"), [("0", 0), ("3600", 3600), (str(2**31 - 1), 2**31 - 1)])
def test_ttl(raw: str, want: int) -> None:
    assert g.ttl(raw, W) == want


@pytest.mark.parametrize("raw", [str(2**31), "-5", "1h"])
def test_ttl_bad(raw: str) -> None:
    bad(g.ttl, raw)


# --- durations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("3600", 3600),
        ("45m", 2700),
        ("45M", 2700),
        ("12h", 43200),
        ("12H", 43200),
        ("1d", 86400),
        ("2w", 1209600),
        ("30s", 30),
        ("0", 0),
        ("h", 0),  # dnsmasq accepts a bare suffix as 0
        ("infinite", g.INFINITE),
        ("deprecated", 0),
        ("99999999999", g.INFINITE),
    ],
)
def test_duration(raw: str, want: int) -> None:
    assert g.duration(raw, W) == want


@pytest.mark.parametrize("raw", ["12x", "-5", "1.5h", "Infinite", "infinity", "", "1h30m"])
def test_duration_bad(raw: str) -> None:
    bad(g.duration, raw)


# --- lists ------------------------------------------------------------------------------


def test_interface_list() -> None:
    assert g.interface_list("eth0", W) == ("eth0",)
    assert g.interface_list("eth0, wlan*", W) == ("eth0", "wlan*")
    assert g.interface_list("", W) == ("",)  # dnsmasq: "interface=" = loopback only


@pytest.mark.parametrize("raw", ["averyveryverylongifname", "a/b", "a b", "eth0,x/y"])
def test_interface_list_bad(raw: str) -> None:
    bad(g.interface_list, raw)


def test_ip_list() -> None:
    assert g.ip_list("192.0.2.1, 2001:db8::1", W) == (
        ipaddress.IPv4Address("192.0.2.1"),
        ipaddress.IPv6Address("2001:db8::1"),
    )


@pytest.mark.parametrize("raw", ["", "192.0.2.1,,192.0.2.2", "192.0.2", "fe80::1%eth0", "host"])
def test_ip_list_bad(raw: str) -> None:
    assert "bad address" in bad(g.ip_list, raw).detail


def test_optional_ip_list() -> None:
    assert g.optional_ip_list("", W) == ()
    assert g.optional_ip_list("192.0.2.1", W) == (ipaddress.IPv4Address("192.0.2.1"),)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("192.0.2.5", "192.0.2.5/32"),
        ("192.0.2.5/24", "192.0.2.0/24"),
        ("2001:db8::1", "2001:db8::1/128"),
        ("2001:db8::/32", "2001:db8::/32"),
        ("192.0.2.1/", "0.0.0.0/0"),  # dnsmasq reads the empty prefix as 0
    ],
)
def test_ip_prefix(raw: str, want: str) -> None:
    assert g.ip_prefix(raw, W) == ipaddress.ip_network(want)


@pytest.mark.parametrize("raw", ["192.0.2.1/33", "2001:db8::/129", "192.0.2.1/x", "bogus/8"])
def test_ip_prefix_bad(raw: str) -> None:
    bad(g.ip_prefix, raw)


def test_comma_list_drops_empty_items() -> None:
    assert g.comma_list("a, b,,c", W) == ("a", "b", "c")
    assert g.comma_list("", W) == ()


# --- RR types, facilities, hex --------------------------------------------------------------


def test_rr_types() -> None:
    assert g.rr_types("a,txt,,MX", W) == ("A", "TXT", "MX")
    assert g.rr_types("65,300,0", W) == ("HTTPS", "TYPE300", "TYPE0")
    assert g.rr_types("ANY,nsap_ptr", W) == ("ANY", "NSAP_PTR")
    assert g.rr_types("", W) == ()


@pytest.mark.parametrize("raw", ["FOO", "TYPE123", "type65", "NSAP-PTR", "70000", "A,WALLET"])
def test_rr_types_bad(raw: str) -> None:
    assert "bad RR type" in bad(g.rr_types, raw).detail


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("-", "-"),
        ("/var/log/dnsmasq.log", "/var/log/dnsmasq.log"),
        ("rel/x", "rel/x"),
        ("LOCAL0", "local0"),
        ("daemon", "daemon"),
        ("security", "security"),
    ],
)
def test_log_facility(raw: str, want: str) -> None:
    assert g.log_facility(raw, W) == want


@pytest.mark.parametrize("raw", ["foo", "", "local8"])
def test_log_facility_bad(raw: str) -> None:
    assert bad(g.log_facility, raw).detail == "bad log facility"


@pytest.mark.parametrize(
    ("raw", "want"), [("0x1f", 31), ("0X8000", 0x8000), ("31", 31), ("017", 15), ("0", 0), ("", 0)]
)
def test_hex_int(raw: str, want: int) -> None:
    assert g.hex_int(raw, W) == want


def test_hex_int_negative_is_twos_complement() -> None:
    assert g.hex_int("-1", W) == 0xFFFFFFFF


@pytest.mark.parametrize("raw", ["1f", "abc", "0x", "0x1g", "08"])
def test_hex_int_bad(raw: str) -> None:
    bad(g.hex_int, raw)


# --- choice -------------------------------------------------------------------------------


def test_choice() -> None:
    parse = g.choice("base64", "text")
    assert parse.__name__ == "choice(base64|text)"
    assert parse("text", W) == "text"
    bad(parse, "Text")
    bad(parse, "")


def test_choice_with_empty_word_and_ignore_case() -> None:
    assert g.choice("", "no")("", W) == ""
    assert g.choice("ip", "mac", ignore_case=True)("MAC", W) == "mac"


# --- conf-dir, conf-script ----------------------------------------------------------------


def test_conf_dir() -> None:
    assert g.conf_dir("/etc/dnsmasq.d", W) == g.ConfDir("/etc/dnsmasq.d")
    assert g.conf_dir("/d,.bak,*.conf,*,", W) == g.ConfDir("/d", (".conf",), (".bak",))
    assert g.conf_dir("", W) == g.ConfDir("")


def test_conf_script() -> None:
    assert g.conf_script("/bin/gen  a b", W) == g.ConfScript("/bin/gen", ("a", "b"))
    assert g.conf_script("/bin/gen", W) == g.ConfScript("/bin/gen", ())
    bad(g.conf_script, "  ")


# --- fast-dns-retry, dnssec-limits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "want"), [("", (1000, 10000)), ("500", (500, 10000)), ("500,2000", (500, 2000))]
)
def test_fast_dns_retry(raw: str, want: tuple[int, int]) -> None:
    assert g.fast_dns_retry(raw, W) == want


@pytest.mark.parametrize("raw", ["49", "10", "500,x", "500,2000,3", "-1"])
def test_fast_dns_retry_bad(raw: str) -> None:
    bad(g.fast_dns_retry, raw)


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("0,0,20", (-1, -1, 20, -1)),
        (",,3", (-1, -1, 3, -1)),
        ("1,2,3,4", (1, 2, 3, 4)),
        ("1,2,3,4,junk", (1, 2, 3, 4)),  # dnsmasq ignores items after the fourth
        ("", (-1, -1, -1, -1)),
    ],
)
def test_dnssec_limits(raw: str, want: tuple[int, ...]) -> None:
    assert g.dnssec_limits(raw, W) == want


@pytest.mark.parametrize("raw", ["a", "-1", "1,x"])
def test_dnssec_limits_bad(raw: str) -> None:
    bad(g.dnssec_limits, raw)


# --- quoting ------------------------------------------------------------------------------


def test_split_quoted() -> None:
    assert g.split_quoted('a, "x,y" , z', W) == ("a", "x,y", "z")
    assert g.split_quoted(r'"q\"\\\t\n\r\b\e"', W) == ('q"\\\t\n\r\b\x1b',)
    assert g.split_quoted('" sp ",x', W) == (" sp ", "x")
    assert g.split_quoted(r'"\q"', W) == ("\\q",)  # unknown escapes stay as written
    assert bad(lambda r, w: g.split_quoted(r, w), '"open').detail == 'missing "'


# --- P11: every parser either returns or raises ConfigError -----------------------------------

PARSERS: list[Callable[[str, Where], object]] = [
    g.flag,
    g.text,
    g.path,
    g.uint,
    g.optional_uint,
    g.port,
    g.ttl,
    g.duration,
    g.interface_list,
    g.ip_list,
    g.optional_ip_list,
    g.ip_prefix,
    g.rr_types,
    g.log_facility,
    g.hex_int,
    g.comma_list,
    g.choice("base64", "text"),
    g.conf_dir,
    g.conf_script,
    g.fast_dns_retry,
    g.dnssec_limits,
    g.split_quoted,
]

_ALPHABET = st.sampled_from([*'0123456789abcdefx:./,#@%*"\\ -_sSmhdwIN\t', "\x00", "é"])


@pytest.mark.parametrize("parse", PARSERS, ids=lambda p: p.__name__)
@given(raw=st.one_of(st.text(), st.text(_ALPHABET, max_size=40)))
def test_parsers_raise_only_config_error(parse: Callable[[str, Where], object], raw: str) -> None:
    try:
        parse(raw, W)
    except ConfigError as exc:
        assert exc.where is W
