"""`lanctl dhcp`: the DHCPv4/DHCPv6 server, its lease list, and a rogue-server probe."""

from __future__ import annotations

import typer

from lanctl.commands._opts import PASSTHROUGH, ConfFiles, JsonOut
from lanctl.commands._registry_help import RegistryHelpCommand

app = typer.Typer(no_args_is_help=True, help="DHCPv4/DHCPv6 server, leases and probes.")


@app.command("serve", context_settings=PASSTHROUGH, cls=RegistryHelpCommand)
def serve(ctx: typer.Context, conf_file: ConfFiles = None) -> None:
    """Run the DHCP server (v4 and v6 as configured) alone."""
    from lanctl.commands._run import serve as run_serve

    run_serve(conf_file, ctx.args, only=("dhcp4", "dhcp6"))


@app.command("leases", context_settings=PASSTHROUGH)
def leases(
    ctx: typer.Context,
    conf_file: ConfFiles = None,
    json_out: JsonOut = False,
    v4: bool = typer.Option(False, "--v4", help="Only DHCPv4 leases."),
    v6: bool = typer.Option(False, "--v6", help="Only DHCPv6 leases."),
) -> None:
    """List leases from the lease store (no server needs to run)."""
    from lanctl.diag.render_leases import show_leases

    show_leases(conf_file, ctx.args, json_out=json_out, v4=v4, v6=v6)


@app.command("probe")
def probe(
    iface: str = typer.Argument(..., help="Interface to send DHCPDISCOVER on."),
    timeout: float = typer.Option(3.0, help="Seconds to collect offers."),
) -> None:
    """Broadcast a DHCPDISCOVER and list every server that offers (rogue detection)."""
    from lanctl.diag.probe import dhcp_probe

    dhcp_probe(iface, timeout)
