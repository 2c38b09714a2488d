"""What a configuration would run, as plain data (the `lanctl test-config` report).

Pure: `render` in `lanctl.diag.render` turns it into a Rich table or JSON.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from lanctl.config.model import Config
from lanctl.service import SUBSYSTEMS


def implemented(service: str) -> bool:
    """True when this lanctl has a server module for the service."""
    try:
        return importlib.util.find_spec(SUBSYSTEMS[service].partition(":")[0]) is not None
    except ModuleNotFoundError:  # the parent package (e.g. lanctl.dhcp4) is absent
        return False


def _listeners(cfg: Config) -> list[str]:
    out: list[str] = []
    if cfg.dns.enabled:
        addrs = cfg.core.listen_address or ("0.0.0.0", "::")
        out += [f"dns udp+tcp {a}#{cfg.dns.port}" for a in addrs]
        out += [f"dns on interface {i}" for i in cfg.core.interface]
    if cfg.dhcp4.enabled:
        out.append("dhcp4 udp 0.0.0.0#67")
    if cfg.dhcp6.enabled:
        out.append("dhcp6 udp [::]#547")
    if cfg.tftp.enabled:
        out.append("tftp udp 0.0.0.0#69")
    if cfg.pxe.enabled:
        out.append("pxe udp 0.0.0.0#4011")
    return out


def test_config_report(cfg: Config) -> dict[str, Any]:
    """Services, listeners, ranges, reservations, upstreams and warnings."""
    return {
        "services": [{"name": s, "implemented": implemented(s)} for s in cfg.enabled_services()],
        "listeners": _listeners(cfg),
        "ranges": [str(r) for r in (*cfg.dhcp4.dhcp_range, *cfg.dhcp6.dhcp_range)]
        + [str(r) for r in cfg.pxe.proxy_ranges],
        "reservations": [str(h) for h in cfg.dhcp4.dhcp_host],
        "upstreams": [str(s) for s in cfg.dns.server],
        "warnings": list(cfg.warnings),
        "control_socket": cfg.core.control_socket_path(),
        "pid_file": cfg.core.pid_file,
    }
