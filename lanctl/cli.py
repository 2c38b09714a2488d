"""The root Typer application and `main()`, which maps errors to dnsmasq's exit codes.

Only typer, typing and lanctl.commands.* are imported at module level, so that
`lanctl --help` stays fast (ARCHITECTURE convention 10).  Every heavy import lives
inside a command body.
"""

from __future__ import annotations

import os
import sys

import typer

from lanctl import __version__
from lanctl.commands import (
    all as all_cmd,
)
from lanctl.commands import (
    cache,
    dhcp,
    dns,
    pxe_proxy,
    ra,
    test_config,
    tftp,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lanctl version {__version__} (dnsmasq 2.90 compatible)")
        raise typer.Exit()


app = typer.Typer(
    name="lanctl",
    help="LAN services toolkit: a dnsmasq-compatible DNS, DHCP, RA, TFTP and PXE server.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=True,
)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """LAN services toolkit: a dnsmasq-compatible DNS, DHCP, RA, TFTP and PXE server."""


all_cmd.register(app)
test_config.register(app)
app.add_typer(dns.app, name="dns")
app.add_typer(dhcp.app, name="dhcp")
app.add_typer(ra.app, name="ra")
app.add_typer(tftp.app, name="tftp")
app.add_typer(pxe_proxy.app, name="pxe-proxy")
app.add_typer(cache.app, name="cache")


def main() -> None:
    """Run the CLI; a LanctlError becomes `lanctl: <message>` and dnsmasq's exit code."""
    from lanctl.errors import LanctlError

    try:
        app(prog_name="lanctl", standalone_mode=True)
    except LanctlError as err:
        if os.environ.get("LANCTL_DEBUG") == "1":
            raise
        print(f"lanctl: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
