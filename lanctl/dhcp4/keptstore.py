"""The lease store of a supervised DHCP service, opened once and kept across its restarts.

`lanctl all` restarts a failed service (isolation.py).  The SQLite store and the dnsmasq
lease file are opened as root before the privilege drop; a restart runs as the run-as user,
who may not open them again (root-owned files: "attempt to write a readonly database").
So the first start keeps both in the supervisor's `service.Kept`, and a restart takes them
from there; they are closed when the service stops for good.  Without a Kept (`lanctl dhcp
serve` called directly, tests) the store is the service's own, as before.
"""

from __future__ import annotations

from lanctl.config.model import Config
from lanctl.dhcp4.leasewriter import LeaseFileWriter, open_store
from lanctl.service import Kept
from lanctl.store.backend import LeaseBackend

_KEY = "dhcp4.store"


def store_for(cfg: Config, ctx: object) -> tuple[LeaseBackend, LeaseFileWriter | None, bool]:
    """(backend, lease-file mirror, owned): `owned` is False when `ctx` keeps them (the
    service must then not close them)."""
    if not isinstance(ctx, Kept):
        backend, mirror = open_store(cfg)
        return backend, mirror, True
    got = ctx.get(_KEY)
    if isinstance(got, tuple):
        backend, mirror = got
        return backend, mirror, False
    backend, mirror = open_store(cfg)

    def close() -> None:
        try:
            if mirror is not None:
                mirror.close()
        finally:
            backend.close()

    ctx.keep(_KEY, (backend, mirror), close)
    return backend, mirror, False
