"""Where the lease store lives, and a lease as a JSON record: shared by every reader.

`store_paths` is the one rule for the store's path (`--lease-store`, else the dnsmasq
lease file's path plus ".sqlite"); `lease_record` is the JSON shape of a lease used by
`lanctl dhcp leases --json` and the control socket's `leases.list`.  Pure.
"""

from __future__ import annotations

from lanctl.service import JsonValue
from lanctl.store import leasefile
from lanctl.store.lease import ETHERNET, Lease, Lease4


def store_paths(
    lease_store: str | None, dhcp_leasefile: str | None
) -> tuple[str | None, str | None]:
    """(store, lease file): the store defaults to the lease file's path plus ".sqlite"."""
    if lease_store is None and dhcp_leasefile:
        lease_store = f"{dhcp_leasefile}.sqlite"
    return lease_store, dhcp_leasefile or None


def hwaddr_text(lease: Lease4) -> str:
    """The hardware address as the lease file writes it ("06-aa:bb:…" when not Ethernet)."""
    mac = leasefile.hex_colon(lease.hwaddr)
    return mac if lease.hwtype == ETHERNET and lease.hwaddr else f"{lease.hwtype:02x}-{mac}"


def lease_record(lease: Lease, now: int) -> dict[str, JsonValue]:
    """One lease as JSON: the lease-file fields plus seconds left (null when infinite)."""
    left: JsonValue = None if lease.expires == 0 else lease.expires - now
    if isinstance(lease, Lease4):
        clid = leasefile.hex_colon(lease.client_id) if lease.client_id else None
        return {
            "family": 4, "address": str(lease.address), "hwaddr": hwaddr_text(lease),
            "hostname": lease.hostname, "expires": lease.expires, "expires_in": left,
            "client_id": clid,
        }  # fmt: skip
    return {
        "family": 6, "address": str(lease.address), "kind": lease.kind, "iaid": lease.iaid,
        "hostname": lease.hostname, "expires": lease.expires, "expires_in": left,
        "duid": leasefile.hex_colon(lease.duid),
    }  # fmt: skip
