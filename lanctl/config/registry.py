"""The option registry: every dnsmasq 2.90 option, declared once (ARCHITECTURE §2.4).

One row per option: long name, short letter, getopt argument kind, value grammar, repeat
rule (dnsmasq's ARG_DUP = True / ARG_ONE = False), consumers, the first sentence of its man
page entry, the man page's argument synopsis and lanctl's status.  The file reader, the
argv parser, `lanctl all --help`, the man pages and `test-config` all read this table;
nothing about an option lives anywhere else.  Argument kinds and repeat rules were read
off dnsmasq 2.90 itself (`dnsmasq --test` probes); lanctl extensions come last.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from lanctl.config import grammar as g
from lanctl.config.options import Arg, Option, Status, Sub

NOT_YET: Final = "not implemented yet: parsed and checked, but it has no effect"

# fmt: off
DNSMASQ_OPTIONS: Final[tuple[Option, ...]] = (
    Option("add-cpe-id", None, Arg.REQUIRED, g.text, False, Sub.DNS, "Add an arbitrary identifying string to DNS queries which are forwarded upstream.", metavar="=<string>"),
    Option("add-mac", None, Arg.OPTIONAL, g.choice("", "base64", "text"), True, Sub.DNS, "Add the MAC address of the requestor to DNS queries which are forwarded upstream.", metavar="[=base64|text]"),
    Option("add-subnet", None, Arg.OPTIONAL, g.add_subnet, False, Sub.DNS, "Add a subnet address to the DNS queries which are forwarded upstream.", metavar="[[=[<IPv4 address>/]<IPv4 prefix length>][,[<IPv6 address>/]<IPv6 prefix length>]]"),
    Option("addn-hosts", 'H', Arg.REQUIRED, g.path, True, Sub.DNS, "Additional hosts file.", metavar="=<file>"),
    Option("address", 'A', Arg.REQUIRED, g.address_spec, True, Sub.DNS, "Specify an IP address to return for any host in the given domains.", metavar="=/<domain>[/<domain>...]/[<ipaddr>]"),
    Option("alias", 'V', Arg.REQUIRED, g.alias_spec, True, Sub.DNS, "Modify IPv4 addresses returned from upstream nameservers; old-ip is replaced by new-ip.", metavar="=[<old-ip>]|[<start-ip>-<end-ip>],<new-ip>[,<mask>]"),
    Option("all-servers", None, Arg.NONE, g.flag, False, Sub.DNS, "By default, when dnsmasq has more than one upstream server available, it will send queries to just one server."),
    Option("auth-peer", None, Arg.REQUIRED, g.ip_list, True, Sub.DNS, "Specify the addresses of secondary servers which are allowed to initiate zone transfer (AXFR) requests for zones for which dnsmasq is authoritative.", metavar="=<ip-address>[,<ip-address>[,<ip-address>...]]", status=Status.ACCEPTED),
    Option("auth-sec-servers", None, Arg.REQUIRED, g.comma_list, True, Sub.DNS, "Specify any secondary servers for a zone for which dnsmasq is authoritative.", metavar="=<domain>[,<domain>[,<domain>...]]", status=Status.ACCEPTED),
    Option("auth-server", None, Arg.REQUIRED, g.auth_server, False, Sub.DNS, "Enable DNS authoritative mode for queries arriving at an interface or address.", metavar="=<domain>,[<interface>|<ip-address>...]", status=Status.ACCEPTED),
    Option("auth-soa", None, Arg.REQUIRED, g.auth_soa, False, Sub.DNS, "Specify fields in the SOA record associated with authoritative zones.", metavar="=<serial>[,<hostmaster>[,<refresh>[,<retry>[,<expiry>]]]]", status=Status.ACCEPTED),
    Option("auth-ttl", None, Arg.REQUIRED, g.ttl, False, Sub.DNS, "Set the TTL value returned in answers from the authoritative server.", metavar="=<time>", status=Status.ACCEPTED),
    Option("auth-zone", None, Arg.REQUIRED, g.auth_zone, True, Sub.DNS, "Define a DNS zone for which dnsmasq acts as authoritative server.", metavar="=<domain>[,<subnet>[/<prefix length>][,<subnet>[/<prefix length>].....][,exclude:<subnet>[/<prefix length>]].....]", status=Status.ACCEPTED),
    Option("bind-dynamic", None, Arg.NONE, g.flag, False, Sub.CORE, "Enable a network mode which is a hybrid between --bind-interfaces and the default."),
    Option("bind-interfaces", 'z', Arg.NONE, g.flag, False, Sub.CORE, "On systems which support it, dnsmasq binds the wildcard address, even when it is listening on only some interfaces."),
    Option("bogus-nxdomain", 'B', Arg.REQUIRED, g.ip_prefix, True, Sub.DNS, "Transform replies which contain the specified address or subnet into \"No such domain\" replies.", metavar="=<ipaddr>[/prefix]"),
    Option("bogus-priv", 'b', Arg.NONE, g.flag, False, Sub.DNS, "Bogus private reverse lookups."),
    Option("bootp-dynamic", '3', Arg.OPTIONAL, g.tag_list, True, Sub.DHCP4, "(IPv4 only) Enable dynamic allocation of IP addresses to BOOTP clients.", metavar="[=<network-id>[,<network-id>]]", status=Status.SUPPORTED),
    Option("bridge-interface", None, Arg.REQUIRED, g.bridge_interface, True, Sub.CORE, "Treat DHCP (v4 and v6) requests and IPv6 Router Solicit packets arriving at any of the <alias> interfaces as if they had arrived at <interface>.", metavar="=<interface>,<alias>[,<alias>]", status=Status.ACCEPTED),
    Option("caa-record", None, Arg.REQUIRED, g.caa_record, True, Sub.DNS, "Return a CAA DNS record, as specified in RFC6844.", metavar="=<name>,<flags>,<tag>,<value>"),
    Option("cache-rr", None, Arg.REQUIRED, g.rr_types, True, Sub.DNS, "By default, dnsmasq caches A, AAAA, CNAME and SRV DNS record types.", metavar="=<rrtype>[,<rrtype>...]"),
    Option("cache-size", 'c', Arg.OPTIONAL, g.uint, False, Sub.DNS, "Set the size of dnsmasq's cache.", metavar="=<cachesize>"),
    Option("clear-on-reload", None, Arg.NONE, g.flag, False, Sub.DNS, "Whenever /etc/resolv.conf is re-read or the upstream servers are set via DBus, clear the DNS cache."),
    Option("cname", None, Arg.REQUIRED, g.cname_spec, True, Sub.DNS, "Return a CNAME record which indicates that <cname> is really <target>.", metavar="=<cname>,[<cname>,]<target>[,<TTL>]"),
    Option("conf-dir", '7', Arg.REQUIRED, g.conf_dir, True, Sub.CONFIG, "Read all the files in the given directory as configuration files.", metavar="=<directory>[,<file-extension>......],"),
    Option("conf-file", 'C', Arg.OPTIONAL, g.path, True, Sub.CONFIG, "Specify a configuration file.", metavar="=<file>"),
    Option("conf-script", None, Arg.REQUIRED, g.conf_script, True, Sub.CONFIG, "Execute <file>, and treat what it emits to stdout as the contents of a configuration file.", metavar="=<file>[ <arg]"),
    Option("connmark-allowlist", None, Arg.REQUIRED, g.connmark_allowlist, True, Sub.DNS, "Configures the DNS patterns that are allowed in DNS queries associated with the given Linux connection track mark.", metavar="=<connmark>[/<mask>][,<pattern>[/<pattern>...]]", status=Status.ACCEPTED),
    Option("connmark-allowlist-enable", None, Arg.OPTIONAL, g.connmark_mask, False, Sub.DNS, "Enables filtering of incoming DNS queries with associated Linux connection track marks according to individual allowlists configured via a series of --connmark-allowlist options.", metavar="[=<mask>]", status=Status.ACCEPTED),
    Option("conntrack", None, Arg.NONE, g.flag, False, Sub.DNS, "Read the Linux connection track mark associated with incoming DNS queries and set the same mark value on upstream traffic used to answer those queries.", status=Status.ACCEPTED),
    Option("dhcp-alternate-port", None, Arg.OPTIONAL, g.alternate_port, False, Sub.DHCP4, "(IPv4 only) Change the ports used for DHCP from the default.", metavar="[=<server port>[,<client port>]]"),
    Option("dhcp-authoritative", 'K', Arg.NONE, g.flag, False, Sub.DHCP4, "Should be set when dnsmasq is definitely the only DHCP server on a network."),
    Option("dhcp-boot", 'M', Arg.REQUIRED, g.dhcp_boot, True, Sub.DHCP4 | Sub.PXE, "(IPv4 only) Set BOOTP options to be returned by the DHCP server.", metavar="=[tag:<tag>,]<filename>,[<servername>[,<server address>|<tftp_servername>]]"),
    Option("dhcp-broadcast", None, Arg.OPTIONAL, g.tag_list, True, Sub.DHCP4, "(IPv4 only) When all the given tags appear in the tag set, always use broadcast to communicate with the host when it is unconfigured.", metavar="[=tag:<tag>[,tag:<tag>]]"),
    Option("dhcp-circuitid", None, Arg.REQUIRED, g.tag_match, True, Sub.DHCP4, "Map from RFC3046 relay agent options to tags.", metavar="=set:<tag>,<circuit-id>"),
    Option("dhcp-client-update", None, Arg.NONE, g.flag, False, Sub.DHCP4 | Sub.DHCP6, "Normally, when giving a DHCP lease, dnsmasq sets flags in the FQDN option to tell the client not to attempt a DDNS update with its name and IP address.", status=Status.SUPPORTED),
    Option("dhcp-duid", None, Arg.REQUIRED, g.dhcp_duid, False, Sub.DHCP6, "(IPv6 only) Specify the server persistent UID which the DHCPv6 server will use.", metavar="=<enterprise-id>,<uid>", status=Status.ACCEPTED),
    Option("dhcp-fqdn", None, Arg.NONE, g.flag, False, Sub.DNS | Sub.DHCP4 | Sub.DHCP6, "In the default mode, dnsmasq inserts the unqualified names of DHCP clients into the DNS.", status=Status.SUPPORTED),
    Option("dhcp-generate-names", None, Arg.OPTIONAL, g.tag_list, True, Sub.DHCP4, "(IPv4 only) Generate a name for DHCP clients which do not otherwise have one, using the MAC address expressed in hex, separated by dashes.", metavar="=tag:<tag>[,tag:<tag>]"),
    Option("dhcp-host", 'G', Arg.REQUIRED, g.dhcp_host, True, Sub.DHCP4 | Sub.DHCP6, "Specify per host parameters for the DHCP server.", metavar="=[<hwaddr>][,id:<client_id>|*][,set:<tag>][,tag:<tag>][,<ipaddr>][,<hostname>][,<lease_time>][,ignore]"),
    Option("dhcp-hostsdir", None, Arg.REQUIRED, g.path, True, Sub.DHCP4 | Sub.DHCP6, "This is equivalent to --dhcp-hostsfile, except for the following.", metavar="=<path>"),
    Option("dhcp-hostsfile", None, Arg.REQUIRED, g.path, True, Sub.DHCP4 | Sub.DHCP6, "Read DHCP host information from the specified file.", metavar="=<path>"),
    Option("dhcp-ignore", 'J', Arg.REQUIRED, g.tag_list, True, Sub.DHCP4 | Sub.DHCP6, "When all the given tags appear in the tag set ignore the host and do not allocate it a DHCP lease.", metavar="=tag:<tag>[,tag:<tag>]"),
    Option("dhcp-ignore-clid", None, Arg.NONE, g.flag, False, Sub.DHCP4, "Dnsmasq is reading 'client identifier' (RFC 2131) option sent by clients (if available) to identify clients."),
    Option("dhcp-ignore-names", None, Arg.OPTIONAL, g.tag_list, True, Sub.DHCP4 | Sub.DHCP6, "When all the given tags appear in the tag set, ignore any hostname provided by the host.", metavar="[=tag:<tag>[,tag:<tag>]]"),
    Option("dhcp-lease-max", 'X', Arg.REQUIRED, g.uint, False, Sub.DHCP4 | Sub.DHCP6, "Limits dnsmasq to the specified maximum number of DHCP leases.", metavar="=<number>"),
    Option("dhcp-leasefile", 'l', Arg.OPTIONAL, g.path, False, Sub.DHCP4 | Sub.DHCP6, "Use the specified file to store DHCP lease information.", metavar="=<path>", aliases=("dhcp-lease",)),
    Option("dhcp-luascript", None, Arg.REQUIRED, g.path, True, Sub.DHCP4 | Sub.DHCP6 | Sub.TFTP, "Specify a script written in Lua, to be run when leases are created, destroyed or changed.", metavar="=<path>", status=Status.REJECTED, note="Lua scripts are not supported; use --dhcp-script"),
    Option("dhcp-mac", '4', Arg.REQUIRED, g.dhcp_mac, True, Sub.DHCP4 | Sub.DHCP6, "Map from a MAC address to a tag.", metavar="=set:<tag>,<MAC address>"),
    Option("dhcp-match", None, Arg.REQUIRED, g.dhcp_match, True, Sub.DHCP4 | Sub.DHCP6, "Without a value, set the tag if the client sends a DHCP option of the given number or name.", metavar="=set:<tag>,<option number>|option:<option name>|vi-encap:<enterprise>[,<value>]"),
    Option("dhcp-name-match", None, Arg.REQUIRED, g.dhcp_name_match, True, Sub.DHCP4 | Sub.DHCP6, "Set the tag if the given name is supplied by a DHCP client.", metavar="=set:<tag>,<name>[*]"),
    Option("dhcp-no-override", None, Arg.NONE, g.flag, False, Sub.DHCP4, "(IPv4 only) Disable re-use of the DHCP servername and filename fields as extra option space.", status=Status.SUPPORTED),
    Option("dhcp-option", 'O', Arg.REQUIRED, g.dhcp_option, True, Sub.DHCP4 | Sub.DHCP6 | Sub.PXE, "Specify different or extra options to DHCP clients.", metavar="=[tag:<tag>,[tag:<tag>,]][encap:<opt>,][vi-encap:<enterprise>,][vendor:[<vendor-class>],][<opt>|option:<opt-name>|option6:<opt>|option6:<opt- name>],[<value>[,<value>]]"),
    Option("dhcp-option-force", None, Arg.REQUIRED, g.dhcp_option_force, True, Sub.DHCP4 | Sub.DHCP6 | Sub.PXE, "This works in exactly the same way as --dhcp-option except that the option will always be sent, even if the client does not ask for it in the parameter request list.", metavar="=[tag:<tag>,[tag:<tag>,]][encap:<opt>,][vi-encap:<enterprise>,][vendor:[<vendor-class>],]<opt>,[<value>[,<value>]]"),
    Option("dhcp-optsdir", None, Arg.REQUIRED, g.path, True, Sub.DHCP4 | Sub.DHCP6, "This is equivalent to --dhcp-optsfile, with the differences noted for --dhcp-hostsdir.", metavar="=<path>"),
    Option("dhcp-optsfile", None, Arg.REQUIRED, g.path, True, Sub.DHCP4 | Sub.DHCP6, "Read DHCP option information from the specified file.", metavar="=<path>"),
    Option("dhcp-proxy", None, Arg.OPTIONAL, g.dhcp_proxy, True, Sub.DHCP4, "(IPv4 only) A normal DHCP relay agent is only used to forward the initial parts of a DHCP interaction to the DHCP server.", metavar="[=<ip addr>]......"),
    Option("dhcp-pxe-vendor", None, Arg.REQUIRED, g.dhcp_pxe_vendor, True, Sub.PXE, "According to UEFI and PXE specifications, DHCP packets between PXE clients and proxy PXE servers should have PXEClient in their vendor-class field.", metavar="=<vendor>[,...]", status=Status.ACCEPTED),
    Option("dhcp-range", 'F', Arg.REQUIRED, g.dhcp_range, True, Sub.DHCP4 | Sub.DHCP6 | Sub.RA | Sub.PXE, "Enable the DHCP server.", metavar="=[tag:<tag>[,tag:<tag>],][set:<tag>,]<start-addr>[,<end- addr>|<mode>[,<netmask>[,<broadcast>]]][,<lease time>]"),
    Option("dhcp-rapid-commit", None, Arg.NONE, g.flag, False, Sub.DHCP4 | Sub.DHCP6, "Enable DHCPv4 Rapid Commit Option specified in RFC 4039.", status=Status.SUPPORTED),
    Option("dhcp-relay", None, Arg.REQUIRED, g.dhcp_relay, True, Sub.DHCP4 | Sub.DHCP6, "Configure dnsmasq to do DHCP relay.", metavar="=<local address>[,<server address>[#<server port>]][,<interface]"),
    Option("dhcp-remoteid", None, Arg.REQUIRED, g.tag_match, True, Sub.DHCP4 | Sub.DHCP6, "Map from RFC3046 relay agent options to tags.", metavar="=set:<tag>,<remote-id>"),
    Option("dhcp-reply-delay", None, Arg.REQUIRED, g.reply_delay, False, Sub.DHCP4 | Sub.PXE, "Delays sending DHCPOFFER and PROXYDHCP replies for at least the specified number of seconds.", metavar="=[tag:<tag>,]<integer>", status=Status.SUPPORTED),
    Option("dhcp-script", '6', Arg.REQUIRED, g.path, False, Sub.DHCP4 | Sub.DHCP6 | Sub.TFTP, "Whenever a new DHCP lease is created, or an old one destroyed, or a TFTP file transfer completes, the executable specified by this option is run.", metavar="=<path>"),
    Option("dhcp-scriptuser", None, Arg.REQUIRED, g.text, False, Sub.DHCP4 | Sub.DHCP6 | Sub.TFTP, "Specify the user as which to run the lease-change script or Lua script."),
    Option("dhcp-sequential-ip", None, Arg.NONE, g.flag, False, Sub.DHCP4, "Dnsmasq is designed to choose IP addresses for DHCP clients using a hash of the client's MAC address."),
    Option("dhcp-subscrid", None, Arg.REQUIRED, g.tag_match, True, Sub.DHCP4 | Sub.DHCP6, "(IPv4 and IPv6) Map from RFC3993 subscriber-id relay agent options to tags.", metavar="=set:<tag>,<subscriber-id>"),
    Option("dhcp-ttl", None, Arg.REQUIRED, g.ttl, False, Sub.DNS, "As for --local-ttl, but affects only replies with information from DHCP leases.", metavar="=<time>", status=Status.SUPPORTED),
    Option("dhcp-userclass", 'j', Arg.REQUIRED, g.tag_match, True, Sub.DHCP4 | Sub.DHCP6, "Map from a user-class string to a tag (with substring matching, like vendor classes).", metavar="=set:<tag>,<user-class>"),
    Option("dhcp-vendorclass", 'U', Arg.REQUIRED, g.tag_match, True, Sub.DHCP4 | Sub.DHCP6, "Map from a vendor-class string to a tag.", metavar="=set:<tag>,[enterprise:<IANA-enterprise number>,]<vendor-class>"),
    Option("dns-forward-max", '0', Arg.REQUIRED, g.uint, False, Sub.DNS, "Set the maximum number of concurrent DNS queries.", metavar="=<queries>"),
    Option("dns-loop-detect", None, Arg.NONE, g.flag, False, Sub.DNS, "Enable code to detect DNS forwarding loops; ie the situation where a query sent to one of the upstream server eventually returns as a new query to the dnsmasq instance."),
    Option("dns-rr", None, Arg.REQUIRED, g.dns_rr, True, Sub.DNS, "Return an arbitrary DNS Resource Record.", metavar="=<name>,<RR-number>,[<hex data>]"),
    Option("dnssec", None, Arg.NONE, g.flag, False, Sub.DNS, "Validate DNS replies and cache DNSSEC data.", status=Status.ACCEPTED),
    Option("dnssec-check-unsigned", None, Arg.OPTIONAL, g.choice("", "no"), True, Sub.DNS, "As a default, dnsmasq checks that unsigned DNS replies are legitimate: this entails possible extra queries even for the majority of DNS zones which are not, at the moment, signed.", metavar="[=no]", status=Status.ACCEPTED),
    Option("dnssec-debug", None, Arg.NONE, g.flag, False, Sub.DNS, "Set debugging mode for the DNSSEC validation, set the Checking Disabled bit on upstream queries, and don't convert replies which do not validate to responses with a return code of SERVFAIL.", status=Status.ACCEPTED),
    Option("dnssec-limits", None, Arg.REQUIRED, g.dnssec_limits, False, Sub.DNS, "Override the default resource limits applied to DNSSEC validation.", metavar="=<limit>[,<limit>.......]", status=Status.ACCEPTED),
    Option("dnssec-no-timecheck", None, Arg.NONE, g.flag, False, Sub.DNS, "DNSSEC signatures are only valid for specified time windows, and should be rejected outside those windows.", status=Status.ACCEPTED),
    Option("dnssec-timestamp", None, Arg.REQUIRED, g.path, False, Sub.DNS, "Enables an alternative way of checking the validity of the system time for DNSSEC (see --dnssec-no-timecheck).", metavar="=<path>", status=Status.ACCEPTED),
    Option("domain", 's', Arg.REQUIRED, g.domain_spec, True, Sub.DNS | Sub.DHCP4 | Sub.DHCP6, "Specifies DNS domains for the DHCP server.", metavar="=<domain>[[,<address range>[,local]]|<interface>]", status=Status.SUPPORTED, aliases=("domain-suffix",)),
    Option("domain-needed", 'D', Arg.NONE, g.flag, False, Sub.DNS, "Tells dnsmasq to never forward A or AAAA queries for plain names, without dots or domain parts, to upstream nameservers."),
    Option("dumpfile", None, Arg.REQUIRED, g.path, False, Sub.CORE, "Specify the location of a pcap-format file which dnsmasq uses to dump copies of network packets for debugging purposes.", metavar="=<path/to/file>", status=Status.ACCEPTED),
    Option("dumpmask", None, Arg.REQUIRED, g.hex_int, False, Sub.CORE, "Specify which types of packets should be added to the dumpfile.", metavar="=<mask>", status=Status.ACCEPTED),
    Option("dynamic-host", None, Arg.REQUIRED, g.dynamic_host, True, Sub.DNS, "Add A, AAAA and PTR records to the DNS in the same subnet as the specified interface.", metavar="=<name>,[IPv4-address],[IPv6-address],<interface>"),
    Option("edns-packet-max", 'P', Arg.REQUIRED, g.uint, False, Sub.DNS, "Specify the largest EDNS.0 UDP packet which is supported by the DNS forwarder.", metavar="=<size>"),
    Option("enable-dbus", '1', Arg.OPTIONAL, g.text, False, Sub.CORE, "Allow dnsmasq configuration to be updated via DBus method calls.", metavar="[=<service-name>]", status=Status.ACCEPTED),
    Option("enable-ra", None, Arg.NONE, g.flag, False, Sub.RA, "Enable dnsmasq's IPv6 Router Advertisement feature.", status=Status.ACCEPTED),
    Option("enable-tftp", None, Arg.OPTIONAL, g.interface_list, True, Sub.TFTP, "Enable the TFTP server function.", metavar="[=<interface>[,<interface>]]"),
    Option("enable-ubus", None, Arg.OPTIONAL, g.text, False, Sub.CORE, "Enable dnsmasq UBus interface.", metavar="[=<service-name>]", status=Status.ACCEPTED),
    Option("except-interface", 'I', Arg.REQUIRED, g.interface_list, True, Sub.CORE, "Do not listen on the specified interface.", metavar="=<interface name>"),
    Option("expand-hosts", 'E', Arg.NONE, g.flag, False, Sub.DNS, "Add the domain to simple names (without a period) in /etc/hosts in the same way as for DHCP-derived names."),
    Option("fast-dns-retry", None, Arg.OPTIONAL, g.fast_dns_retry, False, Sub.DNS, "Under normal circumstances, dnsmasq relies on DNS clients to do retries; it does not generate timeouts itself.", metavar="=[<initial retry delay in ms>[,<time to continue retries in ms>]]"),
    Option("filter-A", None, Arg.NONE, g.flag, False, Sub.DNS, "Remove A records from answers."),
    Option("filter-AAAA", None, Arg.NONE, g.flag, False, Sub.DNS, "Remove AAAA records from answers."),
    Option("filter-rr", None, Arg.REQUIRED, g.rr_types, True, Sub.DNS, "Remove records of the specified type(s) from answers.", metavar="=<rrtype>[,<rrtype>...]"),
    Option("filterwin2k", 'f', Arg.NONE, g.flag, False, Sub.DNS, "Later versions of windows make periodic DNS requests which don't get sensible answers from the public DNS and can cause problems by triggering dial-on-demand links."),
    Option("group", 'g', Arg.OPTIONAL, g.text, False, Sub.CORE, "Specify the group which dnsmasq will run as.", metavar="=<groupname>"),
    Option("help", 'w', Arg.NONE, g.flag, False, Sub.CONFIG, "Display all command-line options.", status=Status.ACCEPTED),
    Option("host-record", None, Arg.REQUIRED, g.host_record, True, Sub.DNS, "Add A, AAAA and PTR records to the DNS.", metavar="=<name>[,<name>....],[<IPv4-address>],[<IPv6-address>][,<TTL>]"),
    Option("hostsdir", None, Arg.REQUIRED, g.path, True, Sub.DNS, "Read all the hosts files contained in the directory.", metavar="=<path>"),
    Option("ignore-address", None, Arg.REQUIRED, g.ip_prefix, True, Sub.DNS, "Ignore replies to A or AAAA queries which include the specified address or subnet.", metavar="=<ipaddr>[/prefix]"),
    Option("interface", 'i', Arg.REQUIRED, g.interface_list, True, Sub.CORE, "Listen only on the specified interface(s).", metavar="=<interface name>"),
    Option("interface-name", None, Arg.REQUIRED, g.interface_name, True, Sub.DNS, "Return DNS records associating the name with the address(es) of the given interface.", metavar="=<name>,<interface>[/4|/6]"),
    Option("ipset", None, Arg.REQUIRED, g.ipset_spec, True, Sub.DNS, "Places the resolved IP addresses of queries for one or more domains in the specified Netfilter IP set.", metavar="=/<domain>[/<domain>...]/<ipset>[,<ipset>...]", status=Status.ACCEPTED),
    Option("keep-in-foreground", 'k', Arg.NONE, g.flag, False, Sub.CORE, "Do not go into the background at startup but otherwise run as normal."),
    Option("leasefile-ro", '9', Arg.NONE, g.flag, False, Sub.DHCP4 | Sub.DHCP6, "Completely suppress use of the lease database file."),
    Option("listen-address", 'a', Arg.REQUIRED, g.ip_list, True, Sub.CORE, "Listen on the given IP address(es).", metavar="=<ipaddr>"),
    Option("local", None, Arg.REQUIRED, g.server_spec, True, Sub.DNS, "Specify upstream servers directly.", metavar="=[/[<domain>]/[domain/]][<server>[#<port>]][@<interface>][@<source-ip>[#<port>]]"),
    Option("local-service", None, Arg.OPTIONAL, g.choice("", "net", "host"), False, Sub.DNS, "Without parameter or with net parameter, restricts service to connected network.", metavar="[=net|host]"),
    Option("local-ttl", 'T', Arg.REQUIRED, g.ttl, False, Sub.DNS, "When replying with information from /etc/hosts or configuration or the DHCP leases file dnsmasq by default sets the time-to-live field to zero, meaning that the requester should not itself cache the information.", metavar="=<time>"),
    Option("localise-queries", 'y', Arg.NONE, g.flag, False, Sub.DNS, "Return answers to DNS queries from /etc/hosts and --interface-name and --dynamic-host which depend on the interface over which the query was received."),
    Option("localmx", 'L', Arg.NONE, g.flag, False, Sub.DNS, "Return an MX record pointing to the host given by --mx-target (or the machine on which dnsmasq is running) for each local machine."),
    Option("log-async", None, Arg.OPTIONAL, g.optional_uint, False, Sub.CORE, "Enable asynchronous logging and optionally set the limit on the number of lines which will be queued by dnsmasq when writing to the syslog is slow.", metavar="[=<lines>]"),
    Option("log-debug", None, Arg.NONE, g.flag, False, Sub.CORE, "Enable extra logging intended for debugging rather than information."),
    Option("log-dhcp", None, Arg.NONE, g.flag, False, Sub.DHCP4 | Sub.DHCP6, "Extra logging for DHCP: log all the options sent to DHCP clients and the tags used to determine them."),
    Option("log-facility", '8', Arg.REQUIRED, g.log_facility, False, Sub.CORE, "Set the facility to which dnsmasq will send syslog entries, this defaults to DAEMON, and to LOCAL0 when debug mode is in operation.", metavar="=<facility>"),
    Option("log-queries", 'q', Arg.OPTIONAL, g.text, True, Sub.DNS, "Log the results of DNS queries handled by dnsmasq."),
    Option("max-cache-ttl", None, Arg.REQUIRED, g.ttl, False, Sub.DNS, "Set a maximum TTL value for entries in the cache.", metavar="=<time>"),
    Option("max-port", None, Arg.REQUIRED, g.port, False, Sub.DNS, "Use ports lower than that given as source for outbound DNS queries.", metavar="=<port>"),
    Option("max-tcp-connections", None, Arg.REQUIRED, g.uint, False, Sub.DNS, "The maximum number of concurrent TCP connections.", metavar="=<number>"),
    Option("max-ttl", None, Arg.REQUIRED, g.ttl, False, Sub.DNS, "Set a maximum TTL value that will be handed out to clients.", metavar="=<time>"),
    Option("min-cache-ttl", None, Arg.REQUIRED, g.ttl, False, Sub.DNS, "Extend short TTL values to the time given when caching them.", metavar="=<time>"),
    Option("min-port", None, Arg.REQUIRED, g.port, False, Sub.DNS, "Do not use ports less than that given as source for outbound DNS queries.", metavar="=<port>"),
    Option("mx-host", 'm', Arg.REQUIRED, g.mx_host, True, Sub.DNS, "Return an MX record named <mx name> pointing to the given hostname (if given), or the host specified in the --mx-target switch or, if that switch is not given, the host on which dnsmasq is running.", metavar="=<mx name>[[,<hostname>],<preference>]"),
    Option("mx-target", 't', Arg.REQUIRED, g.mx_target, False, Sub.DNS, "Specify the default target for the MX record returned by dnsmasq.", metavar="=<hostname>"),
    Option("naptr-record", None, Arg.REQUIRED, g.naptr_record, True, Sub.DNS, "Return an NAPTR DNS record, as specified in RFC3403.", metavar="=<name>,<order>,<preference>,<flags>,<service>,<regexp>[,<replacement>]"),
    Option("neg-ttl", None, Arg.REQUIRED, g.ttl, False, Sub.DNS, "Negative replies from upstream servers normally contain time-to-live information in SOA records which dnsmasq uses for caching.", metavar="=<time>"),
    Option("nftset", None, Arg.REQUIRED, g.nftset_spec, True, Sub.DNS, "Similar to the --ipset option, but accepts one or more nftables sets to add IP addresses into.", metavar="=/<domain>[/<domain>...]/[(6|4)#[<family>#]<table>#<set>[,[(6|4)#[<family>#]<table>#<set>]...]", status=Status.ACCEPTED),
    Option("no-daemon", 'd', Arg.NONE, g.flag, False, Sub.CORE, "Debug mode: don't fork to the background, don't write a pid file, don't change user id, generate a complete cache dump on receipt on SIGUSR1, log to stderr as well as syslog, don't fork new processes to handle TCP queries."),
    Option("no-dhcp-interface", '2', Arg.REQUIRED, g.interface_list, True, Sub.DHCP4 | Sub.DHCP6 | Sub.RA | Sub.TFTP, "Do not provide DHCP, TFTP or router advertisement on the specified interface, but do provide DNS service.", metavar="=<interface name>"),
    Option("no-dhcpv4-interface", None, Arg.REQUIRED, g.interface_list, True, Sub.DHCP4, "Disable only IPv4 DHCP on the specified interface.", metavar="=<interface name>"),
    Option("no-dhcpv6-interface", None, Arg.REQUIRED, g.interface_list, True, Sub.DHCP6 | Sub.RA, "Disable IPv6 DHCP and router advertisement on the specified interface.", metavar="=<interface name>", status=Status.ACCEPTED),
    Option("no-hosts", 'h', Arg.NONE, g.flag, False, Sub.DNS, "Don't read the hostnames in /etc/hosts."),
    Option("no-ident", None, Arg.NONE, g.flag, False, Sub.DNS, "Do not respond to class CHAOS and type TXT in domain bind queries."),
    Option("no-negcache", 'N', Arg.NONE, g.flag, False, Sub.DNS, "Disable negative caching."),
    Option("no-ping", '5', Arg.NONE, g.flag, False, Sub.DHCP4, "(IPv4 only) By default, the DHCP server will attempt to ensure that an address is not in use before allocating it to a host."),
    Option("no-poll", 'n', Arg.NONE, g.flag, False, Sub.DNS, "Don't poll /etc/resolv.conf for changes."),
    Option("no-resolv", 'R', Arg.NONE, g.flag, False, Sub.DNS, "Don't read /etc/resolv.conf."),
    Option("no-round-robin", None, Arg.NONE, g.flag, False, Sub.DNS, "Dnsmasq normally permutes the order of A or AAAA records for the same name on successive queries, for load-balancing."),
    Option("pid-file", 'x', Arg.OPTIONAL, g.path, False, Sub.CORE, "Specify an alternate path for dnsmasq to record its process-id in.", metavar="=<path>"),
    Option("port", 'p', Arg.REQUIRED, g.port, False, Sub.DNS, "Listen on <port> instead of the standard DNS port (53).", metavar="=<port>"),
    Option("port-limit", None, Arg.REQUIRED, g.uint, False, Sub.DNS, "By default, when sending a query via random ports to multiple upstream servers or retrying a query dnsmasq will use a single random port for all the tries/retries.", metavar="=<#ports>", status=Status.ACCEPTED),
    Option("proxy-dnssec", None, Arg.NONE, g.flag, False, Sub.DNS, "Copy the DNSSEC Authenticated Data bit from upstream servers to downstream clients."),
    Option("ptr-record", None, Arg.REQUIRED, g.ptr_record, True, Sub.DNS, "Return a PTR DNS record.", metavar="=<name>[,<target>]"),
    Option("pxe-prompt", None, Arg.REQUIRED, g.pxe_prompt, True, Sub.PXE, "Setting this provides a prompt to be displayed after PXE boot.", metavar="=[tag:<tag>,]<prompt>[,<timeout>]", status=Status.ACCEPTED),
    Option("pxe-service", None, Arg.REQUIRED, g.pxe_service, True, Sub.PXE, "Most uses of PXE boot-ROMS simply allow the PXE system to obtain an IP address and then download the file specified by --dhcp-boot and execute it.", metavar="=[tag:<tag>,]<CSA>,<menu text>[,<basename>|<bootservicetype>][,<server address>|<server_name>]", status=Status.ACCEPTED),
    Option("query-port", 'Q', Arg.REQUIRED, g.port, False, Sub.DNS, "Send outbound DNS queries from, and listen for their replies on, the specific UDP port <query_port> instead of using random ports.", metavar="=<query_port>", status=Status.SUPPORTED),
    Option("quiet-dhcp", None, Arg.NONE, g.flag, False, Sub.DHCP4, "Suppress logging of the routine operation of these protocols."),
    Option("quiet-dhcp6", None, Arg.NONE, g.flag, False, Sub.DHCP6, "Suppress logging of the routine operation of these protocols.", status=Status.ACCEPTED),
    Option("quiet-ra", None, Arg.NONE, g.flag, False, Sub.RA, "Suppress logging of the routine operation of these protocols.", status=Status.ACCEPTED),
    Option("quiet-tftp", None, Arg.NONE, g.flag, False, Sub.TFTP, "Suppress logging of the routine operation of these protocols."),
    Option("ra-param", None, Arg.REQUIRED, g.ra_param, True, Sub.RA, "Set non-default values for router advertisements sent via an interface.", metavar="=<interface>,[mtu:<integer>|<interface>|off,][high,|low,]<ra-interval>[,<router lifetime>]", status=Status.ACCEPTED),
    Option("read-ethers", 'Z', Arg.NONE, g.flag, False, Sub.DHCP4, "Read /etc/ethers for information about hosts for the DHCP server.", status=Status.SUPPORTED),
    Option("rebind-domain-ok", None, Arg.REQUIRED, g.domain_list, True, Sub.DNS, "Do not detect and block dns-rebind on queries to these domains.", metavar="=[<domain>]|[[/<domain>/[<domain>/]"),
    Option("rebind-localhost-ok", None, Arg.NONE, g.flag, False, Sub.DNS, "Exempt 127.0.0.0/8 and ::1 from rebinding checks."),
    Option("resolv-file", 'r', Arg.OPTIONAL, g.path, True, Sub.DNS, "Read the IP addresses of the upstream nameservers from <file>, instead of /etc/resolv.conf.", metavar="=<file>"),
    Option("rev-server", None, Arg.REQUIRED, g.rev_server, True, Sub.DNS, "This is functionally the same as --server, but provides some syntactic sugar to make specifying address-to-name queries easier.", metavar="=<ip-address>[/<prefix-len>][,<server>][#<port>][@<interface>][@<source- ip>[#<port>]]"),
    Option("script-arp", None, Arg.NONE, g.flag, False, Sub.DHCP4, "Enable the \"arp\" and \"arp-old\" functions in the --dhcp-script and --dhcp-luascript."),
    Option("script-on-renewal", None, Arg.NONE, g.flag, False, Sub.DHCP4 | Sub.DHCP6, "Call the DHCP script when the lease expiry time changes, for instance when the lease is renewed."),
    Option("selfmx", 'e', Arg.NONE, g.flag, False, Sub.DNS, "Return an MX record pointing to itself for each local machine."),
    Option("server", 'S', Arg.REQUIRED, g.server_spec, True, Sub.DNS, "Specify upstream servers directly.", metavar="=[/[<domain>]/[domain/]][<server>[#<port>]][@<interface>][@<source-ip>[#<port>]]"),
    Option("servers-file", None, Arg.REQUIRED, g.path, False, Sub.CONFIG | Sub.DNS, "A special case of --conf-file which differs in two respects.", metavar="=<file>"),
    Option("shared-network", None, Arg.REQUIRED, g.shared_network, True, Sub.DHCP4 | Sub.DHCP6, "The DHCP server determines which DHCP ranges are useable for allocating an address to a DHCP client based on the network from which the DHCP request arrives, and the IP configuration of the server's interface on that network.", metavar="=<interface>,<addr> --shared-network=<addr>,<addr>", status=Status.SUPPORTED),
    Option("srv-host", 'W', Arg.REQUIRED, g.srv_host, True, Sub.DNS, "Return a SRV DNS record.", metavar="=<_service>.<_prot>.[<domain>],[<target>[,<port>[,<priority>[,<weight>]]]]"),
    Option("stop-dns-rebind", None, Arg.NONE, g.flag, False, Sub.DNS, "Reject (and log) addresses from upstream nameservers which are in the private ranges."),
    Option("strict-order", 'o', Arg.NONE, g.flag, False, Sub.DNS, "By default, dnsmasq will send queries to any of the upstream servers it knows about and tries to favour servers that are known to be up."),
    Option("strip-mac", None, Arg.NONE, g.flag, False, Sub.DNS, "Remove any MAC address information already in downstream queries before forwarding upstream."),
    Option("strip-subnet", None, Arg.NONE, g.flag, False, Sub.DNS, "Remove any subnet address already present in a downstream query before forwarding it upstream."),
    Option("synth-domain", None, Arg.REQUIRED, g.synth_domain, True, Sub.DNS, "Create artificial A/AAAA and PTR records for an address range.", metavar="=<domain>,<address range>[,<prefix>[*]]"),
    Option("tag-if", None, Arg.REQUIRED, g.tag_if, True, Sub.DHCP4 | Sub.DHCP6 | Sub.PXE, "Perform boolean operations on tags.", metavar="=set:<tag>[,set:<tag>[,tag:<tag>[,tag:<tag>]]]"),
    Option("test", None, Arg.NONE, g.flag, False, Sub.CONFIG, "Read and syntax check configuration file(s)."),
    Option("tftp-lowercase", None, Arg.NONE, g.flag, False, Sub.TFTP, "Convert filenames in TFTP requests to all lowercase."),
    Option("tftp-max", None, Arg.REQUIRED, g.uint, False, Sub.TFTP, "Set the maximum number of concurrent TFTP connections allowed.", metavar="=<connections>"),
    Option("tftp-mtu", None, Arg.REQUIRED, g.uint, False, Sub.TFTP, "Use size as the ceiling of the MTU supported by the intervening network when negotiating TFTP blocksize, overriding the MTU setting of the local interface if it is larger.", metavar="=<mtu size>"),
    Option("tftp-no-blocksize", None, Arg.NONE, g.flag, False, Sub.TFTP, "Stop the TFTP server from negotiating the \"blocksize\" option with a client."),
    Option("tftp-no-fail", None, Arg.NONE, g.flag, False, Sub.TFTP, "Do not abort startup if specified tftp root directories are inaccessible."),
    Option("tftp-port-range", None, Arg.REQUIRED, g.port_range, False, Sub.TFTP, "A TFTP server listens on a well-known port (69) for connection initiation, but it also uses a dynamically-allocated port for each connection.", metavar="=<start>,<end>"),
    Option("tftp-root", None, Arg.REQUIRED, g.tftp_root, True, Sub.TFTP, "Look for files to transfer using TFTP relative to the given directory.", metavar="=<directory>[,<interface>]"),
    Option("tftp-secure", None, Arg.NONE, g.flag, False, Sub.TFTP, "Enable TFTP secure mode: without this, any file which is readable by the dnsmasq process under normal unix access-control rules is available via TFTP."),
    Option("tftp-single-port", None, Arg.NONE, g.flag, False, Sub.TFTP, "Run in a mode where the TFTP server uses ONLY the well-known port (69) for its end of the TFTP transfer."),
    Option("tftp-unique-root", None, Arg.OPTIONAL, g.choice("", "ip", "mac", ignore_case=True), True, Sub.TFTP, "Add the IP or hardware address of the TFTP client as a path component on the end of the TFTP-root.", metavar="[=ip|mac]"),
    Option("trust-anchor", None, Arg.REQUIRED, g.trust_anchor, True, Sub.DNS, "Provide DS records to act a trust anchors for DNSSEC validation.", metavar="=[<class>],<domain>,<key-tag>,<algorithm>,<digest-type>,<digest>", status=Status.ACCEPTED),
    Option("txt-record", 'Y', Arg.REQUIRED, g.txt_record, True, Sub.DNS, "Return a TXT DNS record.", metavar="=<name>[[,<text>],<text>]"),
    Option("umbrella", None, Arg.OPTIONAL, g.umbrella, False, Sub.DNS, "Embeds the requestor's IP address in DNS queries forwarded upstream.", metavar="[=[deviceid:<deviceid>][,orgid:<orgid>][,assetid:<id>]]"),
    Option("use-stale-cache", None, Arg.OPTIONAL, g.optional_uint, False, Sub.DNS, "When set, if a DNS name exists in the cache, but its time-to-live has expired, dnsmasq will return the data anyway.", metavar="[=<max TTL excess in s>]"),
    Option("user", 'u', Arg.OPTIONAL, g.text, False, Sub.CORE, "Specify the userid to which dnsmasq will change after startup.", metavar="=<username>"),
    Option("version", 'v', Arg.NONE, g.flag, False, Sub.CONFIG, "Print the version number.", status=Status.ACCEPTED),
)
# fmt: on

# lanctl's own options: not in dnsmasq; accepted in files and on the command line.
EXTENSIONS: Final[tuple[Option, ...]] = (
    Option(
        "control-socket",
        None,
        Arg.REQUIRED,
        g.path,
        False,
        Sub.CORE,
        "Path of the control socket (default: beside the pid file, with .sock).",
        metavar="=<path>",
    ),
    Option(
        "lease-store",
        None,
        Arg.REQUIRED,
        g.path,
        False,
        Sub.DHCP4 | Sub.DHCP6,
        "Path of the SQLite lease store (default: the lease file's path plus .sqlite).",
        metavar="=<path>",
    ),
    Option(
        "lease-fsync",
        None,
        Arg.REQUIRED,
        g.choice("normal", "full"),
        False,
        Sub.DHCP4 | Sub.DHCP6,
        "How the lease store syncs commits: normal (SQLite synchronous=NORMAL, the default)"
        " or full (an fsync per commit).",
        metavar="=normal|full",
    ),
    Option(
        "strict",
        None,
        Arg.NONE,
        g.flag,
        False,
        Sub.CORE,
        "Treat options that lanctl accepts but does not implement yet as errors.",
    ),
)

OPTIONS: Final[tuple[Option, ...]] = DNSMASQ_OPTIONS + EXTENSIONS


def _index() -> tuple[dict[str, Option], dict[str, Option]]:
    by_name: dict[str, Option] = {}
    by_short: dict[str, Option] = {}
    for opt in OPTIONS:
        for name in (opt.name, *opt.aliases):
            if name in by_name:
                raise RuntimeError(f"option {name} declared twice")
            by_name[name] = opt
        if opt.short is not None:
            if opt.short in by_short:
                raise RuntimeError(f"short option -{opt.short} declared twice")
            by_short[opt.short] = opt
    return by_name, by_short


_BY_NAME, _BY_SHORT = _index()
BY_NAME: Final[Mapping[str, Option]] = _BY_NAME
BY_SHORT: Final[Mapping[str, Option]] = _BY_SHORT
