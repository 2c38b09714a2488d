"""DHCP value grammars, gathered: ranges, hosts, MAC patterns, boot/PXE and plumbing options.

The parsers live in focused modules (dhcp_range, dhcp_host, hwaddr, dhcp_boot, dhcp_net);
this module re-exports their public names so that the registry can refer to them as
`g.<name>` through lanctl.config.grammar.
"""

from __future__ import annotations

from lanctl.config.grammar.dhcp_boot import (
    CSA_TYPES,
    DhcpBoot,
    PxePrompt,
    PxeService,
    ReplyDelay,
    dhcp_boot,
    dhcp_pxe_vendor,
    pxe_prompt,
    pxe_service,
    reply_delay,
)
from lanctl.config.grammar.dhcp_host import DhcpHost, dhcp_host, valid_hostname
from lanctl.config.grammar.dhcp_net import (
    BridgeInterface,
    DhcpDuid,
    DhcpRelay,
    RaParam,
    SharedNetwork,
    TftpRoot,
    alternate_port,
    bridge_interface,
    dhcp_duid,
    dhcp_proxy,
    dhcp_relay,
    port_range,
    ra_param,
    shared_network,
    tftp_root,
)
from lanctl.config.grammar.dhcp_range import Dhcp4Range, Dhcp6Range, dhcp_range
from lanctl.config.grammar.hwaddr import MacPattern, parse_mac

__all__ = [
    "CSA_TYPES",
    "BridgeInterface",
    "Dhcp4Range",
    "Dhcp6Range",
    "DhcpBoot",
    "DhcpDuid",
    "DhcpHost",
    "DhcpRelay",
    "MacPattern",
    "PxePrompt",
    "PxeService",
    "RaParam",
    "ReplyDelay",
    "SharedNetwork",
    "TftpRoot",
    "alternate_port",
    "bridge_interface",
    "dhcp_boot",
    "dhcp_duid",
    "dhcp_host",
    "dhcp_proxy",
    "dhcp_pxe_vendor",
    "dhcp_range",
    "dhcp_relay",
    "parse_mac",
    "port_range",
    "pxe_prompt",
    "pxe_service",
    "ra_param",
    "reply_delay",
    "shared_network",
    "tftp_root",
    "valid_hostname",
]
