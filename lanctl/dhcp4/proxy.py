"""Server-identifier override for relayed requests: --dhcp-proxy and RFC 5107.

A relay agent that wants to see every packet of a client (to add its relay-agent
information to renewals too) asks the server to name the relay as the server identifier:
RFC 5107 sub-option 11 of option 82, or, for relays that cannot, dnsmasq's --dhcp-proxy
(bare: every relay; with addresses: relays whose giaddr is listed), which uses giaddr.
The override is option 54 of OFFER/ACK/NAK and the identifier a REQUEST, RELEASE or
DECLINE must carry to be ours; clients then unicast renewals to the relay.  Pure.
"""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import Final

from lanctl.config.model import Dhcp4Cfg
from lanctl.dhcp4.classify import sub_options
from lanctl.dhcp4.wire import ZERO, Opt, Packet

SERVER_ID_OVERRIDE: Final = 11  # RFC 5107 relay-agent sub-option

__all__ = ["SERVER_ID_OVERRIDE", "server_id_override"]


def server_id_override(cfg: Dhcp4Cfg, req: Packet) -> IPv4Address | None:
    """The server identifier to use instead of our own address, or None."""
    if req.giaddr == ZERO:
        return None
    agent = req.options.get(Opt.AGENT_INFO)
    if agent:
        value = dict(sub_options(agent)).get(SERVER_ID_OVERRIDE)
        if value is not None and len(value) == 4:
            return IPv4Address(value)
    relays = cfg.dhcp_proxy
    if relays is not None and (not relays or req.giaddr in relays):
        return req.giaddr
    return None
