"""DHCPv4 side of --dhcp-script: which lease changes run the script, and with what.

`LeaseScript.changes` turns the committed `LeaseChanged` effects of a batch into script
jobs: every "add" and "del"; "old" only when the MAC or hostname changed, or with
--script-on-renewal the expiry, or with --leasefile-ro the client-id or expiry (dnsmasq
man page).  `existing` is dnsmasq's start-up and SIGHUP call for the leases it holds
("old", or "del" for expired ones, with DNSMASQ_DATA_MISSING=1).  With --leasefile-ro,
`init_leases` loads the leases printed by `<script> init`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4.context import domain_for
from lanctl.dhcp4.effects import ClientInfo, Effect, LeaseChanged
from lanctl.script import ScriptRunner, lease_job, old_wanted, run_init
from lanctl.store.lease import Lease4
from lanctl.store.leasefile import parse

__all__ = ["LeaseScript", "init_leases"]

log = logging.getLogger("lanctl.dhcp4")


def init_leases(cfg: Dhcp4Cfg, now: int) -> list[Lease4]:
    """--leasefile-ro with a script: the unexpired v4 leases `<script> init` prints."""
    assert cfg.dhcp_script is not None
    leases, warnings = parse(run_init(cfg.dhcp_script, cfg.dhcp_scriptuser))
    for warning in warnings:
        log.warning("lease-init script: %s", warning)
    return [x for x in leases.v4 if not x.expired(now)]


class LeaseScript:
    """Feeds a `ScriptRunner` from lease changes; remembers each lease's last interface."""

    def __init__(self, cfg: Dhcp4Cfg, runner: ScriptRunner) -> None:
        self.cfg = cfg
        self.runner = runner
        self.ifaces: dict[str, str] = {}

    def _submit(
        self,
        action: str,
        lease: Lease4,
        now: int,
        info: ClientInfo | None = None,
        old_hostname: str | None = None,
    ) -> None:
        job = lease_job(
            action,
            lease,
            now,
            domain=domain_for(self.cfg.domain, lease.address),
            log_dhcp=self.cfg.log_dhcp,
            info=info,
            iface=self.ifaces.get(str(lease.address)),
            old_hostname=old_hostname,
        )
        self.runner.submit(job)

    def changes(self, effects: Iterable[Effect], now: int) -> None:
        for eff in effects:
            if not isinstance(eff, LeaseChanged):
                continue
            lease, key = eff.lease, str(eff.lease.address)
            if eff.info is not None:
                self.ifaces[key] = eff.info.iface
            if eff.action == "old":
                before = eff.before
                if before is not None and not old_wanted(
                    before,
                    lease,
                    on_renewal=self.cfg.script_on_renewal,
                    leasefile_ro=self.cfg.leasefile_ro,
                ):
                    continue
                gone = (
                    before.hostname if before and before.hostname and not lease.hostname else None
                )
                self._submit("old", lease, now, info=eff.info, old_hostname=gone)
            elif eff.action == "add":
                self._submit("add", lease, now, info=eff.info)
            else:
                self._submit("del", lease, now)
                self.ifaces.pop(key, None)

    def existing(self, leases: Iterable[Lease4], now: int) -> None:
        """Start-up / SIGHUP: "old" for each lease held, "del" for the expired ones."""
        for lease in sorted(leases, key=lambda x: int(x.address)):
            self._submit("del" if lease.expired(now) else "old", lease, now)
