"""The configuration-file line syntax (lanctl.config.lexer), as dnsmasq 2.90 reads it.

Each expectation was checked with `dnsmasq --test -C file`; for values, dnsmasq's reading
was seen through `conf-file=<value>` ("cannot read <value>: ...").
"""

from __future__ import annotations

import pytest

from lanctl.config.lexer import lex_config, quoted_chars, unquote
from lanctl.errors import ConfigError, Where

LEX: list[tuple[str, list[tuple[int, str, str | None]]]] = [
    ("", []),
    ("\n\n  \t \n", []),
    ("# comment\n  # indented comment\n", []),
    ("port=5353\n", [(1, "port", "5353")]),
    ("port=5353", [(1, "port", "5353")]),  # no final newline
    ("no-hosts\n", [(1, "no-hosts", None)]),
    ("port\n", [(1, "port", None)]),
    ("port=\n", [(1, "port", "")]),
    ("  port = 5353  \n", [(1, "port", "5353")]),
    ("port\t=\t53\n", [(1, "port", "53")]),
    ("port=53\r\n", [(1, "port", "53")]),
    ("port=5353 # comment\n", [(1, "port", "5353")]),
    ("port=5353\t# comment\n", [(1, "port", "5353")]),
    ("port=5353# not a comment\n", [(1, "port", "5353# not a comment")]),
    ("port==53\n", [(1, "port", "=53")]),
    ("=53\n", [(1, "", "53")]),
    ("a=b=c\n", [(1, "a", "b=c")]),
    ("x=a\tb  c\n", [(1, "x", "a b  c")]),  # unquoted blanks become spaces
    ("\n\nport=1\n\nno-hosts\n", [(3, "port", "1"), (5, "no-hosts", None)]),
    # quotes: the value keeps them; comments inside them are text
    ('txt-record=a,"x, y",z # c\n', [(1, "txt-record", 'a,"x, y",z')]),
    ('port="53"\n', [(1, "port", '"53"')]),
    ('x="a # b"\n', [(1, "x", '"a # b"')]),
    ('x="a\tb"\n', [(1, "x", '"a\tb"')]),  # quoted blanks are kept as written
    ('x="a\\tb\\"c"\n', [(1, "x", '"a\\tb\\"c"')]),
    ('"port"=53\n', [(1, "port", "53")]),  # dnsmasq removes quotes before the name lookup
    ('"dhcp-range"=1\n', [(1, '"dhcp-range"', "1")]),  # quoting hides a, c, e: no match
    ('x=a ""#d\n', [(1, "x", "a")]),
    ('x=a "c"#d\n', [(1, "x", 'a "c"')]),  # '#' after quotes that followed a blank
    ('x=a"c"#d\n', [(1, "x", 'a"c"#d')]),
    ('port="53"#x\n', [(1, "port", '"53"#x')]),
    ('x=53 ""\n', [(1, "x", "53")]),
    ('x=""\n', [(1, "x", "")]),
    ('x="/a""b""\n', [(1, "x", '"/a""b')]),  # the quote after a closing one is literal
    ('x= """\n', [(1, "x", '"""')]),
    ('"x=a"\n', [(1, "x", '"a"')]),
]


@pytest.mark.parametrize(("text", "expected"), LEX)
def test_lex_config(text: str, expected: list[tuple[int, str, str | None]]) -> None:
    assert lex_config(text, "/etc/x.conf") == expected


# (raw value as lexed, dnsmasq's reading of it)
UNQUOTE: list[tuple[str, str]] = [
    ("plain", "plain"),
    ('"a b"', "a b"),
    ('"/tmp/a\\tb\\\\c\\"d\\qe"', '/tmp/a\tb\\c"d\\qe'),
    ('/tmp/a\\tb"c #d"', "/tmp/a\\tbc #d"),  # backslash escapes only inside quotes
    ('"\\e\\b\\r\\n"', "\x1b\b\r\n"),
    ('a "c"', "a c"),
    ('"/a""b', '/a"b'),
    ('"""', '"'),
    ('a,"x, y",z', "a,x, y,z"),
]


@pytest.mark.parametrize(("raw", "expected"), UNQUOTE)
def test_unquote(raw: str, expected: str) -> None:
    assert unquote(raw) == expected


def test_unquote_round_trips_every_lexed_value() -> None:
    """The raw value handed on reads the same as dnsmasq's in-place quote pass."""
    cases = {
        'conf-file="/tmp/a""b""\n': '/tmp/a"b',
        'conf-file=/tmp/ab "#c"#d\n': "/tmp/ab #c",
        'conf-file=/tmp/ab "c"#d\n': "/tmp/ab c",
        'conf-file=/tmp/ab ""#d\n': "/tmp/ab",
        "conf-file=/tmp/a\tb\n": "/tmp/a b",
    }
    for text, reading in cases.items():
        [(_, _, raw)] = lex_config(text, "f")
        assert raw is not None
        assert unquote(raw) == reading


def test_quoted_chars_marks_protected_characters() -> None:
    assert quoted_chars('a,"b,c"') == [
        ("a", False),
        (",", False),
        ("b", True),
        (",", True),
        ("c", True),
    ]


def test_unquote_rejects_an_open_quote() -> None:
    with pytest.raises(ValueError, match='missing closing "'):
        unquote('"abc')


def test_missing_quote_is_an_error_with_its_line() -> None:
    with pytest.raises(ConfigError) as caught:
        lex_config('port=1\ntxt-record=a,"b\n', "/etc/x.conf")
    assert caught.value.where == Where("/etc/x.conf", 2)
    assert str(caught.value) == 'bad option at line 2 of /etc/x.conf: missing closing "'


def test_long_lines_are_read_in_1024_byte_pieces() -> None:
    # dnsmasq: a 1024-byte line (plus newline) is one line, its newline a second (empty) one
    assert lex_config("#" + "x" * 1023 + "\nport=5\n", "f") == [(3, "port", "5")]
    # the tail of a longer line is read as a line of its own
    assert lex_config("#" + "x" * 1023 + "port=5\n", "f") == [(2, "port", "5")]
    assert lex_config("#" + "x" * 1024 + "\n", "f") == [(2, "x", None)]
    assert lex_config("#" + "x" * 1022 + "\n", "f") == []


def test_nul_byte_ends_the_line() -> None:
    assert lex_config("port=53\0junk\nno-hosts\0=1\n", "f") == [
        (1, "port", "53"),
        (2, "no-hosts", None),
    ]
