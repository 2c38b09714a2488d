"""Fold parsed option values into the frozen model (`model.Config`).

Each builder reads only the options its consumer declared (through
`Values.for_consumer`), and the cross-option checks live in `checks.py`.  Defaults are
dnsmasq's: user nobody, port 53, cache 150, EDNS 1232, 20 TCP connections.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar, cast

from lanctl.config import grammar as g
from lanctl.config.checks import run_checks
from lanctl.config.model import (
    DEFAULT_LEASE_FILE,
    DEFAULT_PID_FILE,
    Config,
    CoreCfg,
    Dhcp4Cfg,
    Dhcp6Cfg,
    DnsCfg,
    PxeCfg,
    RaCfg,
    TftpCfg,
)
from lanctl.config.options import Sub
from lanctl.config.values import ConsumerView, Values
from lanctl.errors import ConfigError

T = TypeVar("T")


def _one(view: ConsumerView, name: str, default: T) -> T:
    return cast(T, view.get(name, default))


def _flat(view: ConsumerView, name: str) -> tuple[str, ...]:
    """Options whose values are tuples (interface lists) flattened in order."""
    out: list[str] = []
    for item in view.all(name):
        out.extend(str(x) for x in cast(tuple[object, ...], item))
    return tuple(out)


def build_core(view: ConsumerView) -> CoreCfg:
    user = _one(view, "user", "nobody")
    group = _one(view, "group", "")
    pid_file = _one(view, "pid-file", DEFAULT_PID_FILE)  # "pid-file=" (None) disables it
    return CoreCfg(
        user=user or None,
        group=group or None,
        pid_file=pid_file,
        control_socket=_one(view, "control-socket", None),
        log_facility=_one(view, "log-facility", None),
        log_async=_one(view, "log-async", None),
        log_debug=view.has("log-debug"),
        keep_in_foreground=view.has("keep-in-foreground"),
        no_daemon=view.has("no-daemon"),
        interface=_flat(view, "interface"),
        except_interface=_flat(view, "except-interface"),
        listen_address=tuple(str(a) for a in _flat(view, "listen-address")),
        bind_interfaces=view.has("bind-interfaces"),
        bind_dynamic=view.has("bind-dynamic"),
        strict=view.has("strict"),
    )


def _rr_numbers(view: ConsumerView, name: str) -> tuple[int, ...]:
    """--filter-rr/--cache-rr values (mnemonics or "TYPE<n>", see g.rr_types) as numbers."""
    out: list[int] = []
    for item in _flat(view, name):
        number = g.RR_TYPES.get(item)
        out.append(number if number is not None else int(item.removeprefix("TYPE")))
    return tuple(dict.fromkeys(out))


def _stale(view: ConsumerView) -> int | None:
    """--use-stale-cache: None when absent; the bare flag means at most one day (man page)."""
    if not view.has("use-stale-cache"):
        return None
    value: int | None = _one(view, "use-stale-cache", None)
    return 86400 if value is None else value


def _in_config_order(view: ConsumerView, *names: str) -> tuple[object, ...]:
    """The values of several repeatable options in configuration order, as dnsmasq keeps
    --server and --rev-server in one list (its start-up log lines show that order)."""
    found = {id(p) for name in names for p in view.occurrences(name)}
    return tuple(p.value for p in view._values if id(p) in found)


def build_dns(view: ConsumerView) -> DnsCfg:
    servers = _in_config_order(view, "server", "rev-server") + tuple(view.all("local"))
    return DnsCfg(
        port=_one(view, "port", 53),
        no_hosts=view.has("no-hosts"),
        addn_hosts=tuple(str(p) for p in view.all("addn-hosts") if p),
        hostsdir=tuple(str(p) for p in view.all("hostsdir") if p),
        expand_hosts=view.has("expand-hosts"),
        domain=tuple(view.all("domain")),
        local_ttl=_one(view, "local-ttl", 0),
        dhcp_ttl=_one(view, "dhcp-ttl", None),
        dhcp_fqdn=view.has("dhcp-fqdn"),
        cache_size=_one(view, "cache-size", 150),
        no_resolv=view.has("no-resolv"),
        resolv_file=tuple(str(p) for p in view.all("resolv-file") if p),
        server=servers,
        address=tuple(view.all("address")),
        host_record=tuple(view.all("host-record")),
        cname=tuple(view.all("cname")),
        txt_record=tuple(view.all("txt-record")),
        ptr_record=tuple(view.all("ptr-record")),
        srv_host=tuple(view.all("srv-host")),
        mx_host=tuple(view.all("mx-host")),
        mx_target=_one(view, "mx-target", None),
        localmx=view.has("localmx"),
        selfmx=view.has("selfmx"),
        naptr_record=tuple(view.all("naptr-record")),
        caa_record=tuple(view.all("caa-record")),
        dns_rr=tuple(view.all("dns-rr")),
        synth_domain=tuple(view.all("synth-domain")),
        interface_name=tuple(view.all("interface-name")),
        dynamic_host=tuple(view.all("dynamic-host")),
        no_round_robin=view.has("no-round-robin"),
        localise_queries=view.has("localise-queries"),
        no_ident=view.has("no-ident"),
        log_queries=view.has("log-queries"),
        log_queries_extra=_one(view, "log-queries", None) == "extra",
        edns_packet_max=_one(view, "edns-packet-max", 1232),
        max_tcp_connections=_one(view, "max-tcp-connections", 20),
        local_service=view.has("local-service"),
        local_service_host=_one(view, "local-service", None) == "host",
        no_poll=view.has("no-poll"),
        strict_order=view.has("strict-order"),
        all_servers=view.has("all-servers"),
        dns_forward_max=_one(view, "dns-forward-max", 150),
        query_port=_one(view, "query-port", None),
        min_port=_one(view, "min-port", None),
        max_port=_one(view, "max-port", None),
        fast_dns_retry=_one(view, "fast-dns-retry", None),
        clear_on_reload=view.has("clear-on-reload"),
        servers_file=_one(view, "servers-file", None) or None,
        add_mac=(_one(view, "add-mac", None) or "") if view.has("add-mac") else None,
        add_subnet=_one(view, "add-subnet", None),
        add_cpe_id=_one(view, "add-cpe-id", None),
        umbrella=_one(view, "umbrella", None),
        strip_mac=view.has("strip-mac"),
        strip_subnet=view.has("strip-subnet"),
        proxy_dnssec=view.has("proxy-dnssec"),
        dns_loop_detect=view.has("dns-loop-detect"),
        no_negcache=view.has("no-negcache"),
        neg_ttl=_one(view, "neg-ttl", None),
        max_ttl=_one(view, "max-ttl", None),
        max_cache_ttl=_one(view, "max-cache-ttl", None),
        min_cache_ttl=_one(view, "min-cache-ttl", 0),
        use_stale_cache=_stale(view),
        cache_rr=_rr_numbers(view, "cache-rr"),
        domain_needed=view.has("domain-needed"),
        bogus_priv=view.has("bogus-priv"),
        filterwin2k=view.has("filterwin2k"),
        filter_a=view.has("filter-A"),
        filter_aaaa=view.has("filter-AAAA"),
        filter_rr=_rr_numbers(view, "filter-rr"),
        stop_dns_rebind=view.has("stop-dns-rebind"),
        rebind_localhost_ok=view.has("rebind-localhost-ok"),
        rebind_domain_ok=_flat(view, "rebind-domain-ok"),
        ignore_address=tuple(view.all("ignore-address")),
        bogus_nxdomain=tuple(view.all("bogus-nxdomain")),
        alias=tuple(view.all("alias")),
    )


def _ranges(view: ConsumerView) -> list[object]:
    return list(view.all("dhcp-range"))


def _tag_lines(view: ConsumerView, name: str) -> tuple[tuple[object, ...], ...]:
    """One TagRef tuple per line of a tag-list option (no value: the empty tuple)."""
    return tuple(cast(tuple[object, ...], t) if t else () for t in view.all(name))


def build_dhcp4(view: ConsumerView) -> Dhcp4Cfg:
    ranges = tuple(r for r in _ranges(view) if isinstance(r, g.Dhcp4Range) and r.mode != "proxy")
    leasefile = _one(view, "dhcp-leasefile", DEFAULT_LEASE_FILE)
    return Dhcp4Cfg(
        dhcp_range=ranges,
        dhcp_host=tuple(view.all("dhcp-host")),
        dhcp_leasefile=leasefile,
        lease_store=_one(view, "lease-store", None),
        dhcp_option=tuple(
            o
            for name in ("dhcp-option", "dhcp-option-force")
            for o in view.all(name)
            if isinstance(o, g.DhcpOption) and o.family == 4
        ),
        dhcp_boot=tuple(view.all("dhcp-boot")),
        dhcp_broadcast=tuple(cast(tuple[object, ...], t) for t in view.all("dhcp-broadcast")),
        tag_if=tuple(view.all("tag-if")),
        dhcp_vendorclass=tuple(view.all("dhcp-vendorclass")),
        dhcp_userclass=tuple(view.all("dhcp-userclass")),
        dhcp_circuitid=tuple(view.all("dhcp-circuitid")),
        dhcp_remoteid=tuple(view.all("dhcp-remoteid")),
        dhcp_subscrid=tuple(view.all("dhcp-subscrid")),
        dhcp_mac=tuple(view.all("dhcp-mac")),
        dhcp_match=tuple(view.all("dhcp-match")),
        dhcp_name_match=tuple(view.all("dhcp-name-match")),
        dhcp_ignore=_tag_lines(view, "dhcp-ignore"),
        dhcp_ignore_names=_tag_lines(view, "dhcp-ignore-names"),
        dhcp_generate_names=_tag_lines(view, "dhcp-generate-names"),
        domain=tuple(view.all("domain")),
        dhcp_hostsfile=tuple(str(p) for p in view.all("dhcp-hostsfile") if p),
        dhcp_optsfile=tuple(str(p) for p in view.all("dhcp-optsfile") if p),
        dhcp_hostsdir=tuple(str(p) for p in view.all("dhcp-hostsdir") if p),
        dhcp_optsdir=tuple(str(p) for p in view.all("dhcp-optsdir") if p),
        dhcp_script=_one(view, "dhcp-script", None),
        dhcp_scriptuser=_one(view, "dhcp-scriptuser", None),
        script_on_renewal=view.has("script-on-renewal"),
        lease_fsync=_one(view, "lease-fsync", "normal"),
        dhcp_authoritative=view.has("dhcp-authoritative"),
        dhcp_sequential_ip=view.has("dhcp-sequential-ip"),
        dhcp_ignore_clid=view.has("dhcp-ignore-clid"),
        dhcp_lease_max=_one(view, "dhcp-lease-max", 1000),
        leasefile_ro=view.has("leasefile-ro"),
        no_ping=view.has("no-ping"),
        log_dhcp=view.has("log-dhcp"),
        quiet_dhcp=view.has("quiet-dhcp"),
        no_dhcp_interface=tuple(i for i in _flat(view, "no-dhcp-interface") if i),
        no_dhcpv4_interface=tuple(i for i in _flat(view, "no-dhcpv4-interface") if i),
        dhcp_alternate_port=_one(view, "dhcp-alternate-port", None),
        dhcp_relay=tuple(r for r in view.all("dhcp-relay") if isinstance(r, g.DhcpRelay)),
        dhcp_proxy=_proxy(view),
        script_arp=view.has("script-arp"),
        dhcp_rapid_commit=view.has("dhcp-rapid-commit"),
        dhcp_reply_delay=tuple(view.all("dhcp-reply-delay")),
        dhcp_no_override=view.has("dhcp-no-override"),
        bootp_dynamic=_tag_lines(view, "bootp-dynamic"),
        dhcp_client_update=view.has("dhcp-client-update"),
        shared_network=tuple(
            n
            for n in view.all("shared-network")
            if isinstance(n, g.SharedNetwork) and n.addr.version == 4
        ),
        read_ethers=view.has("read-ethers"),
    )


def _proxy(view: ConsumerView) -> tuple[object, ...] | None:
    """--dhcp-proxy: None when absent; bare (every relay) -> (); else the relay addresses."""
    if not view.has("dhcp-proxy"):
        return None
    out: list[object] = []
    for item in view.all("dhcp-proxy"):
        out.extend(cast(tuple[object, ...], item))
    return tuple(out)


def build_dhcp6(view: ConsumerView) -> Dhcp6Cfg:
    return Dhcp6Cfg(dhcp_range=tuple(r for r in _ranges(view) if isinstance(r, g.Dhcp6Range)))


def build_ra(view: ConsumerView) -> RaCfg:
    return RaCfg(enable_ra=view.has("enable-ra"))


def build_tftp(view: ConsumerView) -> TftpCfg:
    return TftpCfg(
        enable_tftp=view.has("enable-tftp"),
        enable_tftp_interfaces=tuple(i for i in _flat(view, "enable-tftp") if i),
        no_dhcp_interface=tuple(i for i in _flat(view, "no-dhcp-interface") if i),
        tftp_root=tuple(view.all("tftp-root")),
        tftp_unique_root=(
            (str(_one(view, "tftp-unique-root", "")) or "ip").lower()
            if view.has("tftp-unique-root")
            else None
        ),
        tftp_secure=view.has("tftp-secure"),
        tftp_lowercase=view.has("tftp-lowercase"),
        tftp_max=_one(view, "tftp-max", 50),
        tftp_mtu=_one(view, "tftp-mtu", None),
        tftp_no_blocksize=view.has("tftp-no-blocksize"),
        tftp_port_range=_one(view, "tftp-port-range", None),
        tftp_single_port=view.has("tftp-single-port"),
        tftp_no_fail=view.has("tftp-no-fail"),
        quiet_tftp=view.has("quiet-tftp"),
        dhcp_script=_one(view, "dhcp-script", None),
        dhcp_scriptuser=_one(view, "dhcp-scriptuser", None),
    )


def build_pxe(view: ConsumerView) -> PxeCfg:
    proxies = tuple(r for r in _ranges(view) if isinstance(r, g.Dhcp4Range) and r.mode == "proxy")
    return PxeCfg(pxe_service=tuple(view.all("pxe-service")), proxy_ranges=proxies)


def build(values: Values) -> Config:
    """Build the model, run the cross-option checks, apply `--strict`."""
    core = build_core(values.for_consumer(Sub.CORE))
    cfg = Config(
        core=core,
        dns=build_dns(values.for_consumer(Sub.DNS)),
        dhcp4=build_dhcp4(values.for_consumer(Sub.DHCP4)),
        dhcp6=build_dhcp6(values.for_consumer(Sub.DHCP6)),
        ra=build_ra(values.for_consumer(Sub.RA)),
        tftp=build_tftp(values.for_consumer(Sub.TFTP)),
        pxe=build_pxe(values.for_consumer(Sub.PXE)),
        test=values.has("test"),
    )
    warnings = list(values.warnings) + run_checks(values, cfg)
    if core.strict and values.warnings:
        raise ConfigError(values.warnings[0].removeprefix("warning: ") + " (--strict)")
    return replace(cfg, warnings=tuple(warnings))
