"""Which ranges, host line, tags and domain apply to one DHCPv4 request (pure).

A request is served from the ranges of its link: the subnet of `giaddr` when relayed
(RFC 2131 §4.3.1; the range needs a netmask then), else the subnets of the receiving
interface's addresses.  The tag set (dnsmasq's network-ids) starts with the interface
name; a matching --dhcp-host adds its `set:` tags and "known" ("known-othernet" when the
only match has an address on another subnet); the range adds its `set:` tag; --tag-if
rules run last (classify.py holds the class and relay-agent tag sources).  A dhcp-host
matches by client-id (`id:`), then by hardware address (wildcards and type), then by
the host name the client sends (a line with only a name).  --shared-network adds the
subnet of its second address (served by ranges with a netmask) to the link of its
interface or local address, or of a relay with that giaddr.  --domain picks the domain of
the range or network holding the address.  `Request` gathers what the engine found out
about one request; `client_name` is dnsmasq's hostname sanitising (first label, legal
characters only).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from lanctl.config.grammar.dhcp_host import DhcpHost, valid_hostname
from lanctl.config.grammar.dhcp_net import SharedNetwork
from lanctl.config.grammar.dhcp_range import Dhcp4Range
from lanctl.config.grammar.dns import DomainSpec
from lanctl.dhcp4.effects import Effect
from lanctl.dhcp4.fqdn import ClientFqdn
from lanctl.dhcp4.wire import ZERO, Packet
from lanctl.tags import matches

__all__ = [
    "Inbound",
    "Link",
    "Request",
    "client_name",
    "domain_for",
    "find_host",
    "find_link",
    "format_mac",
]


@dataclass(slots=True)
class Inbound:
    """One received datagram and where it arrived (from IP_PKTINFO, resolved by the adapter).

    Treated as immutable (not frozen: one is made per datagram, and frozen construction pays
    an object.__setattr__ per field)."""

    payload: bytes
    src: tuple[str, int]
    iface: str
    iface_addrs: tuple[IPv4Interface, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """The network a request comes from and what serves it."""

    server: IPv4Address  # our address there: server identifier, default router/DNS
    network: IPv4Network
    ranges: tuple[Dhcp4Range, ...]
    relayed: bool
    shared: tuple[IPv4Network, ...] = ()  # --shared-network subnets also served here

    def contains(self, addr: IPv4Address) -> bool:
        net = self.network_of(addr)
        return net is not None and addr != net.broadcast_address

    def __contains__(self, addr: object) -> bool:
        return isinstance(addr, IPv4Address) and self.network_of(addr) is not None

    def network_of(self, addr: IPv4Address) -> IPv4Network | None:
        """The link's subnet holding `addr` (its own, else a shared one)."""
        if addr in self.network:
            return self.network
        return next((n for n in self.shared if addr in n), None)

    def in_dynamic(self, addr: IPv4Address) -> bool:
        a = int(addr)
        return any(r.mode == "dynamic" and int(r.start) <= a <= int(r.end) for r in self.ranges)


def _range_net(rng: Dhcp4Range, fallback: IPv4Network | None) -> IPv4Network | None:
    if rng.netmask is not None:
        return IPv4Network(f"{rng.start}/{rng.netmask}", strict=False)
    return fallback


def _shared(
    ranges: Sequence[Dhcp4Range],
    shared: Sequence[SharedNetwork],
    iface: str | None,
    local: IPv4Address,
) -> tuple[list[Dhcp4Range], list[IPv4Network]]:
    """Ranges (with a netmask) and subnets that --shared-network adds to this link."""
    found: list[Dhcp4Range] = []
    nets: list[IPv4Network] = []
    for sn in shared:
        if not (sn.interface is not None and sn.interface == iface) and sn.local_addr != local:
            continue
        for rng in ranges:
            net = _range_net(rng, None)
            if net is not None and sn.addr in net and rng not in found:
                found.append(rng)
                if net not in nets:
                    nets.append(net)
    return found, nets


