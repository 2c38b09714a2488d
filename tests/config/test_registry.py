"""The registry knows every dnsmasq 2.90 option, each declared once and consistently."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lanctl.config.options import Arg, Status, Sub
from lanctl.config.registry import BY_NAME, BY_SHORT, DNSMASQ_OPTIONS, OPTIONS
from lanctl.errors import ConfigError, Where
from tests.config.option_examples import EXAMPLES

DATA = Path(__file__).parent.parent / "data"
MAN_PAGE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "dnsmasq-2.90.8.txt"
REFERENCE_NAMES = [
    line.strip() for line in (DATA / "dnsmasq-options.txt").read_text().splitlines() if line
]


def test_reference_list_is_the_187_options() -> None:
    assert len(REFERENCE_NAMES) == 187


@pytest.mark.parametrize("name", REFERENCE_NAMES)
def test_every_reference_option_is_known(name: str) -> None:
    assert name in BY_NAME, f"--{name} missing from the registry"


def test_registry_declares_nothing_twice_and_nothing_unknown() -> None:
    names = [o.name for o in DNSMASQ_OPTIONS]
    assert len(names) == len(set(names))
    assert sorted(names) == sorted(REFERENCE_NAMES)


def test_short_letters_match_dnsmasq() -> None:
    # From `dnsmasq --help` (2.90): a sample across letters, digits and case.
    expected = {
        "a": "listen-address", "A": "address", "b": "bogus-priv", "C": "conf-file",
        "h": "no-hosts", "H": "addn-hosts", "p": "port", "q": "log-queries",
        "S": "server", "F": "dhcp-range", "G": "dhcp-host", "O": "dhcp-option",
        "k": "keep-in-foreground", "d": "no-daemon", "0": "dns-forward-max",
        "1": "enable-dbus", "2": "no-dhcp-interface", "3": "bootp-dynamic",
        "4": "dhcp-mac", "5": "no-ping", "6": "dhcp-script", "7": "conf-dir",
        "8": "log-facility", "9": "leasefile-ro", "z": "bind-interfaces", "Z": "read-ethers",
    }  # fmt: skip
    for letter, name in expected.items():
        assert BY_SHORT[letter].name == name


def test_argument_kinds_follow_getopt() -> None:
    assert BY_NAME["no-hosts"].arg is Arg.NONE
    assert BY_NAME["port"].arg is Arg.REQUIRED
    assert BY_NAME["log-queries"].arg is Arg.OPTIONAL
    assert BY_NAME["enable-tftp"].arg is Arg.OPTIONAL
    assert BY_NAME["cache-size"].arg is Arg.OPTIONAL  # read off the 2.90 binary
    assert BY_NAME["conf-file"].arg is Arg.OPTIONAL


@pytest.mark.parametrize("opt", OPTIONS, ids=lambda o: o.name)
def test_every_option_has_help_and_a_consumer(opt: object) -> None:
    from lanctl.config.options import Option

    assert isinstance(opt, Option)
    assert opt.help.endswith((".", "?", "!", ")")), opt.help
    assert opt.consumers != Sub(0)
    if opt.status is Status.REJECTED:
        assert opt.note, f"{opt.name} is rejected without saying why"


@pytest.mark.parametrize(
    "name", sorted(n for n in EXAMPLES if BY_NAME[n].status is not Status.REJECTED)
)
def test_example_value_parses(name: str) -> None:
    opt = BY_NAME[name]
    opt.parse(EXAMPLES[name], Where("t.conf", 1, name))


def test_flags_parse_to_true_and_refuse_values() -> None:
    flag = BY_NAME["no-hosts"]
    assert flag.parse("", Where()) is True
    with pytest.raises(ConfigError):
        flag.parse("yes", Where())


def _first_sentences_from_man_page(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^ {7}(?:-\w, +)?--([a-zA-Z0-9-]+)", line)
        if not m or line.startswith("        "):
            continue
        body: list[str] = []
        inline = line[m.end() :].strip()
        if inline and inline[0].isalpha():  # "--test Read and syntax check ..."
            body.append(inline)
        j = i + 1
        while j < len(lines) and re.match(r"^ {7}\S", lines[j]):
            j += 1
        while j < len(lines) and lines[j].startswith(" " * 14):
            body.append(lines[j].strip())
            j += 1
        joined = re.sub(r"\s+", " ", " ".join(body).replace("\u2010 ", ""))
        out.setdefault(m.group(1), joined)
    return out


@pytest.mark.skipif(not MAN_PAGE.exists(), reason="shared reference man page not beside the repo")
def test_help_is_the_first_sentence_of_the_man_page() -> None:
    bodies = _first_sentences_from_man_page(MAN_PAGE.read_text())
    checked = 0
    for opt in DNSMASQ_OPTIONS:
        body = bodies.get(opt.name)
        if not body:
            continue
        assert body.replace("dynamic- host", "dynamic-host").startswith(opt.help), opt.name
        checked += 1
    assert checked > 150
