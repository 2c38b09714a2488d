"""EDNS0 client info on the wire: the options dnsmasq 2.90 and lanctl add to the same
queries, as a recording upstream logs them (tests/dns/recording_upstream.py).

cli 192.0.2.250 (MAC 02:00:00:00:01:01) -- srv 192.0.2.1 (dnsmasq :53, lanctl :5300) -- up.
The client's options (dig's COOKIE included) are passed on by both; the OPT UDP size is
compared in test_forward_compat.py (without client info options).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dns.test_dnsopts_e2e import both, received, recorder
from tests.dns.test_forwarding_e2e import Net, dig, net, status

__all__ = ["net"]  # the fixture, re-exported for pytest

CLIENT_OPTS = ("+subnet=192.0.2.128/25", "+ednsopt=65001:020000000001")


def sent(log: Path, name: str) -> list[list[list[object]]]:
    # dig's client cookie is random per run: compared by where it is, not by its value.
    return [[[10, "COOKIE"] if o[0] == 10 else o for o in r["opts"] or []]
            for r in received(log, name)]  # fmt: skip


CASES = [
    ("add-mac",),
    ("add-mac=base64",),
    ("add-mac=text",),
    ("add-subnet",),
    ("add-subnet=24,56",),
    ("add-subnet=203.0.113.0/24,2001:db8::/48",),
    ("add-cpe-id=abc123",),
    ("umbrella=deviceid:0123456789abcdef,orgid:1234,assetid:5678",),
    ("add-mac", "add-subnet=24", "add-cpe-id=x", "umbrella=orgid:5"),
    ("strip-subnet",),
    ("strip-mac",),
    ("add-subnet=24", "strip-subnet"),
    ("add-mac", "strip-mac"),
]


@pytest.mark.parametrize("options", CASES, ids=lambda c: "+".join(c))
def test_client_info_options_like_dnsmasq(net: Net, options: tuple[str, ...]) -> None:
    log = recorder(net)
    both(net, *options)
    asks = [("plain", "+noedns"), ("edns",), ("client", *CLIENT_OPTS)]
    for name, *args in asks:
        for port, tag in ((53, "d"), (5300, "l")):
            for _ in range(2):  # asked twice: the upstream count shows what was cached
                assert status(dig(net, f"{tag}-{name}.example", *args, port=port)) == "NOERROR"
        theirs, ours = sent(log, f"d-{name}.example"), sent(log, f"l-{name}.example")
        assert ours == theirs, (name, options)
