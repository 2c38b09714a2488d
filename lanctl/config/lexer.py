"""The dnsmasq configuration-file lexer: text to (line, option name, raw value).

Pure (no file access, no option table).  dnsmasq 2.90's rules, checked with `dnsmasq --test`:
one long option per line, "name" or "name=value" with blanks around "=" allowed; "#" starts
a comment at the start of a line or after a blank; double quotes protect blanks, commas and
"#" and resolve \\\\ \\" \\t \\n \\r \\b \\e; unquoted blanks count as spaces; lines are read
in 1024-byte pieces and end at a NUL byte, as dnsmasq's fgets() reads them.  Values are
returned as written, quotes intact: `unquote` / `quoted_chars` give dnsmasq's reading.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

from lanctl.errors import ConfigError, Where

__all__ = [
    "C_SPACE",
    "LINE_PIECE",
    "lex_config",
    "lex_data",
    "lex_line",
    "pieces",
    "quoted_chars",
    "split_unquoted",
    "unquote",
]

C_SPACE = " \t\n\v\f\r"
_SPACES_TO_BLANK = str.maketrans("\t\n\v\f\r", "     ")
_ESCAPES = {'"': '"', "t": "\t", "n": "\n", "e": "\x1b", "b": "\b", "r": "\r", "\\": "\\"}
# dnsmasq's hide_meta() table: inside quotes these characters become control codes, so a
# quoted option *name* containing one of them never matches ("port" does, "dhcp-range" not).
_META = "\x00123456 \b\t\n78\r90abcdefABCDE\x1bF:,."
LINE_PIECE = 1024  # fgets(buff, MAXDNAME) with MAXDNAME 1025


class _Unterminated(Exception):
    """A double quote without its closing partner."""


def _scan(line: str, comments: bool) -> tuple[list[str], list[int], list[int], dict[int, int]]:
    """dnsmasq's quote pass over one line.

    Returns the processed characters, for each the index of its opening quote (-1 when
    unquoted) and its index in `line`, plus {opening quote: closing quote}.  Unquoted
    blanks become " ".  Quirk kept from dnsmasq: the character right after a closing
    quote is read as unquoted, even a '"' ('"a""b"' is a, a literal '"', then b...), and a
    quoted section does not change the "after a blank" state that makes "#" a comment.
    """
    chars: list[str] = []
    segs: list[int] = []
    pos: list[int] = []
    closes: dict[int, int] = {}
    white = True
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == '"':
            opening = i
            i += 1
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n and line[i + 1] in _ESCAPES:
                    chars.append(_ESCAPES[line[i + 1]])
                    segs.append(opening)
                    pos.append(i)
                    i += 2
                else:
                    chars.append(line[i])
                    segs.append(opening)
                    pos.append(i)
                    i += 1
            if i >= n:
                raise _Unterminated
            closes[opening] = i
            i += 1
            if i >= n:
                break
            c = line[i]
        if c in C_SPACE:
            c, white = " ", True
        elif white and c == "#" and comments:
            break
        else:
            white = False
        chars.append(c)
        segs.append(-1)
        pos.append(i)
        i += 1
    return chars, segs, pos, closes


def quoted_chars(raw: str) -> list[tuple[str, bool]]:
    """A file value's characters after dnsmasq's quote pass, each with "was quoted".

    dnsmasq protects quoted characters from its splitters (commas, colons, dots, blanks)
    and from number parsing.  Raises ValueError for an unterminated quote.  Only for
    values read from files: dnsmasq gives quotes no meaning on the command line.
    """
    try:
        chars, segs, _, _ = _scan(raw, comments=False)
    except _Unterminated:
        raise ValueError('missing closing "') from None
    return [(c, s >= 0) for c, s in zip(chars, segs, strict=True)]


def split_unquoted(raw: str, sep: str = ",", limit: int | None = None) -> list[str]:
    """Split a file value at each `sep` outside quotes; fields keep their quotes as written.

    Blanks around each field are stripped.  With `limit`, at most `limit` fields are made
    and the last keeps its separators.  Raises ValueError for an unterminated quote.
    """
    try:
        _, segs, pos, _ = _scan(raw, comments=False)
    except _Unterminated:
        raise ValueError('missing closing "') from None
    cuts = [p for p, seg in zip(pos, segs, strict=True) if seg < 0 and raw[p] == sep]
    if limit is not None:
        cuts = cuts[: max(limit - 1, 0)]
    bounds = [-1, *cuts, len(raw)]
    return [raw[a + 1 : b].strip(C_SPACE) for a, b in pairwise(bounds)]


def unquote(raw: str) -> str:
    """A file value with quotes removed and escapes resolved, as dnsmasq stores strings."""
    return "".join(c for c, _ in quoted_chars(raw))


def _lex_simple(line: str) -> tuple[str, str | None] | None:
    """The common case: a line without any double quote."""
    text = line.translate(_SPACES_TO_BLANK)
    if text.startswith("#"):
        return None
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    text = text.strip(" ")
    if not text:
        return None
    name, eq, value = text.partition("=")
    return name.rstrip(" "), (value.lstrip(" ") if eq else None)


def _lex_quoted(line: str) -> tuple[str, str | None] | None:
    """A line with quotes: find name, "=" and value on the processed text, then give the
    value back as written (quotes and escapes intact, unquoted blanks as " ")."""
    chars, segs, pos, closes = _scan(line, comments=True)

    def blank(k: int) -> bool:
        return chars[k] == " " and segs[k] < 0

    lo, hi = 0, len(chars)
    while lo < hi and blank(lo):
        lo += 1
    while hi > lo and blank(hi - 1):
        hi -= 1
    if lo == hi:
        return None
    eq = next((k for k in range(lo, hi) if chars[k] == "="), hi)
    name_end = eq
    while name_end > lo and blank(name_end - 1):
        name_end -= 1
    name = _name_text(line, chars, segs, pos, closes, lo, name_end)
    if eq == hi:
        return name, None
    first = eq + 1
    while first < hi and blank(first):
        first += 1
    if first == hi:
        return name, ""
    start, prefix = pos[first], ""
    if segs[first] >= 0:
        if any(segs[k] == segs[first] for k in range(lo, first)):
            prefix = '"'  # the value starts inside the quotes that began in the name
        else:
            start = segs[first]
    elif chars[first] == '"':
        prefix = '""'  # a literal quote right after a closing one: keep it literal
    last = hi - 1
    end = closes[segs[last]] + 1 if segs[last] >= 0 else pos[last] + 1
    blanks = {pos[k] for k in range(first, hi) if blank(k)}
    body = "".join(" " if p in blanks else line[p] for p in range(start, end))
    return name, prefix + body


def _name_text(
    line: str,
    chars: list[str],
    segs: list[int],
    pos: list[int],
    closes: dict[int, int],
    lo: int,
    hi: int,
) -> str:
    """The option name; written as in the file when quoting hides one of its characters."""
    hidden = any(
        segs[k] >= 0 and _META.find(chars[k]) not in (-1, ord(chars[k])) for k in range(lo, hi)
    )
    if not hidden:
        return "".join(chars[lo:hi])
    start = segs[lo] if segs[lo] >= 0 else pos[lo]
    end = closes[segs[hi - 1]] + 1 if segs[hi - 1] >= 0 else pos[hi - 1] + 1
    return line[start:end]


def pieces(data: bytes) -> Iterator[tuple[str, bool]]:
    """Lines as dnsmasq's fgets() sees them: at most 1024 bytes, cut at a NUL byte.

    Yields (text, continued) where `continued` marks the tail of a longer line.
    """
    lines = data.split(b"\n")
    for index, line in enumerate(lines):
        full = line if index == len(lines) - 1 else line + b"\n"
        for offset in range(0, len(full), LINE_PIECE):
            piece = full[offset : offset + LINE_PIECE].split(b"\0", 1)[0].rstrip(b"\n")
            yield piece.decode("utf-8", "surrogateescape"), offset > 0


def lex_line(line: str) -> tuple[str, str | None] | None:
    """(name, raw value or None) of one line; None for a blank or comment line.

    Raises ValueError('missing closing "') for an unterminated quote.
    """
    try:
        return _lex_quoted(line) if '"' in line else _lex_simple(line)
    except _Unterminated:
        raise ValueError('missing closing "') from None


def lex_data(data: bytes, file: str) -> Iterator[tuple[int, str, str | None, bool]]:
    """(line number, name, raw, continued) for each option line; lazily, as dnsmasq does,
    so an include on line 2 is read before a syntax error on line 5 is seen."""
    for lineno, (line, continued) in enumerate(pieces(data), start=1):
        try:
            found = lex_line(line)
        except ValueError as error:
            raise ConfigError(str(error), Where(file, lineno)) from None
        if found is not None:
            yield lineno, found[0], found[1], continued


def lex_config(text: str, file: str) -> list[tuple[int, str, str | None]]:
    """(line number, option name, raw value or None) for each option line of `text`.

    Pure: names are not looked up.  Raises ConfigError for an unterminated quote.
    """
    data = text.encode("utf-8", "surrogateescape")
    return [(line, name, raw) for line, name, raw, _ in lex_data(data, file)]
