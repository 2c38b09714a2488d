"""EDNS0 client info: option formats and order as dnsmasq 2.90 sends them (golden vectors
taken from a recording upstream behind dnsmasq, client 192.0.2.250, MAC 02:00:00:00:01:01)."""

from __future__ import annotations

import ipaddress
import random

import dns.edns
import dns.message
import pytest

from lanctl.config.grammar.dns_auth import AddSubnet, Umbrella
from lanctl.config.model import DnsCfg
from lanctl.dns.edns import ClientInfo, ClientInfoPolicy, query_options
from lanctl.dns.engine import DnsEngine
from lanctl.dns.local import LocalData
from lanctl.dns.resolver import FORWARDED
from lanctl.dns.wire import decode_query
from tests.dns.test_forward import reply_to, specs

CLIENT = "192.0.2.250"
MAC = bytes.fromhex("020000000101")


def opts(policy: ClientInfoPolicy, client: list[tuple[int, bytes]] | None = None) -> str:
    return ClientInfo(policy).options(client or [], CLIENT, MAC).hex()


def pairs(policy: ClientInfoPolicy) -> list[list[object]]:
    """[code, data hex] per option: the shape the recording upstream logs."""
    q = dns.message.make_query("x.example", "A", use_edns=0)
    wire = q.to_wire()[:-2]  # the OPT record without its (zero) RDLENGTH
    rdata = ClientInfo(policy).options([], CLIENT, MAC)
    wire += len(rdata).to_bytes(2, "big") + rdata
    return [
        [code, data.hex()] for code, data in query_options(wire, decode_query(wire).question_end)
    ]


def v4(addr: str | None, length: int) -> AddSubnet:
    return AddSubnet(ipaddress.ip_address(addr) if addr else None, length)


# [code, data] exactly as dnsmasq 2.90 sent them (tests/dns/recording_upstream.py log).
@pytest.mark.parametrize(
    ("policy", "sent"),
    [
        (ClientInfoPolicy(add_mac=""), [[65001, "020000000101"]]),
        (ClientInfoPolicy(add_mac="base64"), [[65073, "4167414141414542"]]),
        (ClientInfoPolicy(add_mac="text"), [[65073, "30323a30303a30303a30303a30313a3031"]]),
        (ClientInfoPolicy(add_subnet=AddSubnet()), [[8, "00010000"]]),
        (ClientInfoPolicy(add_subnet=v4(None, 24)), [[8, "00011800c00002"]]),
        (ClientInfoPolicy(add_subnet=v4(None, 32)), [[8, "00012000c00002fa"]]),
        (ClientInfoPolicy(add_subnet=v4("203.0.113.0", 24)), [[8, "00011800cb0071"]]),
        (ClientInfoPolicy(add_subnet=v4("198.51.100.7", 32)), [[8, "00012000c6336407"]]),
        (ClientInfoPolicy(add_cpe_id="abc123"), [[65074, "616263313233"]]),
        (ClientInfoPolicy(umbrella=Umbrella()), [[20292, "4f444e5301000010c00002fa"]]),
        (
            ClientInfoPolicy(umbrella=Umbrella(bytes.fromhex("0123456789abcdef"), 1234, 5678)),
            [[20292, "4f444e5301000008000004d20010c00002fa00400123456789abcdef00040000162e"]],
        ),
        (  # the order dnsmasq uses: MAC, CPE id, Umbrella, ECS
            ClientInfoPolicy("", v4(None, 24), "x", Umbrella(None, 5, None)),
            [
                [65001, "020000000101"],
                [65074, "78"],
                [20292, "4f444e5301000008000000050010c00002fa"],
                [8, "00011800c00002"],
            ],
        ),
    ],
)
def test_options_match_dnsmasq_on_the_wire(policy: ClientInfoPolicy, sent: list[object]) -> None:
    assert pairs(policy) == sent


CLIENT_ECS = (8, bytes.fromhex("00011900c0000280"))
CLIENT_MAC = (65001, bytes.fromhex("020000000001"))
COOKIE = (10, bytes(8))


