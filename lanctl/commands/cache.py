"""`lanctl cache dump|stats|clear`: talk to a running server over its control socket."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles, ControlSocket, JsonOut

app = typer.Typer(no_args_is_help=True, help="Inspect or clear a running server's DNS cache.")


def _call(
    command: str, conf_file: list[str] | None, extra: list[str], sock: str | None, json_out: bool
) -> None:
    from lanctl.control.client import run_command

    run_command(command, conf_file, extra, sock, json_out)


@app.command("dump", context_settings=PASSTHROUGH)
def dump(
    ctx: typer.Context,
    conf_file: ConfFiles = None,
    control_socket: ControlSocket = None,
    json_out: JsonOut = False,
) -> None:
    """Every cache entry: name, type, TTL left, flags, source."""
    _call("cache.dump", conf_file, ctx.args, control_socket, json_out)


@app.command("stats", context_settings=PASSTHROUGH)
def stats(
    ctx: typer.Context,
    conf_file: ConfFiles = None,
    control_socket: ControlSocket = None,
    json_out: JsonOut = False,
) -> None:
    """Cache size, insertions, evictions, hits, misses, and per-server counters."""
    _call("stats", conf_file, ctx.args, control_socket, json_out)


@app.command("clear", context_settings=PASSTHROUGH)
def clear(
    ctx: typer.Context,
    conf_file: ConfFiles = None,
    control_socket: ControlSocket = None,
    json_out: JsonOut = False,
) -> None:
    """Empty the cache (as SIGHUP does, without re-reading hosts files)."""
    _call("cache.clear", conf_file, ctx.args, control_socket, json_out)
