"""Repeat and precedence rules, as dnsmasq 2.90 applies them (checked with --test)."""

from __future__ import annotations

import pytest

from lanctl.config.options import Setting, Sub
from lanctl.config.registry import BY_NAME
from lanctl.config.values import collect
from lanctl.errors import ConfigError, Where


def s(name: str, raw: str | None, file: str | None = "a.conf", line: int = 1) -> Setting:
    return Setting(BY_NAME[name], raw, Where(file, line if file else None, name))


def test_single_valued_option_twice_in_files_is_an_error_naming_both() -> None:
    with pytest.raises(ConfigError) as err:
        collect([s("port", "5353", line=1), s("port", "5354", "b.conf", 7)])
    assert str(err.value).startswith("bad option at line 7 of b.conf: illegal repeated keyword")
    assert "line 1 of a.conf" in str(err.value)


def test_single_valued_option_twice_on_command_line_is_an_error() -> None:
    with pytest.raises(ConfigError, match="illegal repeated flag"):
        collect([s("port", "1", None), s("port", "2", None)])


def test_file_value_overrides_command_line_as_in_dnsmasq_with_a_warning() -> None:
    # dnsmasq 2.90: `-C f --port=5392` with `port=5391` in f listens on 5391.
    values = collect([s("port", "5392", None), s("port", "5391", "f.conf", 4)])
    assert values.get("port") == 5391
    assert len(values.occurrences("port")) == 1
    assert values.warnings == [
        "warning: --port=5392 on the command line is overridden by port=5391 at line 4 of "
        "f.conf (as in dnsmasq)"
    ]


def test_quotes_are_removed_for_plain_values_but_kept_for_quote_aware_grammars() -> None:
    values = collect([s("pid-file", '"/tmp/a b.pid"'), s("dhcp-option", '66,"192.0.2.1"')])
    assert values.get("pid-file") == "/tmp/a b.pid"
    [opt] = values.all("dhcp-option")
    assert getattr(opt, "literal", None) is True


def test_repeatable_options_accumulate_command_line_first() -> None:
    values = collect([s("addn-hosts", "/c", None), s("addn-hosts", "/f1"), s("addn-hosts", "/f2")])
    assert values.all("addn-hosts") == ["/c", "/f1", "/f2"]


def test_flags_may_repeat() -> None:
    values = collect([s("no-hosts", None), s("no-hosts", None, line=2)])
    assert values.has("no-hosts")


def test_flag_with_value_and_required_without_value_are_errors() -> None:
    with pytest.raises(ConfigError, match="takes no argument"):
        collect([s("no-hosts", "1")])
    with pytest.raises(ConfigError, match="needs an argument"):
        collect([s("port", None)])


def test_bad_value_error_names_file_and_line() -> None:
    with pytest.raises(ConfigError) as err:
        collect([s("port", "notaport", "x.conf", 12)])
    assert str(err.value).startswith("bad option at line 12 of x.conf:")


def test_empty_optional_values_switch_features_off() -> None:
    values = collect([s("pid-file", None)])
    assert values.get("pid-file", "default") is None


def test_rejected_option_is_an_error_with_reason() -> None:
    with pytest.raises(ConfigError, match="dhcp-luascript is not supported"):
        collect([s("dhcp-luascript", "/x.lua")])


def test_accepted_but_unimplemented_option_warns_with_position() -> None:
    values = collect([s("dnssec", None, "d.conf", 3)])
    assert values.warnings == [
        "warning: dnssec at line 3 of d.conf: not implemented yet: it is accepted but has no effect"
    ]


def test_consumer_view_refuses_undeclared_reads() -> None:
    values = collect([s("port", "53")])
    view = values.for_consumer(Sub.DHCP4)
    with pytest.raises(KeyError):
        view.get("port")
    assert values.for_consumer(Sub.DNS).get("port") == 53
