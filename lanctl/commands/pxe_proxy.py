"""`lanctl pxe-proxy`: Run proxy-DHCP and the PXE boot server (port 4011) alone."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles
from lanctl.commands._registry_help import RegistryHelpCommand

app = typer.Typer(
    no_args_is_help=True, help="Run proxy-DHCP and the PXE boot server (port 4011) alone."
)


@app.command("serve", context_settings=PASSTHROUGH, cls=RegistryHelpCommand)
def serve(ctx: typer.Context, conf_file: ConfFiles = None) -> None:
    """Run proxy-DHCP and the PXE boot server (port 4011) alone."""
    from lanctl.commands._run import serve as run_serve

    run_serve(conf_file, ctx.args, only=("pxe",))
