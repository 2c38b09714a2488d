"""lanctl.store.names: the compact name table and DHCP lease names, with dnsmasq's rules.

The lease rules were checked against dnsmasq 2.90 (lease file + addn-hosts + domain=lan, dig):
a lease name that hosts has with another address is not given ("not giving name ..."), the
FQDN still is; a lease on an address that hosts names takes the hosts name (host_from_dns);
the first lease name gets the PTR unless hosts has one.
"""

from __future__ import annotations

from array import array
from ipaddress import IPv4Address, IPv6Address, IPv6Network, ip_address

from lanctl.store.backend import MemoryBackend
from lanctl.store.hostsfile import parse_hosts
from lanctl.store.lease import Lease4, Lease6
from lanctl.store.names import LeaseNames, NameTable, NameTableBuilder

MAC = bytes.fromhex("001122334455")


def p(text: str) -> bytes:
    return ip_address(text).packed


def table(*files: str, records: tuple[tuple[str, str, int], ...] = ()) -> NameTable:
    b = NameTableBuilder()
    for name, addr, ttl in records:
        b.add(name, p(addr), "config", ttl, True)
    for i, text in enumerate(files):
        hf = parse_hosts(text, f"/h{i}")
        b.add_columns(hf.names, hf.addrs, hf.first, hf.source, 0)
    return b.build()


def addrs(t: NameTable, name: str) -> list[str]:
    return [str(ip_address(row.addr)) for row in t.lookup(name.encode())]


def ptr(t: NameTable, addr: str) -> str | None:
    row = t.ptr(p(addr))
    return row.name.decode() if row else None


def test_lookup_keeps_read_order_and_drops_exact_duplicates() -> None:
    t = table(
        "192.0.2.1 multi host10\n192.0.2.1 multi\n2001:db8::1 multi\n",
        "198.51.100.1 multi host1\n",
        records=(("multi", "203.0.113.5", 60),),
    )
    assert addrs(t, "multi") == ["203.0.113.5", "192.0.2.1", "2001:db8::1", "198.51.100.1"]
    assert addrs(t, "host1") == ["198.51.100.1"]  # not a prefix match of host10
    assert addrs(t, "host10") == ["192.0.2.1"]
    assert addrs(t, "host") == [] and addrs(t, "zzz") == [] and addrs(t, "") == []
    assert t.lookup(b"multi")[0].ttl == 60 and t.lookup(b"multi")[0].source == "config"
    assert len(t) == 3  # distinct names
    assert t.counts == {"config": 1, "/h0": 3, "/h1": 2}


def test_ptr_first_allowed_row_wins() -> None:
    t = table(
        "192.0.2.1 first alias\n192.0.2.2 other\n2001:db8::5 six\n",
        "192.0.2.1 second\n192.0.2.3 notfirst\n",
        records=(("rec", "192.0.2.2", 0),),
    )
    assert ptr(t, "192.0.2.1") == "first"  # first name of the first line
    assert ptr(t, "192.0.2.2") == "rec"  # host-record before hosts files
    assert ptr(t, "192.0.2.3") == "notfirst"
    assert ptr(t, "2001:db8::5") == "six"
    assert ptr(t, "192.0.2.9") is None and ptr(t, "2001:db8::6") is None
    assert [r.name for r in t.ptr_rows()] == [b"six", b"first", b"rec", b"notfirst"]  # by address


def test_storage_is_packed_not_an_object_per_name() -> None:
    t = table("".join(f"198.51.100.{i % 200 + 1} n{i}.example\n" for i in range(1000)))
    assert isinstance(t.blob, bytes) and isinstance(t.addr_blob, bytes)
    assert isinstance(t.offsets, array) and len(t.offsets) == 1001
    assert len(t.addr_blob) == 4000
    assert addrs(t, "n999.example") == ["198.51.100.200"]
    assert ptr(t, "198.51.100.200") == "n199.example"  # first of the five names on it


