"""`lanctl test-config`: like `dnsmasq --test`, plus a report of what would run."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles, JsonOut
from lanctl.commands._registry_help import RegistryHelpCommand


def register(app: typer.Typer) -> None:
    @app.command("test-config", context_settings=PASSTHROUGH, cls=RegistryHelpCommand)
    def test_config(
        ctx: typer.Context,
        conf_file: ConfFiles = None,
        json_out: JsonOut = False,
        report: bool = typer.Option(
            False, "--report", help="Print the report of what would run (default on a TTY)."
        ),
    ) -> None:
        """Check the configuration: exit 0 and 'syntax check OK.', or the error and exit 1."""
        from lanctl.commands._run import argv_with_conf
        from lanctl.config import load
        from lanctl.diag.render import render_test_config

        cfg = load(argv_with_conf(conf_file, ctx.args))
        render_test_config(cfg, json_out=json_out, report=report)