def test_client_options_kept_replaced_or_stripped_as_dnsmasq() -> None:
    client = [CLIENT_ECS, COOKIE, CLIENT_MAC]
    ecs, mac = "0008000800011900c0000280", "fde90006020000000001"
    ours_ecs, ours_mac = "0008000700011800c00002", "fde90006020000000101"
    cookie = "000a00080000000000000000"
    # Kept, the cookie too (dnsmasq 2.90); ours not added over the client's.
    assert opts(ClientInfoPolicy(add_subnet=v4(None, 24)), client) == ecs + cookie + mac
    assert opts(ClientInfoPolicy(add_mac=""), client) == ecs + cookie + mac
    assert opts(ClientInfoPolicy(strip_subnet=True), client) == cookie + mac
    assert opts(ClientInfoPolicy(strip_mac=True), client) == ecs + cookie
    assert opts(ClientInfoPolicy(add_subnet=v4(None, 24), strip_subnet=True), client) == (
        cookie + mac + ours_ecs
    )
    assert opts(ClientInfoPolicy(add_mac="", strip_mac=True), client) == ecs + cookie + ours_mac
    # base64/text use another code: the client's 65001 stays and ours is added.
    assert opts(ClientInfoPolicy(add_mac="text"), client).startswith(ecs + cookie + mac + "fe31")


def test_no_mac_known_no_mac_option_and_ipv6_ecs() -> None:
    info = ClientInfo(ClientInfoPolicy(add_mac="", add_subnet=AddSubnet(None, 24, None, 56)))
    assert info.options([], CLIENT, None).hex() == "0008000700011800c00002"
    six = info.options([], "2001:db8:1:2:3::9", None).hex()
    assert six == "0008000b" + "0002" + "38" + "00" + "20010db8000100"  # 7 octets of /56


def test_cacheable_only_when_what_is_added_does_not_depend_on_the_client() -> None:
    assert ClientInfoPolicy(add_subnet=AddSubnet()).cacheable
    assert ClientInfoPolicy(add_subnet=v4("203.0.113.0", 24)).cacheable
    assert ClientInfoPolicy(add_cpe_id="x").cacheable
    assert not ClientInfoPolicy(add_subnet=v4(None, 24)).cacheable
    assert not ClientInfoPolicy(add_mac="").cacheable
    assert not ClientInfoPolicy(umbrella=Umbrella()).cacheable
    assert not ClientInfoPolicy().active and ClientInfoPolicy(strip_mac=True).active


def test_query_options_reads_the_opt_record() -> None:
    options = [dns.edns.GenericOption(65001, MAC), dns.edns.GenericOption(8, b"\0\1\0\0")]
    data = dns.message.make_query("www.example", "A", use_edns=0, options=options).to_wire()
    assert query_options(data, decode_query(data).question_end) == [(65001, MAC), (8, b"\0\1\0\0")]
    plain = dns.message.make_query("www.example", "A", use_edns=False).to_wire()
    assert query_options(plain, decode_query(plain).question_end) == []


def test_engine_sends_client_info_and_does_not_coalesce_or_cache_per_client_replies() -> None:
    cfg = DnsCfg(no_resolv=True, server=tuple(specs("198.51.100.53")), add_mac="",
                 add_cpe_id="x")  # fmt: skip
    e = DnsEngine(cfg, LocalData(), rng=random.Random(1))
    macs = {"192.0.2.250": MAC, "192.0.2.251": bytes.fromhex("020000000102")}
    e.resolver.mac_of = macs.get
    q = dns.message.make_query("www.example", "A", use_edns=False).to_wire()
    assert e.on_query(q, ("192.0.2.250", 1), 0.0, dest="a") == FORWARDED
    assert e.on_query(q, ("192.0.2.251", 1), 0.0, dest="b") == FORWARDED
    sends, _, _ = e.take_actions()
    assert len(sends) == 2  # different MACs: two upstream queries
    sent = [dns.message.from_wire(s.data) for s in sends]
    assert [[(o.otype, o.to_wire()) for o in m.options] for m in sent] == [
        [(65001, MAC), (65074, b"x")],
        [(65001, macs["192.0.2.251"]), (65074, b"x")],
    ]
    for s in sends:
        e.on_upstream(s.token, reply_to(s), 0.1)
    assert len(e.take_actions()[2]) == 2 and len(e.cache) == 0  # not cached (add-mac)
