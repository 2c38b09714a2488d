"""--servers-file: upstream servers read from a file at start and again on SIGHUP/`reload`.

dnsmasq 2.90 man page: "only --server and --rev-server are allowed in the configuration
file included ... the file is re-read and the configuration therein is updated when dnsmasq
receives SIGHUP".  The file's lines are read by `config.reader.read_servers_file`; a bad
line or a missing file is logged and skipped (dnsmasq keeps running).  The specs are handed
to the resolver, which adds them to the routes after the configuration's --server lines,
so a resolv.conf re-read (--clear-on-reload or not) keeps them.
"""

from __future__ import annotations

import logging

from lanctl.config.model import DnsCfg
from lanctl.config.reader import read_servers_file
from lanctl.config.values import collect
from lanctl.dns.engine import DnsEngine
from lanctl.errors import ConfigError

log = logging.getLogger("lanctl.dns")


def read_specs(path: str) -> tuple[tuple[object, ...], list[str]]:
    """The parsed server/rev-server values of the file, in file order, and the problems."""
    settings, problems = read_servers_file(path)
    messages = [str(p) for p in problems]
    specs: list[object] = []
    for setting in settings:
        try:
            values = collect([setting])
        except ConfigError as error:
            messages.append(str(error))
            continue
        specs.extend(values.all(setting.option.name))
    return tuple(specs), messages


def load_servers_file(engine: DnsEngine, dns: DnsCfg) -> None:
    """(Re-)read --servers-file into the engine's routes; nothing without the option."""
    if dns.servers_file is None:
        return
    specs, messages = read_specs(dns.servers_file)
    for message in messages:
        log.warning("%s", message)
    log.info("read %s", dns.servers_file)
    engine.resolver.set_servers_file(specs)
