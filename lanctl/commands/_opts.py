"""Shared Typer parameter aliases and command settings (cheap: typer and typing only)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

ConfFiles = Annotated[
    list[str] | None,
    typer.Option(
        "--conf-file",
        "-C",
        metavar="FILE",
        help="Read this configuration file (repeatable; default /etc/dnsmasq.conf).",
        show_default=False,
    ),
]

JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

ControlSocket = Annotated[
    str | None,
    typer.Option(
        "--control-socket",
        help="Path of the running server's control socket.",
        show_default=False,
    ),
]

# Every serving command passes unknown options (all of dnsmasq's) through ctx.args.
PASSTHROUGH: dict[str, Any] = {"allow_extra_args": True, "ignore_unknown_options": True}
