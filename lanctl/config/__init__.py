"""Configuration: dnsmasq option registry, grammar, file/argv reader and model builder.

`load(argv)` reads the command line and the configuration files it names (or
/etc/dnsmasq.conf), parses every value through the registry and builds a `Config`.
Pure and cheap to import: no trio, rich or scapy.
"""

from __future__ import annotations

from collections.abc import Sequence

from lanctl.config.model import Config
from lanctl.errors import ConfigError

__all__ = ["Config", "ConfigError", "load"]


def load(argv: Sequence[str]) -> Config:
    """Read argv (dnsmasq options) and the config files it names; build the model."""
    from lanctl.config.build import build
    from lanctl.config.reader import read_all
    from lanctl.config.values import collect

    return build(collect(read_all(argv)))
