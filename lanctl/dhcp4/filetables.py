"""The engine's file-fed tables: --dhcp-hostsfile/--dhcp-optsfile and their -dir forms.

`load` (start and SIGHUP) reads the files and the directories from scratch; `poll` (once a
second, from the server's timer task) reads only new or changed files of --dhcp-hostsdir
and --dhcp-optsdir and adds what they hold, as dnsmasq does with inotify.  Deleted files
keep their entries until SIGHUP (dnsmasq man page).  --read-ethers merges /etc/ethers lines
into the dhcp-host lines and adds the rest, before the files are read (start and SIGHUP):
the engine searches the hosts newest first, so file lines win over ethers lines, and those
over the configuration's.  Log lines as dnsmasq's.
"""

from __future__ import annotations

import logging

from lanctl.config.grammar.dhcp_host import DhcpHost
from lanctl.config.grammar.dhcp_option import DhcpOption
from lanctl.dhcp4 import hostfiles
from lanctl.dhcp4.engine import Dhcp4Engine
from lanctl.dhcp4.hostfiles import DirWatch

__all__ = ["FileTables"]

log = logging.getLogger("lanctl.dhcp4")


class FileTables:
    """Feeds `Dhcp4Engine.set_file_hosts`/`set_file_options` from files and directories."""

    def __init__(self, engine: Dhcp4Engine) -> None:
        self.engine = engine
        cfg = engine.cfg
        self.hosts: list[DhcpHost] = []
        self.ethers: list[DhcpHost] = []
        self.config_hosts: list[DhcpHost] | None = None  # dhcp-host lines merged with ethers
        self.options: list[DhcpOption] = []
        self.hostsdir = DirWatch(cfg.dhcp_hostsdir, hostfiles.parse_hostsfile, count=True)
        self.optsdir = DirWatch(cfg.dhcp_optsdir, hostfiles.parse_optsfile)

    def load(self) -> None:
        cfg = self.engine.cfg
        config = [h for h in cfg.dhcp_host if isinstance(h, DhcpHost)]
        if cfg.read_ethers:  # dnsmasq reads /etc/ethers before the hosts files
            merged = hostfiles.load_ethers(hostfiles.ETHERS, config)
            self.config_hosts, self.ethers = list(merged.config), list(merged.added)
            _log(list(merged.messages))
        if cfg.dhcp_hostsfile:
            before = [*(self.config_hosts or config), *self.ethers]
            taken = [h.ipv4 for h in before if h.ipv4 is not None]
            self.hosts, messages = hostfiles.load(cfg.dhcp_hostsfile, taken)
            _log(messages)
        if cfg.dhcp_optsfile:
            self.options, messages = hostfiles.load_opts(cfg.dhcp_optsfile)
            _log(messages)
        self.hostsdir.reset()
        self.optsdir.reset()
        self.poll(force=True)

    def poll(self, force: bool = False) -> None:
        cfg = self.engine.cfg
        hosts_new, messages = self.hostsdir.poll()
        _log(messages)
        opts_new, messages = self.optsdir.poll()
        _log(messages)
        if (force or hosts_new) and (cfg.dhcp_hostsfile or cfg.dhcp_hostsdir or cfg.read_ethers):
            hosts = [*self.ethers, *self.hosts, *self.hostsdir.entries]  # in reading order
            self.engine.set_file_hosts(hosts, self.config_hosts)
        if (force or opts_new) and (cfg.dhcp_optsfile or cfg.dhcp_optsdir):
            self.engine.set_file_options([*self.options, *self.optsdir.entries])


def _log(messages: list[str]) -> None:
    for line in messages:
        log.info("%s", line)
