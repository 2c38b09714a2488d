"""Printing for `lanctl test-config`: dnsmasq's one line, a Rich report, or JSON.

Rich is imported only here, inside functions, and only when a report is wanted.
"""

from __future__ import annotations

import json
import sys

from lanctl.config.model import Config
from lanctl.config.report import test_config_report

SYNTAX_OK = "lanctl: syntax check OK."


def print_warnings(cfg: Config) -> None:
    for line in cfg.warnings:
        print(f"lanctl: {line}", file=sys.stderr)


def print_syntax_ok(cfg: Config) -> None:
    """What `dnsmasq --test` prints: warnings, then the OK line, on stderr."""
    print_warnings(cfg)
    print(SYNTAX_OK, file=sys.stderr)


def render_test_config(cfg: Config, *, json_out: bool, report: bool) -> None:
    """JSON on request; a Rich report on a TTY or with --report; always the OK line."""
    data = test_config_report(cfg)
    if json_out:
        print(json.dumps({"ok": True, **data}, indent=2, default=str))
        return
    if report or sys.stdout.isatty():
        _rich_report(data)
    print_syntax_ok(cfg)


def _rich_report(data: dict[str, object]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="lanctl test-config: what would run", show_lines=False)
    table.add_column("kind", style="bold")
    table.add_column("value")
    services = data["services"]
    assert isinstance(services, list)
    for svc in services:
        state = "ready" if svc["implemented"] else "not implemented yet (exit 5)"
        table.add_row("service", f"{svc['name']}: {state}")
    for kind in ("listeners", "ranges", "reservations", "upstreams", "warnings"):
        items = data[kind]
        assert isinstance(items, list)
        for item in items:
            table.add_row(kind.rstrip("s"), str(item))
    table.add_row("control socket", str(data["control_socket"]))
    table.add_row("pid file", str(data["pid_file"] or "none (disabled)"))
    Console().print(table)
