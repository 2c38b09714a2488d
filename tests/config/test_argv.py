"""GNU getopt_long command-line reading, as dnsmasq 2.90 does it (lanctl.config.argv)."""

from __future__ import annotations

import pytest

from lanctl.config.argv import parse_argv
from lanctl.errors import ConfigError, Where
from tests.config.fake_options import NAMES, SHORTS


def parsed(argv: list[str]) -> list[tuple[str, str | None]]:
    return [(s.option.name, s.raw) for s in parse_argv(argv, NAMES, SHORTS)]


GOOD: list[tuple[list[str], list[tuple[str, str | None]]]] = [
    ([], []),
    (["--port=53"], [("port", "53")]),
    (["--port", "53"], [("port", "53")]),
    (["--port", "--no-hosts"], [("port", "--no-hosts")]),  # getopt takes the next word
    (["--port="], [("port", "")]),
    (["--port=a=b"], [("port", "a=b")]),
    (["--no-hosts"], [("no-hosts", None)]),
    (["--no-hos"], [("no-hosts", None)]),  # unambiguous prefix
    (["--domain-need"], [("domain-needed", None)]),
    (["--log-queries"], [("log-queries", None)]),
    (["--log-queries=extra"], [("log-queries", "extra")]),
    (["--log-queries="], [("log-queries", "")]),
    (["--cache-size"], [("cache-size", None)]),  # OPTIONAL: bare is fine for getopt
    (["-p", "53"], [("port", "53")]),
    (["-p53"], [("port", "53")]),
    (["-p", "-h"], [("port", "-h")]),
    (["-qhp53"], [("log-queries", None), ("no-hosts", None), ("port", "53")]),
    (["-qhp", "53"], [("log-queries", None), ("no-hosts", None), ("port", "53")]),
    (["-qe"], [("log-queries", None), ("selfmx", None)]),  # -q never takes an argument
    (["-1"], [("enable-dbus", None)]),
    (["-1e"], [("enable-dbus", None), ("selfmx", None)]),
    (["-c", "10"], [("cache-size", "10")]),  # letters of OPTIONAL options require one
    (["-c10"], [("cache-size", "10")]),
    (["-C", "/x.conf"], [("conf-file", "/x.conf")]),
    (["-C-"], [("conf-file", "-")]),
    (["--dhcp-leasef=/l"], [("dhcp-leasefile", "/l")]),
    (["--dhcp-lease=/l"], [("dhcp-leasefile", "/l")]),
    (["--domain-s=example"], [("domain", "example")]),  # only the alias matches
    (["--domain-suffix", "example"], [("domain", "example")]),
    # blank positional arguments are tolerated, wherever they are
    (["", " \t", "--no-hosts", "\n"], [("no-hosts", None)]),
    (["--port=1", "--", " "], [("port", "1")]),
    (["--", "", "  "], []),
    (["--test", "-C", "/dev/null"], [("test", None), ("conf-file", "/dev/null")]),
]


@pytest.mark.parametrize(("argv", "expected"), GOOD)
def test_parse_argv(argv: list[str], expected: list[tuple[str, str | None]]) -> None:
    assert parsed(argv) == expected


def test_settings_carry_command_line_where() -> None:
    settings = parse_argv(["--no-hos", "-p", "5", "--domain-suffix=x"], NAMES, SHORTS)
    assert [s.where for s in settings] == [
        Where(None, None, "no-hosts"),
        Where(None, None, "port"),
        Where(None, None, "domain-suffix"),
    ]
    assert all(s.from_command_line for s in settings)
    assert str(settings[0].where) == "command line"


BAD: list[tuple[list[str], str, Where]] = [
    (
        ["--dhcp-rnage=1"],
        'unknown option "dhcp-rnage" (did you mean dhcp-range?)',
        Where(None, None, "dhcp-rnage"),
    ),
    (["--frobnicate"], 'unknown option "frobnicate"', Where(None, None, "frobnicate")),
    (["-j"], 'unknown option "-j"', Where(None, None, "-j")),
    (["-qj"], 'unknown option "-j"', Where(None, None, "-j")),
    (
        ["--no"],
        'ambiguous option "no" (could be no-hosts, no-negcache, no-resolv)',
        Where(None, None, "no"),
    ),
    # dhcp-lease (REQUIRED) and dhcp-leasefile (OPTIONAL) differ, so getopt refuses
    (
        ["--dhcp-leas=x"],
        'ambiguous option "dhcp-leas" (could be dhcp-lease, dhcp-leasefile)',
        Where(None, None, "dhcp-leas"),
    ),
    (["--dhcp-lease"], 'missing parameter for "dhcp-lease"', Where(None, None, "dhcp-lease")),
    (["--port"], 'missing parameter for "port"', Where(None, None, "port")),
    (["--no-hosts=1"], 'extraneous parameter for "no-hosts"', Where(None, None, "no-hosts")),
    (["--no-hos="], 'extraneous parameter for "no-hosts"', Where(None, None, "no-hosts")),
    (["-p"], 'missing parameter for "-p"', Where(None, None, "port")),
    (["-qhp"], 'missing parameter for "-p"', Where(None, None, "port")),
    (["-c"], 'missing parameter for "-c"', Where(None, None, "cache-size")),
    (["foo"], 'junk found in command line: "foo"', Where()),
    (["--port=1", "foo"], 'junk found in command line: "foo"', Where()),
    (["--", "--port=5"], 'junk found in command line: "--port=5"', Where()),
    (["-"], 'junk found in command line: "-"', Where()),
    # an OPTIONAL argument must be attached: "extra" is left as a positional
    (["--log-queries", "extra"], 'junk found in command line: "extra"', Where()),
    # options are all read before positionals are judged (getopt permutes argv)
    (["foo", "--bogus"], 'unknown option "bogus"', Where(None, None, "bogus")),
]


@pytest.mark.parametrize(("argv", "message", "where"), BAD)
def test_parse_argv_errors(argv: list[str], message: str, where: Where) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_argv(argv, NAMES, SHORTS)
    assert caught.value.detail == message
    assert caught.value.where == where
    assert caught.value.exit_code == 1
    assert str(caught.value) == f"bad option at command line: {message}"


def test_defaults_to_the_registry() -> None:
    """Without tables the registry is used (imported lazily)."""
    pytest.importorskip("lanctl.config.registry", exc_type=ImportError)
    settings = parse_argv(["-p", "5353", "--no-hosts"])
    assert [(s.option.name, s.raw) for s in settings] == [("port", "5353"), ("no-hosts", None)]
