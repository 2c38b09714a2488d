"""Frozen configuration model, one dataclass per consumer (ARCHITECTURE §2.2).

Field names are dnsmasq long option names with `-` replaced by `_` so that developers can
grep the man page.  `build.py` fills these from parsed settings; services read only them.
Values whose grammar returns a structured type (ranges, hosts, servers) keep that type
from `lanctl.config.grammar`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_CONF_FILE = "/etc/dnsmasq.conf"
DEFAULT_PID_FILE = "/run/lanctl.pid"
DEFAULT_LEASE_FILE = "/var/lib/misc/dnsmasq.leases"
DEFAULT_RESOLV_FILE = "/etc/resolv.conf"
DEFAULT_HOSTS_FILE = "/etc/hosts"


@dataclass(frozen=True, slots=True)
class CoreCfg:
    """Process-wide settings: identity, pid file, logging, control socket."""

    user: str | None = "nobody"  # None: do not change user ("--user=" empty, as dnsmasq)
    group: str | None = None  # None: the user's primary group
    pid_file: str | None = DEFAULT_PID_FILE  # None: no pid file ("--pid-file" bare)
    control_socket: str | None = None  # None: beside the pid file (".sock")
    log_facility: str | None = None  # None: syslog (daemon); "-": stderr; "/path": file
    log_async: int | None = None
    log_debug: bool = False
    keep_in_foreground: bool = False
    no_daemon: bool = False
    interface: tuple[str, ...] = ()
    except_interface: tuple[str, ...] = ()
    listen_address: tuple[str, ...] = ()
    bind_interfaces: bool = False
    bind_dynamic: bool = False
    strict: bool = False

    def control_socket_path(self) -> str:
        """Where the control socket lives: explicit, else beside the pid file."""
        if self.control_socket:
            return self.control_socket
        base = self.pid_file or DEFAULT_PID_FILE
        stem = base[:-4] if base.endswith(".pid") else base
        return stem + ".sock"


@dataclass(frozen=True, slots=True)
class DnsCfg:
    """What the DNS service reads (only the options implemented so far are modelled)."""

    port: int = 53
    no_hosts: bool = False
    addn_hosts: tuple[str, ...] = ()
    hostsdir: tuple[str, ...] = ()
    expand_hosts: bool = False
    domain: tuple[object, ...] = ()
    local_ttl: int = 0
    dhcp_ttl: int | None = None  # --dhcp-ttl: lease names (lanctl/dns/leases.py); None: local_ttl
    dhcp_fqdn: bool = False  # --dhcp-fqdn: lease names only as name.domain (lanctl/store/names.py)
    cache_size: int = 150
    no_resolv: bool = False
    resolv_file: tuple[str, ...] = ()
    server: tuple[object, ...] = ()
    address: tuple[object, ...] = ()
    host_record: tuple[object, ...] = ()
    # static records (lanctl/dns/records.py)
    cname: tuple[object, ...] = ()
    txt_record: tuple[object, ...] = ()
    ptr_record: tuple[object, ...] = ()
    srv_host: tuple[object, ...] = ()
    mx_host: tuple[object, ...] = ()
    mx_target: str | None = None
    localmx: bool = False
    selfmx: bool = False
    naptr_record: tuple[object, ...] = ()
    caa_record: tuple[object, ...] = ()
    dns_rr: tuple[object, ...] = ()
    synth_domain: tuple[object, ...] = ()  # lanctl/dns/synth.py
    interface_name: tuple[object, ...] = ()
    dynamic_host: tuple[object, ...] = ()
    no_round_robin: bool = False  # lanctl/dns/answers.py Rotor
    localise_queries: bool = False  # lanctl/dns/localise.py
    no_ident: bool = False  # lanctl/dns/chaos.py
    log_queries: bool = False
    log_queries_extra: bool = False  # --log-queries=extra (lanctl/dns/querylog.py)
    edns_packet_max: int = 1232
    max_tcp_connections: int = 20
    local_service: bool = False
    local_service_host: bool = False  # --local-service=host (lanctl/dns/access.py)
    # forwarding (lanctl/dns/forward.py, upstreams.py, resolvconf.py)
    no_poll: bool = False
    strict_order: bool = False
    all_servers: bool = False
    dns_forward_max: int = 150
    query_port: int | None = None
    min_port: int | None = None
    max_port: int | None = None
    fast_dns_retry: tuple[int, int] | None = None
    clear_on_reload: bool = False
    # EDNS client info added to forwarded queries (lanctl/dns/edns.py)
    add_mac: str | None = None  # "" (option 65001), "base64" or "text"
    add_subnet: object | None = None  # config.grammar AddSubnet
    add_cpe_id: str | None = None
    umbrella: object | None = None  # config.grammar Umbrella
    strip_mac: bool = False
    strip_subnet: bool = False
    dns_loop_detect: bool = False  # lanctl/dns/loopdetect.py
    proxy_dnssec: bool = False  # lanctl/dns/resolver.py: pass the upstream AD bit on
    servers_file: str | None = None  # lanctl/dns/serversfile.py: read at start and on SIGHUP
    # cache (lanctl/dns/cache.py)
    no_negcache: bool = False
    neg_ttl: int | None = None
    max_ttl: int | None = None
    max_cache_ttl: int | None = None
    min_cache_ttl: int = 0
    cache_rr: tuple[int, ...] = ()  # RR type numbers cached besides the default ones; 255: all
    use_stale_cache: int | None = None  # None: off; 0: no limit; else max excess in seconds
    # filters (lanctl/dns/filters.py)
    domain_needed: bool = False
    bogus_priv: bool = False
    filterwin2k: bool = False
    filter_a: bool = False
    filter_aaaa: bool = False
    filter_rr: tuple[int, ...] = ()  # RR type numbers; 255 (ANY): the ANY-reply rule
    stop_dns_rebind: bool = False
    rebind_localhost_ok: bool = False
    rebind_domain_ok: tuple[str, ...] = ()
    # forwarded replies (lanctl/dns/rewrite.py)
    ignore_address: tuple[object, ...] = ()
    bogus_nxdomain: tuple[object, ...] = ()
    alias: tuple[object, ...] = ()

    @property
    def enabled(self) -> bool:
        return self.port != 0


@dataclass(frozen=True, slots=True)
class Dhcp4Cfg:
    dhcp_range: tuple[object, ...] = ()
    dhcp_host: tuple[object, ...] = ()
    dhcp_leasefile: str | None = DEFAULT_LEASE_FILE
    lease_store: str | None = None  # lanctl --lease-store; None: <dhcp-leasefile>.sqlite
    dhcp_option: tuple[object, ...] = ()  # DhcpOption rows (family 4), -force ones included
    dhcp_boot: tuple[object, ...] = ()  # DhcpBoot rows
    dhcp_broadcast: tuple[tuple[object, ...], ...] = ()  # one TagRef tuple per line
    tag_if: tuple[object, ...] = ()
    domain: tuple[object, ...] = ()  # DomainSpec rows
    dhcp_vendorclass: tuple[object, ...] = ()  # TagMatch rows
    dhcp_userclass: tuple[object, ...] = ()  # TagMatch rows
    dhcp_circuitid: tuple[object, ...] = ()  # TagMatch rows
    dhcp_remoteid: tuple[object, ...] = ()  # TagMatch rows
    dhcp_subscrid: tuple[object, ...] = ()  # TagMatch rows
    dhcp_mac: tuple[object, ...] = ()  # DhcpMac rows
    dhcp_match: tuple[object, ...] = ()  # DhcpMatch rows
    dhcp_name_match: tuple[object, ...] = ()  # NameMatch rows
    dhcp_ignore: tuple[tuple[object, ...], ...] = ()  # one TagRef tuple per line
    dhcp_ignore_names: tuple[tuple[object, ...], ...] = ()  # one TagRef tuple per line
    dhcp_generate_names: tuple[tuple[object, ...], ...] = ()  # one TagRef tuple per line
    dhcp_hostsfile: tuple[str, ...] = ()
    dhcp_optsfile: tuple[str, ...] = ()
    dhcp_hostsdir: tuple[str, ...] = ()
    dhcp_optsdir: tuple[str, ...] = ()
    dhcp_script: str | None = None
    dhcp_scriptuser: str | None = None  # None: the starting identity (root), as dnsmasq
    script_on_renewal: bool = False
    lease_fsync: str = "normal"  # lanctl --lease-fsync: SQLite synchronous=NORMAL or FULL
    dhcp_authoritative: bool = False
    dhcp_sequential_ip: bool = False
    dhcp_ignore_clid: bool = False
    dhcp_lease_max: int = 1000
    leasefile_ro: bool = False
    no_ping: bool = False
    log_dhcp: bool = False
    quiet_dhcp: bool = False
    no_dhcp_interface: tuple[str, ...] = ()  # lanctl/dhcp4/selection.py
    no_dhcpv4_interface: tuple[str, ...] = ()
    dhcp_alternate_port: tuple[int, int] | None = None  # (server, client); None: 67, 68
    dhcp_relay: tuple[object, ...] = ()  # DhcpRelay rows, both families: lanctl/dhcp4/relay.py
    dhcp_proxy: tuple[object, ...] | None = None  # None: off; (): every relay; else giaddrs
    script_arp: bool = False  # lanctl/dhcp4/arpwatch.py
    dhcp_rapid_commit: bool = False  # RFC 4039: lanctl/dhcp4/messages.py
    dhcp_reply_delay: tuple[object, ...] = ()  # ReplyDelay rows
    dhcp_no_override: bool = False
    bootp_dynamic: tuple[tuple[object, ...], ...] = ()  # one TagRef tuple per line
    dhcp_client_update: bool = False  # option 81 flags: lanctl/dhcp4/fqdn.py
    shared_network: tuple[object, ...] = ()  # SharedNetwork rows (IPv4 ones)
    read_ethers: bool = False  # /etc/ethers lines as dhcp-host (lanctl/dhcp4/hostfiles.py)

    @property
    def enabled(self) -> bool:
        return bool(self.dhcp_range) or any(
            getattr(getattr(r, "local", None), "version", 0) == 4 for r in self.dhcp_relay
        )


@dataclass(frozen=True, slots=True)
class Dhcp6Cfg:
    dhcp_range: tuple[object, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.dhcp_range)


@dataclass(frozen=True, slots=True)
class RaCfg:
    enable_ra: bool = False

    @property
    def enabled(self) -> bool:
        return self.enable_ra


@dataclass(frozen=True, slots=True)
class TftpCfg:
    enable_tftp: bool = False
    enable_tftp_interfaces: tuple[str, ...] = ()
    no_dhcp_interface: tuple[str, ...] = ()  # --no-dhcp-interface: no TFTP there either
    tftp_root: tuple[object, ...] = ()
    tftp_unique_root: str | None = None  # None: off; "ip" or "mac"
    tftp_secure: bool = False
    tftp_lowercase: bool = False
    tftp_max: int = 50
    tftp_mtu: int | None = None
    tftp_no_blocksize: bool = False
    tftp_port_range: tuple[int, int] | None = None
    tftp_single_port: bool = False
    tftp_no_fail: bool = False
    quiet_tftp: bool = False
    dhcp_script: str | None = None  # the "tftp" action of --dhcp-script
    dhcp_scriptuser: str | None = None
    port: int = 69  # not a dnsmasq option: tests construct Config with another port

    @property
    def enabled(self) -> bool:
        return self.enable_tftp


@dataclass(frozen=True, slots=True)
class PxeCfg:
    pxe_service: tuple[object, ...] = ()
    proxy_ranges: tuple[object, ...] = ()

    @property
    def enabled(self) -> bool:
        return bool(self.proxy_ranges)


@dataclass(frozen=True, slots=True)
class Config:
    """Everything a run needs, plus the warnings found while building it."""

    core: CoreCfg = field(default_factory=CoreCfg)
    dns: DnsCfg = field(default_factory=DnsCfg)
    dhcp4: Dhcp4Cfg = field(default_factory=Dhcp4Cfg)
    dhcp6: Dhcp6Cfg = field(default_factory=Dhcp6Cfg)
    ra: RaCfg = field(default_factory=RaCfg)
    tftp: TftpCfg = field(default_factory=TftpCfg)
    pxe: PxeCfg = field(default_factory=PxeCfg)
    warnings: tuple[str, ...] = ()
    test: bool = False

    def enabled_services(self) -> tuple[str, ...]:
        """Services this configuration turns on, in start order."""
        out: list[str] = []
        for name, on in (
            ("dns", self.dns.enabled),
            ("dhcp4", self.dhcp4.enabled),
            ("dhcp6", self.dhcp6.enabled),
            ("ra", self.ra.enabled),
            ("tftp", self.tftp.enabled),
            ("pxe", self.pxe.enabled),
        ):
            if on:
                out.append(name)
        return tuple(out)
