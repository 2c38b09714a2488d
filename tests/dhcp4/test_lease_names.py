"""One lease per host name in the engine, without sockets (lanctl/dhcp4/leasenames.py).

The rule is dnsmasq 2.90's as seen on the wire (tests/dhcp4/test_lease_names_compat.py):
the newest lease takes a name from an older one, which is stored without it, unless the
older one's name is from a --dhcp-host found by MAC and the newcomer's is not.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Address

from lanctl.dhcp4.effects import LeaseChanged
from lanctl.dhcp4.leasenames import LeaseNames
from lanctl.dhcp4.leasetable import LeaseTable
from lanctl.dhcp4.wire import MessageType, Opt
from lanctl.store.lease import Lease4
from lanctl.store.mirror import unique_names
from tests.dhcp4.helpers import SERVER, T0, dora, engine, feed, logs, mac, one_reply, packet

RANGE = "--dhcp-range=192.0.2.50,192.0.2.99,12h"
A = IPv4Address
R = MessageType.DHCPREQUEST


def names(eng: object) -> dict[str, str | None]:
    leases = eng.leases.values()  # type: ignore[attr-defined]
    return {lease.hwaddr.hex(): lease.hostname for lease in leases}


def renew(eng: object, hw: bytes, addr: IPv4Address, name: str | None, now: float) -> list[object]:
    pkt = packet(R, hw, ciaddr=addr, hostname=name)
    return feed(eng, pkt, now)  # type: ignore[arg-type]


def test_the_newest_lease_takes_the_name_and_the_older_is_stored_without() -> None:
    eng = engine(RANGE)
    a1 = dora(eng, mac(1), hostname="dup").yiaddr
    older = eng.leases[a1]
    eff = feed(eng, packet(MessageType.DHCPDISCOVER, mac(2), hostname="DUP"))
    offer = one_reply(eff)
    eff = feed(eng, packet(R, mac(2), requested=offer.yiaddr, server=SERVER, hostname="DUP"))
    lost = [e for e in eff if isinstance(e, LeaseChanged) and e.action == "old"]
    assert lost == [LeaseChanged("old", replace(older, hostname=None), older)]
    assert names(eng) == {mac(1).hex(): None, mac(2).hex(): "DUP"}  # any case is the same
    # a renewal without option 12 does not take it back; one with the name does
    renew(eng, mac(1), a1, None, T0 + 10)
    assert names(eng)[mac(1).hex()] is None
    renew(eng, mac(1), a1, "dup", T0 + 20)
    assert names(eng) == {mac(1).hex(): "dup", mac(2).hex(): None}


def test_a_name_from_a_dhcp_host_by_mac_is_kept_from_a_client_asking_for_it() -> None:
    eng = engine(RANGE, f"--dhcp-host={mac(1).hex(':')},dup")
    dora(eng, mac(1))
    before = dict(eng.leases)
    ack = dora(eng, mac(2), hostname="dup")
    assert ack.options[Opt.HOSTNAME] == b"dup"  # the ACK still carries the asked-for name
    assert names(eng) == {mac(1).hex(): "dup", mac(2).hex(): None}
    assert all(eng.leases[a] == lease for a, lease in before.items())
    # ... while a configured newcomer takes a client's name
    eng = engine(RANGE, f"--dhcp-host={mac(2).hex(':')},dup")
    dora(eng, mac(1), hostname="dup")
    dora(eng, mac(2))
    assert names(eng) == {mac(1).hex(): None, mac(2).hex(): "dup"}


def test_a_dhcp_host_found_by_name_does_not_keep_it() -> None:
    eng = engine(RANGE, "--dhcp-host=dup,192.0.2.65")
    assert dora(eng, mac(1), hostname="dup").yiaddr == A("192.0.2.65")
    eff = feed(eng, packet(MessageType.DHCPDISCOVER, mac(2), hostname="dup"))
    addr = one_reply(eff).yiaddr
    eff = feed(eng, packet(R, mac(2), requested=addr, server=SERVER, hostname="dup"))
    assert logs(eff)[-1].endswith(" dup")
    assert names(eng) == {mac(1).hex(): None, mac(2).hex(): "dup"}


def test_an_expired_lease_keeps_no_name() -> None:
    eng = engine(
        "--dhcp-range=192.0.2.50,192.0.2.99,255.255.255.0,2m", "--dhcp-host=02:00:00:00:00:01,dup"
    )
    dora(eng, mac(1))
    dora(eng, mac(2), now=T0 + 500, hostname="dup")  # mac 1's lease ran out at T0+120
    assert (
        eng.leases[next(a for a, x in eng.leases.items() if x.hwaddr == mac(2))].hostname == "dup"
    )


def test_leases_from_the_store_hold_their_names() -> None:
    table = LeaseTable()
    held = Lease4(A("192.0.2.60"), mac(1), hostname="Dup")
    table.store(held)
    index = LeaseNames(table)
    assert index.holder("dup", T0) == (held, False)
    claim = index.claim("dup", A("192.0.2.61"), False, T0)
    assert claim.granted and claim.loser == held
    # the holder entry is believed only while that lease has the name
    table.store(Lease4(A("192.0.2.61"), mac(2), hostname="other"))
    assert index.holder("dup", T0) is None
    assert index.claim("dup", A("192.0.2.62"), False, T0).loser is None


def test_the_clients_own_old_lease_is_not_a_rival() -> None:
    table = LeaseTable()
    mine = Lease4(A("192.0.2.60"), mac(1), hostname="dup")
    table.store(mine)
    claim = LeaseNames(table).claim("dup", A("192.0.2.70"), False, T0, mine)
    assert claim.granted and claim.loser is None
    assert LeaseNames(table).claim("dup", A("192.0.2.70"), False, T0).loser == mine


def test_a_lease_file_keeps_each_name_on_its_last_lease() -> None:
    leases = [
        Lease4(A("192.0.2.60"), mac(1), hostname="dup"),
        Lease4(A("192.0.2.61"), mac(2), hostname="other"),
        Lease4(A("192.0.2.62"), mac(3), hostname="DUP"),
        Lease4(A("192.0.2.63"), mac(4)),
    ]
    assert unique_names(leases) == [
        replace(leases[0], hostname=None),
        leases[1],
        leases[2],
        leases[3],
    ]
