"""DHCPv4 server (RFC 2131/2132): codec, options, allocation, sans-IO engine, trio adapter."""

from __future__ import annotations
