"""Rich tables for `lanctl cache stats`, `cache dump` and `cache clear` on a terminal.

The input is whatever the control socket answered (JSON values), so the rendering is
generic: scalars become rows, nested objects become dotted keys, lists of objects become
their own table with one column per key.  Piped output is JSON and never comes here.
Rich is imported inside the functions (start-up cost, convention 10).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from lanctl.service import JsonValue

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def _console(console: Console | None) -> Console:
    if console is not None:
        return console
    from rich.console import Console

    return Console()


def _cell(value: JsonValue) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return ", ".join(_cell(v) for v in value)
    return json.dumps(value, sort_keys=True)


def _is_records(value: JsonValue) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _flatten(prefix: str, value: JsonValue, rows: list[tuple[str, str]]) -> None:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, rows)
    else:
        rows.append((prefix, _cell(value)))


def records_table(title: str | None, records: Iterable[dict[str, JsonValue]]) -> Table:
    """One row per record, one column per key (keys in first-seen order)."""
    from rich.table import Table

    records = list(records)
    columns: list[str] = []
    for record in records:
        columns.extend(key for key in record if key not in columns)
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for record in records:
        table.add_row(*(_cell(record.get(column)) for column in columns))
    return table


def stats_tables(result: JsonValue) -> list[Table]:
    """Tables for a `stats` answer: {service: {counter: value, ...}, ...}."""
    from rich.table import Table

    if not isinstance(result, dict):
        result = {"result": result}
    tables: list[Table] = []
    for service, counters in result.items():
        table = Table(title=str(service))
        table.add_column("counter")
        table.add_column("value", justify="right")
        extra: list[Table] = []
        rows: list[tuple[str, str]] = []
        items = counters.items() if isinstance(counters, dict) else [("value", counters)]
        for key, value in items:
            if _is_records(value):
                extra.append(records_table(f"{service}: {key}", value))
            else:
                _flatten(str(key), value, rows)
        for key, text in rows:
            table.add_row(key, text)
        tables.append(table)
        tables.extend(extra)
    return tables


def print_stats(result: JsonValue, console: Console | None = None) -> None:
    """Print a `stats` answer as one table per service."""
    out = _console(console)
    for table in stats_tables(result):
        out.print(table)


def print_cache_dump(result: JsonValue, console: Console | None = None) -> None:
    """Print a `cache.dump` answer: a list of entries (or {"entries": [...], ...})."""
    out = _console(console)
    entries = result.get("entries") if isinstance(result, dict) else result
    if isinstance(entries, list) and not entries:
        out.print("cache is empty")
    elif isinstance(entries, list) and _is_records(entries):
        out.print(records_table(f"cache: {len(entries)} entries", entries))
    else:
        print_result(result, out)


def print_cleared(result: JsonValue, console: Console | None = None) -> None:
    """Print a `cache.clear` answer."""
    out = _console(console)
    counts = list(result.values()) if isinstance(result, dict) else []
    if len(counts) == 1 and isinstance(counts[0], int) and not isinstance(counts[0], bool):
        out.print(f"cache cleared: {counts[0]} entries removed", highlight=False)
    elif isinstance(result, dict) and result:
        rows: list[tuple[str, str]] = []
        _flatten("", result, rows)
        out.print("cache cleared: " + ", ".join(f"{k} {v}" for k, v in rows), highlight=False)
    else:
        out.print("cache cleared")


def print_result(result: JsonValue, console: Console | None = None) -> None:
    """Anything else: pretty JSON."""
    _console(console).print_json(json.dumps(result, sort_keys=True))