def test_empty_table() -> None:
    t = NameTableBuilder().build()
    assert t.lookup(b"x") == [] and t.ptr(p("192.0.2.1")) is None and len(t) == 0


# ---- leases --------------------------------------------------------------------


def lease(addr: str, name: str | None, expires: int = 0) -> Lease4:
    return Lease4(IPv4Address(addr), MAC, hostname=name, expires=expires)


def names(static: NameTable, backend: MemoryBackend, now: float = 1000) -> LeaseNames:
    ln = LeaseNames(backend, lambda packed: "lan" if packed[:3] == p("192.0.2.0")[:3] else None, 7)
    ln.refresh(static, now, force=True)
    return ln


def test_lease_names_get_the_domain_and_the_ptr() -> None:
    ln = names(table(), MemoryBackend([lease("192.0.2.50", "Laptop", 5000)]))
    assert ln.forward == {
        b"laptop.lan": [(p("192.0.2.50"), 5000)],
        b"laptop": [(p("192.0.2.50"), 5000)],
    }
    assert ln.reverse == {p("192.0.2.50"): (b"laptop.lan", 5000)}
    assert ln.ttl_left(5000, 1000) == 7 and ln.ttl_left(5000, 4997) == 3 and ln.ttl_left(0, 0) == 7


def test_hosts_names_win_over_lease_names() -> None:
    static = table("192.0.2.99 clash\n192.0.2.7 same\n192.0.2.8 hostptr\n")
    backend = MemoryBackend(
        [lease("192.0.2.51", "clash"), lease("192.0.2.7", "same"), lease("192.0.2.8", "renamed")]
    )
    ln = names(static, backend)
    assert b"clash" not in ln.forward  # hosts has it with another address
    assert ln.forward[b"clash.lan"] == [(p("192.0.2.51"), 0)]
    assert ln.reverse[p("192.0.2.51")] == (b"clash.lan", 0)
    assert ln.messages == [
        "not giving name clash to the DHCP lease of 192.0.2.51 because the name exists in "
        "/h0 with address 192.0.2.99"
    ]
    assert b"same" not in ln.forward and ln.forward[b"same.lan"] == [(p("192.0.2.7"), 0)]
    assert p("192.0.2.7") not in ln.reverse  # hosts owns the PTR
    # dnsmasq gives the lease the hosts name of its address
    assert b"renamed" not in ln.forward and b"renamed.lan" not in ln.forward
    assert ln.forward[b"hostptr.lan"] == [(p("192.0.2.8"), 0)]


def test_refresh_follows_backend_changes_and_expiry() -> None:
    backend = MemoryBackend([lease("192.0.2.50", "a", expires=2000)])
    ln = names(table(), backend)
    gen = ln.generation
    assert not ln.refresh(table(), 1500)  # nothing changed, nothing ran out
    backend.commit([lease("192.0.2.60", "b")])
    assert ln.refresh(table(), 1500) and ln.generation == gen + 1
    assert set(ln.forward) == {b"a", b"a.lan", b"b", b"b.lan"}
    assert ln.refresh(table(), 2000)  # a ran out: reloaded without it
    assert set(ln.forward) == {b"b", b"b.lan"}
    backend.release(IPv4Address("192.0.2.60"))
    assert ln.refresh(table(), 2001) and ln.forward == {} and ln.reverse == {}


def test_v6_leases_named_prefixes_and_nameless_ignored() -> None:
    backend = MemoryBackend(
        [
            Lease6(IPv6Address("2001:db8::20"), b"\x00\x01", 1, hostname="six"),
            Lease6(IPv6Network("2001:db8:1::/56"), b"\x00\x02", 2, "pd", hostname="pd"),
            lease("192.0.2.9", None),
        ]
    )
    ln = names(table(), backend)
    assert ln.forward == {b"six": [(p("2001:db8::20"), 0)]}
    assert ln.reverse == {p("2001:db8::20"): (b"six", 0)}
