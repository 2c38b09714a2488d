"""The shared interface rules (net/ifselect.py) as tables."""

from __future__ import annotations

import pytest

from lanctl.config.model import CoreCfg
from lanctl.net.ifselect import CoreSelection, core_allows

A, B = "192.0.2.1", "198.51.100.1"


def sel(**kw: tuple[str, ...]) -> CoreSelection:
    return CoreSelection.of(CoreCfg(**kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "ifname", "local", "expected"),
    [
        ({}, "eth0", A, True),
        ({}, None, None, True),
        ({"interface": ("eth0",)}, "eth0", A, True),
        ({"interface": ("eth0",)}, "eth1", A, False),
        ({"interface": ("eth0",)}, "lo", "127.0.0.1", True),  # loopback added
        ({"interface": ("eth*",)}, "eth7", B, True),
        ({"interface": ("eth*",)}, "wlan0", B, False),
        ({"except_interface": ("eth1",)}, "eth1", B, False),
        ({"except_interface": ("eth1",)}, "eth0", A, True),
        ({"listen_address": (A,)}, "eth1", A, True),  # by destination address
        ({"listen_address": (A,)}, "lo", "127.0.0.1", False),  # no loopback added
        ({"listen_address": (B,), "except_interface": ("eth1",)}, "eth1", B, True),
        ({"listen_address": (B,), "except_interface": ("eth1",)}, "eth1", A, False),
        ({"interface": ("eth0",), "except_interface": ("eth0",)}, "eth0", A, False),
        ({"interface": ("eth0",)}, None, A, False),  # unknown interface, filters on
    ],
)
def test_core_allows(
    kw: dict[str, tuple[str, ...]], ifname: str | None, local: str | None, expected: bool
) -> None:
    assert core_allows(sel(**kw), ifname, local) is expected


def test_filters_flag() -> None:
    assert not sel().filters
    assert sel(except_interface=("x",)).filters
