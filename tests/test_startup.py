"""Startup cost is part of the interface (ARCHITECTURE convention 10).

In a fresh interpreter, importing `lanctl.cli` and rendering `--help` must not load trio,
dnspython, scapy or rich.console: those belong inside command bodies.  Also checks that
`lanctl --help` lists every command and `lanctl --version` prints the version.  How fast
startup is gets measured by bench/cli_startup.sh, never asserted here (no timing in tests).
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import lanctl

HEAVY = ("trio", "dns", "scapy", "rich.console")
COMMANDS = ("all", "dns", "dhcp", "ra", "tftp", "pxe-proxy", "cache", "test-config")
MARKER = "----- sys.modules -----"

# Runs the Typer app in-process with the given argv, then lists what got imported.
PROBE = f"""
import sys
import lanctl.cli
try:
    lanctl.cli.app(sys.argv[1:], prog_name="lanctl")
except SystemExit as exc:
    code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
else:
    code = 0
print({MARKER!r})
print("exit", code)
print("\\n".join(sorted(sys.modules)))
"""


def _probe(*argv: str) -> tuple[str, int, set[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert MARKER in proc.stdout, proc.stderr
    head, _, tail = proc.stdout.partition(MARKER + "\n")
    exit_line, *modules = tail.splitlines()
    return head, int(exit_line.removeprefix("exit ")), set(modules)


def _heavy_loaded(modules: set[str]) -> list[str]:
    return sorted(m for m in modules for h in HEAVY if m == h or m.startswith(h + "."))


@pytest.mark.parametrize(
    "argv",
    [(), ("--help",), ("all", "--help"), ("dns", "serve", "--help"), ("test-config", "--help")],
    ids=["import-only", "--help", "all --help", "dns serve --help", "test-config --help"],
)
def test_no_heavy_imports(argv: tuple[str, ...]) -> None:
    if argv:
        _, code, modules = _probe(*argv)
        assert code == 0
    else:
        proc = subprocess.run(
            [sys.executable, "-c", "import sys, lanctl.cli; print('\\n'.join(sys.modules))"],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        modules = set(proc.stdout.splitlines())
        assert "lanctl.cli" in modules
    assert _heavy_loaded(modules) == []


def test_help_lists_every_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lanctl", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Usage: lanctl" in proc.stdout
    listed = {
        line.split()[0]
        for line in proc.stdout.partition("Commands:")[2].splitlines()
        if line.startswith("  ") and line.split()
    }
    assert set(COMMANDS) <= listed, proc.stdout


def test_version() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lanctl", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert lanctl.__version__ in proc.stdout
    assert proc.stdout.startswith("lanctl ")
