"""Differential test: lanctl's reader accepts exactly the files and command lines that
real `dnsmasq --test` accepts, for options whose value grammar is trivial.

Values are checked here with small validators that mirror dnsmasq's for these options
(port: digits up to 65535, an empty value is 0; cache-size: digits, required when written
bare; log-queries: anything), so what is compared is the lexer and getopt behaviour.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from lanctl.config.reader import read_all, unquote
from lanctl.errors import LanctlError
from tests.config.fake_options import NAMES, SHORTS

DNSMASQ = shutil.which("dnsmasq")
pytestmark = pytest.mark.skipif(
    DNSMASQ is None and os.environ.get("LANCTL_REQUIRE_TOOLS") != "1",
    reason="dnsmasq is not installed",
)


def _digits(raw: str | None, limit: int) -> bool:
    return (
        raw is not None
        and (raw == "" or (raw.isascii() and raw.isdigit()))
        and (raw == "" or int(raw) <= limit)
    )


VALID: dict[str, Callable[[str | None], bool]] = {
    "port": lambda raw: _digits(raw, 65535),
    "cache-size": lambda raw: _digits(raw, 10**9),
}


def lanctl_accepts(argv: list[str]) -> bool:
    try:
        settings = read_all(argv, names=NAMES, shorts=SHORTS, default_conf="/nonexistent")
    except LanctlError:
        return False
    for setting in settings:
        raw = setting.raw
        if raw is not None and not setting.from_command_line:
            raw = unquote(raw)
        check = VALID.get(setting.option.name)
        if check is not None and not check(raw):
            return False
    return True


def dnsmasq_accepts(argv: list[str]) -> bool:
    assert DNSMASQ is not None, "LANCTL_REQUIRE_TOOLS=1 but dnsmasq is not installed"
    done = subprocess.run([DNSMASQ, *argv], capture_output=True, text=True, timeout=30, check=False)
    return done.returncode == 0


FILES: list[str] = [
    "port=5353 # comment\n",
    "port=5353# comment\n",
    "  port = 5353  \n",
    "port\t=\t53\r\n",
    "port\n",
    "port=\n",
    "no-hosts=1\n",
    "no-hosts =\n",
    "p=53\n",
    "no-hos\n",
    '"port"=53\n',
    'port="53"\n',
    'port="53" # c\n',
    'port="53"#x\n',
    'port=="53"\n',
    'port="53\n',
    'cache-size="1"0\n',
    "cache-size\n",
    "# c\n\n\t\nlog-queries=extra\ndomain-needed\n\tno-hosts\t#x\n",
    "log-queries\nlog-queries=\n",
    "#" + "x" * 1023 + "\n",
    "#" + "x" * 1024 + "\n",
    "#" + "x" * 1023 + "port=5\n",
    "port=1\0junk\n",
    "bogus\0\n",
    "=53\n",
]


@pytest.mark.parametrize("text", FILES)
def test_file_acceptance_matches_dnsmasq(tmp_path: Path, text: str) -> None:
    conf = tmp_path / "x.conf"
    conf.write_bytes(text.encode("utf-8", "surrogateescape"))
    argv = ["--test", "-C", str(conf)]
    assert lanctl_accepts(argv) == dnsmasq_accepts(argv)


ARGV: list[list[str]] = [
    ["--no-hos"],
    ["--no"],
    ["--no-hosts=1"],
    ["--log-queries", "extra"],
    ["--log-queries=extra"],
    ["-qhp53"],
    ["-qhp", "53"],
    ["-qhp"],
    ["", " "],
    ["foo"],
    ["-"],
    ["--", "--port=5"],
    ["--", " "],
    ["--dhcp-rnage=1"],
    ["-p", "5353"],
    ["--port", "5353"],
    ["--cache-size"],
    ["--cache-size="],
    ["-c"],
    ["--domain-need"],
    ["-1e"],
    ["--dhcp-leas=/tmp/x"],
    ["--dhcp-lease"],
]


@pytest.mark.parametrize("vector", ARGV, ids=lambda v: " ".join(v) or "empty")
def test_argv_acceptance_matches_dnsmasq(vector: list[str]) -> None:
    argv = ["--test", "-C", "/dev/null", *vector]
    assert lanctl_accepts(argv) == dnsmasq_accepts(argv)


def test_the_comparison_can_tell_both_ways() -> None:
    """Guard against a harness that always agrees: one accepted and one refused case."""
    assert dnsmasq_accepts(["--test", "-C", "/dev/null", "--port=5353"])
    assert not dnsmasq_accepts(["--test", "-C", "/dev/null", "--port=x"])
    assert lanctl_accepts(["--test", "-C", "/dev/null", "--port=5353"])
    assert not lanctl_accepts(["--test", "-C", "/dev/null", "--port=x"])
