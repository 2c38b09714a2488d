"""Option negotiation table: what the OACK grants for each request (RFC 2347/2348/2349/7440)."""

from __future__ import annotations

import pytest

from lanctl.tftp.negotiate import Limits, Negotiated, negotiate

ETH = Limits(mtu=1500)

Case = tuple[
    tuple[tuple[str, str], ...], str, Limits, tuple[int, float, int], tuple[tuple[str, str], ...]
]
CASES: list[Case] = [
    ((), "octet", ETH, (512, 1.0, 1), ()),
    ((("blksize", "1468"),), "octet", ETH, (1468, 1.0, 1), (("blksize", "1468"),)),
    # Bounded by the interface MTU (1500 - 32): dnsmasq grants the same 1468.
    ((("blksize", "70000"),), "octet", ETH, (1468, 1.0, 1), (("blksize", "1468"),)),
    ((("blksize", "65464"),), "octet", Limits(), (65464, 1.0, 1), (("blksize", "65464"),)),
    ((("blksize", "70000"),), "octet", Limits(), (65464, 1.0, 1), (("blksize", "65464"),)),
    # --tftp-mtu lowers the ceiling below the interface MTU.
    (
        (("blksize", "1468"),),
        "octet",
        Limits(mtu=1500, tftp_mtu=1000),
        (968, 1.0, 1),
        (("blksize", "968"),),
    ),
    (
        (("blksize", "1468"),),
        "octet",
        Limits(mtu=1500, ipv6=True),
        (1448, 1.0, 1),
        (("blksize", "1448"),),
    ),
    # RFC 2348 minimum is 8; dnsmasq answers 0/abc with 1 and accepts 7: we ignore them.
    ((("blksize", "0"),), "octet", ETH, (512, 1.0, 1), ()),
    ((("blksize", "7"),), "octet", ETH, (512, 1.0, 1), ()),
    ((("blksize", "abc"),), "octet", ETH, (512, 1.0, 1), ()),
    ((("blksize", "8"),), "octet", ETH, (8, 1.0, 1), (("blksize", "8"),)),
    ((("blksize", "1468"),), "octet", Limits(mtu=1500, no_blocksize=True), (512, 1.0, 1), ()),
    ((("tsize", "0"),), "octet", ETH, (512, 1.0, 1), (("tsize", "1000"),)),
    ((("tsize", "0"),), "netascii", ETH, (512, 1.0, 1), ()),  # octet only, as dnsmasq
    ((("timeout", "3"),), "octet", ETH, (512, 3.0, 1), (("timeout", "3"),)),
    ((("timeout", "0"),), "octet", ETH, (512, 1.0, 1), ()),
    ((("timeout", "256"),), "octet", ETH, (512, 1.0, 1), ()),
    ((("windowsize", "8"),), "octet", ETH, (512, 1.0, 8), (("windowsize", "8"),)),
    ((("windowsize", "1000"),), "octet", ETH, (512, 1.0, 32), (("windowsize", "32"),)),
    ((("windowsize", "0"),), "octet", ETH, (512, 1.0, 1), ()),
    ((("multicast", ""), ("foo", "1")), "octet", ETH, (512, 1.0, 1), ()),
    (
        (("tsize", "0"), ("blksize", "1468"), ("windowsize", "16"), ("blksize", "600")),
        "octet",
        ETH,
        (1468, 1.0, 16),
        (("tsize", "1000"), ("blksize", "1468"), ("windowsize", "16")),
    ),
]


@pytest.mark.parametrize(("options", "mode", "limits", "params", "oack"), CASES)
def test_negotiation_table(
    options: tuple[tuple[str, str], ...],
    mode: str,
    limits: Limits,
    params: tuple[int, float, int],
    oack: tuple[tuple[str, str], ...],
) -> None:
    got = negotiate(options, mode=mode, size=1000, limits=limits)
    assert got == Negotiated(*params, oack)


def test_tsize_needs_a_known_size() -> None:
    assert negotiate((("tsize", "0"),), mode="octet", size=None, limits=ETH).oack == ()
