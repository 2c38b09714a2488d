"""The ServiceHandle of the DHCPv4 service (lanctl/service.py): stats, SIGHUP, control.

stats() adds the adapter's count of malformed packets to the engine's counters; reload()
re-reads --dhcp-hostsfile/--dhcp-optsfile (and their -dir forms) and, with --dhcp-script,
reports every lease as "old" as dnsmasq does on SIGHUP; control "leases.list" returns the
lease table as records (lanctl/store/records.py).
"""

from __future__ import annotations

import time

from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.filetables import FileTables
from lanctl.dhcp4.scripting import LeaseScript
from lanctl.service import JsonValue
from lanctl.store.records import lease_record


class Dhcp4Handle:
    """The ServiceHandle of the DHCPv4 service (lanctl/service.py)."""

    name = "dhcp4"

    def __init__(
        self, engine: Dhcp4Engine, tables: FileTables, script: LeaseScript | None = None
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.script = script
        self.dropped = 0

    def stats(self) -> dict[str, JsonValue]:
        out: dict[str, JsonValue] = dict(self.engine.stats())
        out["malformed"] = self.dropped
        return out

    def reload(self) -> None:
        """SIGHUP: re-read the host and option files and directories; "old" for each lease."""
        self.tables.load()
        if self.script is not None:
            self.script.existing(self.engine.leases.values(), int(time.time()))

    def control(self, command: str, args: dict[str, JsonValue]) -> JsonValue:
        if command == "leases.list":
            now = int(time.time())
            leases = sorted(self.engine.leases.values(), key=lambda x: int(x.address))
            return [lease_record(x, now) for x in leases]
        raise KeyError(command)

    def log_stats(self) -> list[str]:
        return [f"DHCPv4 leases: {len(self.engine.leases)}"]
