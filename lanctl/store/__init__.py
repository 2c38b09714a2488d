"""The shared state store: DHCP leases that outlive a packet (ARCHITECTURE §2.5).

`lease` holds the values, `leasefile` dnsmasq's `--dhcp-leasefile` format (pure), `backend`
the `LeaseBackend` protocol and `MemoryBackend`, `sqlite` + `schema` the default file-backed
store that standalone services share, `mirror` the import and atomic rewrites of the lease file.
"""

from __future__ import annotations