def find_link(
    ranges: Sequence[Dhcp4Range],
    addrs: Sequence[IPv4Interface],
    giaddr: IPv4Address,
    iface: str | None = None,
    shared: Sequence[SharedNetwork] = (),
) -> Link | None:
    """The ranges serving the link of a request, or None when no range does."""
    if giaddr != ZERO:
        if not addrs:
            return None
        found = [r for r in ranges if (n := _range_net(r, None)) is not None and giaddr in n]
        more, nets = _shared(ranges, shared, None, giaddr)
        if not found and not more:
            return None
        # Only --shared-network ranges: the relay's own subnet stays unknown (a /32 at the
        # giaddr), so, as dnsmasq, no default route (tests/dhcp4/test_shared_relay_compat.py)
        net = _range_net(found[0], None) if found else IPv4Network(giaddr)
        assert net is not None
        extra = [r for r in more if r not in found]
        return Link(addrs[0].ip, net, (*found, *extra), True, tuple(n for n in nets if n != net))
    found_local: list[tuple[IPv4Interface, list[Dhcp4Range]]] = []
    for iface_addr in addrs:
        local = [
            r
            for r in ranges
            if (n := _range_net(r, iface_addr.network)) is not None
            and r.start in n
            and r.end in n
            and iface_addr.ip in n
        ]
        found_local.append((iface_addr, local))
    found_local.sort(key=lambda item: not item[1])  # addresses with ranges of their own first
    for iface_addr, local in found_local:
        more, nets = _shared(ranges, shared, iface, iface_addr.ip)
        more = [r for r in more if r not in local]
        if local or more:
            net = _range_net(local[0], iface_addr.network) if local else iface_addr.network
            assert net is not None
            others = tuple(n for n in nets if n != net)
            return Link(iface_addr.ip, net, (*local, *more), False, others)
    return None


def find_host(
    hosts: Iterable[DhcpHost],
    pkt: Packet,
    client_id: bytes | None,
    name: str | None,
    tags: set[str],
    network: Container[IPv4Address] | None = None,
) -> DhcpHost | None:
    """The dhcp-host line for this client: by client-id, hardware address, then name.

    With `network`, a line whose address lies outside it is passed over (dnsmasq
    `is_config_in_context`); the engine then tags the client "known-othernet".
    """
    usable = [
        h
        for h in hosts
        if matches(h.match_tags, tags) and (network is None or h.ipv4 is None or h.ipv4 in network)
    ]
    if client_id is not None:
        for host in usable:
            if host.client_id is not None and host.client_id == client_id:
                return host
    # dnsmasq: the most specific MAC pattern (fewest `*` bytes) wins, wherever its line is;
    # of equal ones the first here (hosts are searched newest first: engine.set_file_hosts)
    best: DhcpHost | None = None
    fewest = 256
    for host in usable:
        for mac in host.macs:
            if mac.matches(pkt.htype, pkt.mac):
                if not mac.has_wildcard:
                    return host
                wild = sum(1 for b in mac.wildcard_mask if b)
                if wild < fewest:
                    best, fewest = host, wild
    if best is not None:
        return best
    if name:
        lower = name.lower()  # dnsmasq hostname_isequal: any case
        for host in usable:
            named = host.hostname is not None and host.hostname.lower() == lower
            if named and not host.macs and host.client_id is None:
                return host
    return None


def domain_for(specs: Iterable[object], addr: IPv4Address) -> str | None:
    """--domain for an address: the line whose network or range holds it, else a global one."""
    fallback: str | None = None
    for spec in specs:
        if not isinstance(spec, DomainSpec) or spec.domain == "#":
            continue
        if spec.network is not None:
            if addr.version == spec.network.version and addr in spec.network:
                return spec.domain
        elif spec.start is not None and spec.end is not None:
            if spec.start.version == 4 and int(spec.start) <= int(addr) <= int(spec.end):
                return spec.domain
        elif spec.interface is None and fallback is None:
            fallback = spec.domain
    return fallback


@dataclass(slots=True)
class Request:
    """One request being answered: the packet and what was found out about it."""

    inb: Inbound
    req: Packet
    link: Link
    ranges: tuple[Dhcp4Range, ...]
    host: DhcpHost | None
    client_id: bytes | None
    name: str | None
    tags: set[str]
    out: list[Effect] = field(default_factory=list)
    supplied: str | None = None  # the name the client sent, even when ignored or replaced
    received: float = 0.0  # when the request arrived (--dhcp-reply-delay counts from here)
    fqdn: ClientFqdn | None = None  # the client's option 81
    sid_override: IPv4Address | None = None  # --dhcp-proxy / RFC 5107 (lanctl/dhcp4/proxy.py)
    finals: dict[str | None, frozenset[str]] = field(default_factory=dict)  # by range set: tag
    known_key: bytes | None = None  # `key`, once asked

    @property
    def server_id(self) -> IPv4Address:
        """Option 54 of our replies, and what a client names to mean us."""
        return self.sid_override or self.link.server

    @property
    def key(self) -> bytes:
        """Identity of the client for offers: client-id, else hardware type + address."""
        key = self.known_key
        if key is None:
            if self.client_id is not None:
                key = b"i" + self.client_id
            else:
                key = b"h" + bytes((self.req.htype,)) + self.req.mac
            self.known_key = key
        return key


def format_mac(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def client_name(raw: bytes | None) -> str | None:
    """dnsmasq's hostname sanitising: first label only, legal characters, else no name."""
    if not raw:
        return None
    text = raw.split(b"\0", 1)[0].decode("ascii", "replace").split(".", 1)[0]
    return text if text and valid_hostname(text) else None
