"""`lanctl dhcp leases`: list DHCP leases with no server running (ARCHITECTURE §2.5).

The leases come from the SQLite lease store opened read-only (`--lease-store`, default
`<dhcp-leasefile>.sqlite`); when that does not exist but dnsmasq's lease file does, from
the lease file (so it also lists a dnsmasq server's leases).  Output is a Rich table on a
terminal (address, MAC, host name, expires in, client-id/DUID) and JSON when piped or with
`--json`.  Rich is imported inside the functions (start-up cost).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from lanctl.errors import FileSystemError
from lanctl.service import JsonValue
from lanctl.store import leasefile
from lanctl.store.lease import Lease, Lease4, Lease6
from lanctl.store.records import hwaddr_text, lease_record, store_paths

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def load_leases(store: str | None, lease_file: str | None) -> tuple[list[Lease], str, list[str]]:
    """The leases, where they came from, and warnings about skipped lines or rows."""
    if store is not None and os.path.exists(store):
        from lanctl.store.sqlite import SqliteBackend

        backend = SqliteBackend(store, readonly=True)
        try:
            leases: list[Lease] = [*backend.all4(), *backend.all6()]
        finally:
            backend.close()
        return leases, store, list(backend.warnings)
    if lease_file is not None and os.path.exists(lease_file):
        try:
            text = Path(lease_file).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise FileSystemError(f"cannot read lease file {lease_file}: {exc.strerror}") from exc
        parsed, warnings = leasefile.parse(text)
        return [*parsed.v4, *parsed.v6], lease_file, [f"{lease_file}: {w}" for w in warnings]
    raise FileSystemError(f"no lease store at {store} and no lease file at {lease_file}")


def expires_in(expires: int, now: int) -> str:
    """ "infinite", "expired" or a short duration such as "1h 02m 03s"."""
    if expires == 0:
        return "infinite"
    left = expires - now
    if left <= 0:
        return "expired"
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (
        f"{hours}h {minutes:02d}m {seconds:02d}s" if hours or days else f"{minutes}m {seconds:02d}s"
    )
    return f"{days}d {text}" if days else text


def leases_table(leases: Sequence[Lease], now: int, title: str | None = None) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for column in ("address", "MAC", "hostname", "expires in", "client-id/DUID"):
        table.add_column(column, no_wrap=column != "client-id/DUID")
    for lease in leases:
        if isinstance(lease, Lease6):
            ident, hw = leasefile.hex_colon(lease.duid), f"IA_{lease.kind.upper()} {lease.iaid}"
        else:
            ident, hw = leasefile.hex_colon(lease.client_id or b""), hwaddr_text(lease)
        row = (str(lease.address), hw, lease.hostname or "-", expires_in(lease.expires, now))
        table.add_row(*row, ident or "-")
    return table


def show_leases(
    conf_file: Sequence[str] | None,
    extra_argv: Sequence[str],
    *,
    json_out: bool,
    v4: bool,
    v6: bool,
    console: Console | None = None,
) -> None:
    """`lanctl dhcp leases`: load the configuration, read the leases, print them."""
    from lanctl.config import load

    argv = [f"--conf-file={path}" for path in conf_file or ()] + list(extra_argv)
    cfg = load(argv).dhcp4
    leases, source, warnings = load_leases(*store_paths(cfg.lease_store, cfg.dhcp_leasefile))
    for warning in warnings:
        print(f"lanctl: warning: {warning}", file=sys.stderr)
    if v4 != v6:
        leases = [x for x in leases if isinstance(x, Lease4) == v4]
    now = int(time.time())
    if json_out or (console is None and not sys.stdout.isatty()):
        records: list[JsonValue] = [lease_record(x, now) for x in leases]
        sys.stdout.write(json.dumps(records, indent=2) + "\n")
        return
    if console is None:
        from rich.console import Console

        console = Console()
    console.print(leases_table(leases, now, title=f"{len(leases)} leases in {source}"))
