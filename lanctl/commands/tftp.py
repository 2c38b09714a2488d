"""`lanctl tftp`: Run the TFTP server alone."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles
from lanctl.commands._registry_help import RegistryHelpCommand

app = typer.Typer(no_args_is_help=True, help="Run the TFTP server alone.")


@app.command("serve", context_settings=PASSTHROUGH, cls=RegistryHelpCommand)
def serve(ctx: typer.Context, conf_file: ConfFiles = None) -> None:
    """Run the TFTP server alone."""
    from lanctl.commands._run import serve as run_serve

    run_serve(conf_file, ctx.args, only=("tftp",))
