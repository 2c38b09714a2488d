"""Hosts files for the DNS service: the /etc/hosts-format parser, from `lanctl.store.hostsfile`.

Format (hosts(5)): `address name [aliases...]`, `#` starts a comment anywhere on a line.
As dnsmasq: an address that `inet_pton` rejects (e.g. "192.0.2.034", "fe80::1%eth0")
gives "bad address at FILE line N" and the line is skipped; a bad name is skipped with
"bad name at FILE line N"; names are lowercased and a trailing dot dropped.  Kept as the
DNS package's import point; the parser lives with the other hosts-type files in the store.
"""

from __future__ import annotations

from lanctl.store.hostsfile import HostsFile, parse_address, parse_hosts, valid_name

__all__ = ["HostsFile", "parse_address", "parse_hosts", "valid_name"]
