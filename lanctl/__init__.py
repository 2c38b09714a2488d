"""lanctl: a dnsmasq-compatible LAN services toolkit (DNS, DHCP, RA, TFTP, PXE)."""

from __future__ import annotations

__version__ = "0.1.0"
