"""`lanctl cache dump|stats|clear`: talk to a running server over its control socket."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles, ControlSocket, JsonOut

app = typer.Typer(no_args_is_help=True, help="Inspect or clear a running server's DNS cache.")

# (subcommand, control-socket command, help): each becomes `lanctl cache <subcommand>`.
COMMANDS = (
    ("dump", "cache.dump", "Every cache entry: name, type, TTL left, flags, source."),
    ("stats", "stats", "Cache size, insertions, evictions, hits, misses, per-server counters."),
    ("clear", "cache.clear", "Empty the cache (as SIGHUP does, without re-reading hosts files)."),
)


def _register(name: str, command: str, doc: str) -> None:
    @app.command(name, context_settings=PASSTHROUGH, help=doc)
    def _cmd(
        ctx: typer.Context,
        conf_file: ConfFiles = None,
        control_socket: ControlSocket = None,
        json_out: JsonOut = False,
    ) -> None:
        from lanctl.control.client import run_command

        run_command(command, conf_file, ctx.args, control_socket, json_out)


for _name, _command, _doc in COMMANDS:
    _register(_name, _command, _doc)
