"""DHCP lease names for the DNS service: open the lease store read-only and keep watching it.

ARCHITECTURE §2.5: `lanctl dhcp serve` writes leases to the SQLite store, `lanctl dns serve`
answers their names.  The store is --lease-store, else `<dhcp-leasefile>.sqlite`, used only
when that file exists.  Names get the --domain of their address, as dnsmasq gives DHCP names;
TTL is --dhcp-ttl when set, else --local-ttl (capped by the lease's time left); with
--dhcp-fqdn only the qualified names are published.  The watcher
looks at SQLite's data_version every REFRESH seconds (a few µs) and, when the leases
changed, reloads their names and drops the engine's pre-rendered answers; in `lanctl all`
the DHCP service also wakes it right after each commit (store/changes.py).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Final

import trio

from lanctl.config.model import Config
from lanctl.dns.engine import DnsEngine
from lanctl.dns.local import REFRESH
from lanctl.dns.rules import expand_domain
from lanctl.errors import FileSystemError
from lanctl.store.changes import subscribe
from lanctl.store.names import LeaseNames
from lanctl.store.records import store_paths

log = logging.getLogger("lanctl.dns")

SLOW_RELOAD: Final = 0.002  # seconds (~150 named leases): below this, reload at every notice
RELOAD_REST: Final = 9.0  # after a slower reload, wait this many times its cost


def store_path(cfg: Config) -> str | None:
    """The lease store DNS reads names from, when that file exists."""
    path, _ = store_paths(cfg.dhcp4.lease_store, cfg.dhcp4.dhcp_leasefile)
    return path if path is not None and os.path.exists(path) else None


def lease_names(cfg: Config) -> LeaseNames | None:
    """Lease names from the store opened read-only, or None (no store, or unreadable:
    logged)."""
    from lanctl.store.sqlite import SqliteBackend

    path = store_path(cfg)
    if path is None:
        return None
    try:
        backend = SqliteBackend(path, readonly=True)
    except FileSystemError as exc:
        log.warning("DHCP names not served: %s", exc.message)
        return None
    dhcp_ttl = getattr(cfg.dns, "dhcp_ttl", None)  # --dhcp-ttl, once the model has it
    ttl = int(dhcp_ttl) if dhcp_ttl is not None else cfg.dns.local_ttl
    domains = cfg.dns.domain
    return LeaseNames(
        backend, lambda packed: expand_domain(packed, domains), ttl, fqdn_only=cfg.dns.dhcp_fqdn
    )


def attach(engine: DnsEngine, leases: LeaseNames) -> None:
    """Make the engine's local data answer the lease names (again, after a SIGHUP reload)."""
    engine.local.attach_leases(leases, time.time())
    for line in leases.messages:
        log.warning("%s", line)
    _drop_rendered(engine)


def _drop_rendered(engine: DnsEngine) -> None:
    local_changed = getattr(engine, "local_changed", None)
    if local_changed is not None:
        local_changed()  # pre-rendered answers only
    else:
        engine.set_local(engine.local)


async def watch_leases(
    engine: DnsEngine, leases: LeaseNames, cost_clock: Callable[[], float] = time.perf_counter
) -> None:
    """Refresh lease names every REFRESH seconds until cancelled; closes the store at the end.

    A reload reads every lease (~13 us each with a name).  When one took longer than
    SLOW_RELOAD (a large network; DHCP committing hundreds of times a second in a boot
    storm), the next waits RELOAD_REST times as long, so reloads take at most a tenth of
    the process's time (shared with DHCP in `lanctl all`).  Small networks keep instant
    updates.
    """
    wake = trio.Event()

    def notice() -> None:
        wake.set()

    unsubscribe = subscribe(notice)  # lanctl all: the DHCP service says when it committed
    try:
        while True:
            with trio.move_on_after(REFRESH):
                await wake.wait()
            wake = trio.Event()
            local = engine.local
            if local.leases is not leases:  # local data was reloaded (SIGHUP)
                attach(engine, leases)
                continue
            started = cost_clock()
            try:
                changed = local.refresh(time.time())
            except Exception:  # a store error must not end the DNS service
                log.exception("reading DHCP names from the lease store")
                continue
            if changed:
                for line in leases.messages:
                    log.warning("%s", line)
                _drop_rendered(engine)
                cost = cost_clock() - started
                if cost > SLOW_RELOAD:
                    await trio.sleep(cost * RELOAD_REST)
    finally:
        unsubscribe()
        leases.backend.close()


async def follow_leases(engine: DnsEngine, cfg: Config, leases: LeaseNames | None) -> None:
    """Serve lease names; when the store does not exist yet, wait for it to appear.

    In `lanctl all` the DHCP service creates the store after DNS has started, and a
    standalone `lanctl dns serve` may start before `lanctl dhcp serve`: in both cases the
    names must show up once the store exists, without a restart.
    """
    path, _ = store_paths(cfg.dhcp4.lease_store, cfg.dhcp4.dhcp_leasefile)
    while leases is None:
        if path is None:
            return
        await trio.sleep(REFRESH)
        try:
            present = await trio.Path(path).exists()
        except OSError as exc:  # e.g. a directory the run-as user may not enter
            log.warning("DHCP names not served: cannot look for %s: %s", path, exc.strerror)
            return
        if present:
            leases = lease_names(cfg)
            if leases is not None:
                attach(engine, leases)
    await watch_leases(engine, leases)
