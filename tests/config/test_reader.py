"""Reading configuration files and the whole dnsmasq read order (lanctl.config.reader).

The behaviours below were checked against dnsmasq 2.90 (`dnsmasq --test`, strace for
the order in which files are opened).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from lanctl.config.options import Setting
from lanctl.config.reader import read_all, read_file, read_servers_file
from lanctl.errors import ConfigError, FileSystemError, ScriptError, Where
from tests.config.fake_options import NAMES, SHORTS


def pairs(settings: list[Setting]) -> list[tuple[str, str | None]]:
    return [(s.option.name, s.raw) for s in settings]


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def read(path: str, stdin: str = "") -> list[Setting]:
    return read_file(path, names=NAMES, stdin=io.StringIO(stdin))


def everything(argv: list[str], default: str = "/nonexistent/dnsmasq.conf") -> list[Setting]:
    return read_all(argv, names=NAMES, shorts=SHORTS, default_conf=default)


# --------------------------------------------------------------------------- one file


def test_read_file_settings_and_where(tmp_path: Path) -> None:
    conf = write(tmp_path / "a.conf", "# top\nport=5353\n\n  no-hosts  # flag\ndomain-suffix=x\n")
    settings = read(conf)
    assert pairs(settings) == [("port", "5353"), ("no-hosts", None), ("domain", "x")]
    assert [s.where for s in settings] == [
        Where(conf, 2, "port"),
        Where(conf, 4, "no-hosts"),
        Where(conf, 5, "domain-suffix"),
    ]
    assert not any(s.from_command_line for s in settings)


FILE_ERRORS: list[tuple[str, int, str, str | None]] = [
    (
        "port=1\n\ndhcp-rnage=1,2\n",
        3,
        'unknown option "dhcp-rnage" (did you mean dhcp-range?)',
        "dhcp-rnage",
    ),
    ("p=53\n", 1, 'unknown option "p"', "p"),  # letters are command-line only
    ("no-hos\n", 1, 'unknown option "no-hos" (did you mean no-hosts?)', "no-hos"),  # no prefixes
    ("port\n", 1, "missing parameter", "port"),
    ("dhcp-lease\n", 1, "missing parameter", "dhcp-lease"),  # the alias is REQUIRED
    ("no-hosts=1\n", 1, "extraneous parameter", "no-hosts"),
    ("no-hosts=\n", 1, "extraneous parameter", "no-hosts"),
    ("no-hosts =\n", 1, "extraneous parameter", "no-hosts"),
    ('port=1\ntxt-record="a\n', 2, 'missing closing "', None),
]


@pytest.mark.parametrize(("text", "line", "message", "option"), FILE_ERRORS)
def test_file_errors(tmp_path: Path, text: str, line: int, message: str, option: str) -> None:
    conf = write(tmp_path / "x.conf", text)
    with pytest.raises(ConfigError) as caught:
        read(conf)
    assert caught.value.where == Where(conf, line, option)
    assert str(caught.value) == f"bad option at line {line} of {conf}: {message}"
    assert caught.value.exit_code == 1


def test_error_message_shape_matches_the_brief() -> None:
    error = ConfigError(
        'unknown option "dhcp-rnage" (did you mean dhcp-range?)',
        Where("/etc/dnsmasq.conf", 12, "dhcp-rnage"),
    )
    assert str(error) == (
        "bad option at line 12 of /etc/dnsmasq.conf: "
        'unknown option "dhcp-rnage" (did you mean dhcp-range?)'
    )


def test_optional_and_flag_arguments_in_files(tmp_path: Path) -> None:
    conf = write(tmp_path / "x.conf", "log-queries\nlog-queries=extra\nlog-queries=\n")
    assert pairs(read(conf)) == [
        ("log-queries", None),
        ("log-queries", "extra"),
        ("log-queries", ""),
    ]


def test_tail_of_a_long_line_is_flagged(tmp_path: Path) -> None:
    conf = write(tmp_path / "x.conf", "#" + "x" * 1030 + "\n")
    with pytest.raises(ConfigError) as caught:
        read(conf)
    assert caught.value.where == Where(conf, 2, "xxxxxxx")
    assert "dnsmasq reads lines longer than 1024 bytes in pieces" in caught.value.detail


def test_missing_file_is_a_filesystem_error(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.conf")
    with pytest.raises(FileSystemError) as caught:
        read(missing)
    assert str(caught.value) == f"cannot read {missing}: No such file or directory"
    assert caught.value.exit_code == 3


def test_a_directory_reads_as_empty(tmp_path: Path) -> None:
    assert read(str(tmp_path)) == []  # dnsmasq: fopen() works, fgets() reads nothing


# --------------------------------------------------------------------------- includes


def test_conf_file_include_is_followed_in_place(tmp_path: Path) -> None:
    inner = write(tmp_path / "inner.conf", "no-hosts\n")
    outer = write(tmp_path / "outer.conf", f"port=1\nconf-file={inner}\ndomain-needed\n")
    settings = read(outer)
    assert pairs(settings) == [
        ("port", "1"),
        ("conf-file", inner),
        ("no-hosts", None),
        ("domain-needed", None),
    ]
    assert settings[2].where == Where(inner, 1, "no-hosts")


def test_quoted_include_path(tmp_path: Path) -> None:
    inner = write(tmp_path / "in ner.conf", "no-hosts\n")
    outer = write(tmp_path / "outer.conf", f'conf-file="{inner}" # a comment\n')
    assert pairs(read(outer)) == [("conf-file", f'"{inner}"'), ("no-hosts", None)]


def test_relative_include_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "p.conf", "port=1\n")
    outer = write(tmp_path / "sub" / "rel.conf", "conf-file=p.conf\n")
    monkeypatch.chdir(tmp_path)
    assert pairs(read(outer))[-1] == ("port", "1")
    monkeypatch.chdir(tmp_path / "sub")
    with pytest.raises(FileSystemError, match=r"cannot read p\.conf: No such file or directory"):
        read(outer)


def test_missing_include_is_a_filesystem_error(tmp_path: Path) -> None:
    outer = write(tmp_path / "outer.conf", f"conf-file={tmp_path}/gone.conf\n")
    with pytest.raises(FileSystemError) as caught:
        read(outer)
    assert str(caught.value) == f"cannot read {tmp_path}/gone.conf: No such file or directory"


def test_empty_conf_file_value_does_nothing(tmp_path: Path) -> None:
    conf = write(tmp_path / "x.conf", 'conf-file\nconf-file=\nconf-file=""\nport=1\n')
    assert pairs(read(conf)) == [
        ("conf-file", None),
        ("conf-file", ""),
        ("conf-file", ""),
        ("port", "1"),
    ]


def test_include_cycle_reads_each_file_once(tmp_path: Path) -> None:
    """dnsmasq skips a file it has already read (by device and inode): cycles end."""
    a, b = tmp_path / "a.conf", tmp_path / "b.conf"
    write(a, f"port=1\nconf-file={b}\nno-hosts\n")
    write(b, f"cache-size=10\nconf-file={a}\n")
    assert pairs(read(str(a))) == [
        ("port", "1"),
        ("conf-file", str(b)),
        ("cache-size", "10"),
        ("conf-file", str(a)),  # reported, but a.conf is not read again
        ("no-hosts", None),
    ]


def test_self_include_and_link_are_read_once(tmp_path: Path) -> None:
    conf = tmp_path / "self.conf"
    os.symlink(conf, tmp_path / "link.conf")
    write(conf, f"conf-file={conf}\nconf-file={tmp_path}/link.conf\nport=1\n")
    assert pairs(read(str(conf)))[-1] == ("port", "1")
    assert len(read(str(conf))) == 3


def test_stdin_is_read_once(tmp_path: Path) -> None:
    conf = write(tmp_path / "x.conf", "conf-file=-\nconf-file=-\nport=1\n")
    settings = read(conf, stdin="no-hosts\n")
    assert pairs(settings) == [
        ("conf-file", "-"),
        ("no-hosts", None),
        ("conf-file", "-"),
        ("port", "1"),
    ]
    assert settings[1].where == Where("stdin", 1, "no-hosts")


def test_stdin_errors_name_stdin() -> None:
    with pytest.raises(ConfigError) as caught:
        read("-", stdin="port=1\nbogus\n")
    assert str(caught.value) == 'bad option at line 2 of stdin: unknown option "bogus"'


# --------------------------------------------------------------------------- conf-dir


def make_dir(root: Path) -> Path:
    d = root / "dir"
    d.mkdir()
    for name in ("a.conf", "b.bak", "c~", ".hidden", "#x#", "#y", "z#", "d.txt", "e.conf.bak"):
        (d / name).write_text(f"txt-record={name}\n")
    for name in ("B.conf", "_u.conf", "10.conf", "9.conf", "conf"):
        (d / name).write_text(f"txt-record={name}\n")
    (d / "subdir.conf").mkdir()
    os.symlink(d / "a.conf", d / "link.conf")
    return d


def dir_files(tmp_path: Path, value: str) -> list[str | None]:
    conf = write(tmp_path / "main.conf", f"conf-dir={value}\n")
    return [s.raw for s in read(conf) if s.option.name == "txt-record"]


ALL_FILES = ["#y", "10.conf", "9.conf", "B.conf", "_u.conf", "a.conf", "b.bak", "conf"]
ALL_FILES += ["d.txt", "e.conf.bak", "z#"]

CONF_DIR: list[tuple[str, list[str]]] = [
    # strcmp order; "~", ".", "#...#" skipped; the link is a.conf again (read once)
    ("{d}", ALL_FILES),
    ("{d},.bak,.txt", ["#y", "10.conf", "9.conf", "B.conf", "_u.conf", "a.conf", "conf", "z#"]),
    ("{d},*.conf", ["10.conf", "9.conf", "B.conf", "_u.conf", "a.conf"]),
    ("{d},*.conf,*.txt,.txt", ["10.conf", "9.conf", "B.conf", "_u.conf", "a.conf"]),
    # a bare "*" is no rule; a suffix must be shorter than the name ("conf" is kept)
    ("{d},*,conf, ,", ["#y", "b.bak", "conf", "d.txt", "e.conf.bak", "z#"]),
    ("{d},a.conf", ALL_FILES),
    ("{d} , *conf", ["10.conf", "9.conf", "B.conf", "_u.conf", "a.conf"]),
    ("{d},*#", ["z#"]),
    ('{d},"*.conf,.txt"', []),  # a quoted comma does not split: one odd suffix
]


@pytest.mark.parametrize(("value", "expected"), CONF_DIR)
def test_conf_dir_selection_and_order(tmp_path: Path, value: str, expected: list[str]) -> None:
    d = make_dir(tmp_path)
    assert dir_files(tmp_path, value.format(d=d)) == expected


def test_conf_dir_where_joins_with_a_slash(tmp_path: Path) -> None:
    d = tmp_path / "dir"
    d.mkdir()
    (d / "x.conf").write_text("port=1\n")
    conf = write(tmp_path / "main.conf", f"conf-dir={d}/\n")
    assert read(conf)[1].where == Where(f"{d}//x.conf", 1, "port")


def test_conf_dir_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(FileSystemError) as caught:
        dir_files(tmp_path, str(missing))
    assert str(caught.value) == f"cannot access directory {missing}: No such file or directory"
    assert caught.value.exit_code == 3
    plain = write(tmp_path / "plain", "")
    with pytest.raises(FileSystemError, match=f"cannot access directory {plain}: Not a directory"):
        dir_files(tmp_path, plain)
    d = tmp_path / "d"
    d.mkdir()
    os.symlink(tmp_path / "nowhere", d / "broken.conf")
    with pytest.raises(FileSystemError) as caught:
        dir_files(tmp_path, str(d))
    assert str(caught.value) == f"cannot access {d}/broken.conf: No such file or directory"
    # a broken link that the suffix rules skip is never looked at
    assert dir_files(tmp_path, f"{d},*.txt") == []


# --------------------------------------------------------------------------- conf-script


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "gen.sh"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return str(path)


def test_conf_script_output_is_configuration(tmp_path: Path) -> None:
    gen = script(tmp_path, 'echo "port=5353"\necho "cache-size=$1"\n')
    conf = write(tmp_path / "x.conf", f"conf-script={gen} 100 # comment\n")
    settings = read(conf)
    assert pairs(settings) == [
        ("conf-script", f"{gen} 100"),
        ("port", "5353"),
        ("cache-size", "100"),
    ]
    assert str(settings[2].where) == f"line 2 of output from {gen} 100"


def test_conf_script_errors(tmp_path: Path) -> None:
    gen = script(tmp_path, 'echo "bogus"\n')
    with pytest.raises(ConfigError) as caught:
        everything([f"--conf-script={gen}"])
    assert str(caught.value) == f'bad option at line 1 of output from {gen}: unknown option "bogus"'
    gen = script(tmp_path, 'echo "port=1"\nexit 3\n')
    with pytest.raises(ScriptError) as failed:
        everything([f"--conf-script={gen}"])
    assert str(failed.value) == f"{gen} returns non-zero error code"
    assert failed.value.exit_code == 10  # dnsmasq exits 10 (EC_INIT_OFFSET)


def test_conf_script_without_arguments_runs_once(tmp_path: Path) -> None:
    gen = script(tmp_path, 'echo "no-hosts"\n')
    assert pairs(everything([f"--conf-script={gen}", f"--conf-script={gen}"])) == [
        ("conf-script", gen),
        ("conf-script", gen),
        ("no-hosts", None),
    ]


def test_runaway_conf_script_nesting_is_bounded(tmp_path: Path) -> None:
    gen = script(tmp_path, 'echo "conf-script=$0 x$1"\n')
    with pytest.raises(ConfigError, match="nested too deeply"):
        everything([f"--conf-script={gen}"])


# --------------------------------------------------------------------------- read_all


def test_command_line_first_then_files(tmp_path: Path) -> None:
    conf = write(tmp_path / "x.conf", "no-hosts\n")
    settings = everything(["-p", "53", "-C", conf, "--domain-needed"])
    assert pairs(settings) == [
        ("port", "53"),
        ("conf-file", conf),
        ("domain-needed", None),
        ("no-hosts", None),
    ]
    assert settings[0].where == Where(None, None, "port")
    assert settings[3].where == Where(conf, 1, "no-hosts")


def test_first_conf_file_is_read_last(tmp_path: Path) -> None:
    """dnsmasq defers the first -C; later -C and --conf-dir are read during the argv pass."""
    a = write(tmp_path / "a.conf", "txt-record=a\n")
    b = write(tmp_path / "b.conf", "txt-record=b\n")
    c = write(tmp_path / "c.conf", "txt-record=c\n")
    d = tmp_path / "d"
    d.mkdir()
    write(d / "x.conf", "txt-record=d\n")
    settings = everything(["-C", a, "-C", b, f"--conf-dir={d}", "-C", c])
    assert [s.raw for s in settings if s.option.name == "txt-record"] == ["b", "d", "c", "a"]


def test_default_conf_only_without_conf_file(tmp_path: Path) -> None:
    default = write(tmp_path / "dnsmasq.conf", "no-hosts\n")
    assert pairs(everything([], default)) == [("no-hosts", None)]
    assert pairs(everything(["--conf-file="], default)) == [("conf-file", ""), ("no-hosts", None)]
    other = write(tmp_path / "other.conf", "port=1\n")
    assert pairs(everything(["-C", other], default)) == [("conf-file", other), ("port", "1")]
    # an empty first -C does not count: the next one is the main file
    assert pairs(everything(["--conf-file=", "-C", other], default))[-1] == ("port", "1")


def test_missing_default_is_fine_missing_explicit_is_not(tmp_path: Path) -> None:
    assert everything([], str(tmp_path / "absent.conf")) == []
    with pytest.raises(FileSystemError) as caught:
        everything(["-C", "/nonexistent"])
    assert str(caught.value) == "cannot read /nonexistent: No such file or directory"
    assert caught.value.exit_code == 3


def test_command_line_values_are_not_unquoted(tmp_path: Path) -> None:
    """dnsmasq gives quotes no meaning on the command line: the name includes them."""
    with pytest.raises(FileSystemError, match='cannot read "/x y": No such file'):
        everything(['--conf-file="/x y"'])


def test_command_line_stdin(tmp_path: Path) -> None:
    settings = read_all(
        ["-C", "-"], names=NAMES, shorts=SHORTS, stdin=io.StringIO("port=1\n# c\nno-hosts\n")
    )
    assert pairs(settings) == [("conf-file", "-"), ("port", "1"), ("no-hosts", None)]
    assert settings[2].where == Where("stdin", 3, "no-hosts")


def test_read_all_does_not_expand_servers_file(tmp_path: Path) -> None:
    servers = write(tmp_path / "servers", "server=192.0.2.1\n")
    assert pairs(everything([f"--servers-file={servers}"])) == [("servers-file", servers)]
    assert pairs(everything([f"--servers-file={tmp_path}/absent"])) == [
        ("servers-file", f"{tmp_path}/absent")
    ]


# --------------------------------------------------------------------------- servers-file


def test_servers_file_keeps_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path / "servers",
        "# upstreams\nserver=192.0.2.1\nport=5353\nbogus\nserver\n"
        "rev-server=192.0.2.0/24,192.0.2.1\nserver=/x/192.0.2.2 # c\n",
    )
    settings, problems = read_servers_file(path, names=NAMES)
    assert pairs(settings) == [
        ("server", "192.0.2.1"),
        ("rev-server", "192.0.2.0/24,192.0.2.1"),
        ("server", "/x/192.0.2.2"),
    ]
    assert settings[0].where == Where(path, 2, "server")
    assert [str(p) for p in problems] == [
        f"bad option at line 3 of {path}: illegal option: a servers-file may hold only"
        " server and rev-server",
        f'bad option at line 4 of {path}: unknown option "bogus"',
        f"bad option at line 5 of {path}: missing parameter",
    ]


def test_missing_servers_file_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    settings, problems = read_servers_file(str(tmp_path / "absent"), names=NAMES)
    assert settings == []
    assert [str(p) for p in problems] == [
        f"cannot read {tmp_path}/absent: No such file or directory"
    ]
    assert isinstance(problems[0], FileSystemError)
