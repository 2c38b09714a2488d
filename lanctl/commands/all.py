"""`lanctl all`: everything the configuration enables, like `dnsmasq -k -C …`."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles
from lanctl.commands._registry_help import RegistryHelpCommand


def register(app: typer.Typer) -> None:
    @app.command(
        "all",
        context_settings=PASSTHROUGH,
        cls=RegistryHelpCommand,
        help="Run every service the configuration enables (dnsmasq -k). "
        "Any dnsmasq option, long or short, is accepted after the command.",
    )
    def all_(ctx: typer.Context, conf_file: ConfFiles = None) -> None:
        from lanctl.commands._run import serve

        serve(conf_file, ctx.args, only=("dns", "dhcp4", "dhcp6", "ra", "tftp", "pxe"))
