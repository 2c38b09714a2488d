"""`lanctl ra`: Send IPv6 router advertisements alone."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles
from lanctl.commands._registry_help import RegistryHelpCommand

app = typer.Typer(no_args_is_help=True, help="Send IPv6 router advertisements alone.")


@app.command("serve", context_settings=PASSTHROUGH, cls=RegistryHelpCommand)
def serve(ctx: typer.Context, conf_file: ConfFiles = None) -> None:
    """Send IPv6 router advertisements alone."""
    from lanctl.commands._run import serve as run_serve

    run_serve(conf_file, ctx.args, only=("ra",))


@app.command("probe")
def probe(
    iface: str = typer.Argument(..., help="Interface to solicit on."),
    timeout: float = typer.Option(3.0, help="Seconds to wait for advertisements."),
) -> None:
    """Send a router solicitation and list every router that answers."""
    from lanctl.diag.probe import ra_probe

    ra_probe(iface, timeout)
