"""Model building and the cross-option checks (both file:line positions named)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lanctl.config import load
from lanctl.config.build import build
from lanctl.config.options import Status, Sub
from lanctl.config.registry import OPTIONS
from lanctl.config.values import Values
from lanctl.errors import ConfigError


def conf(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "t.conf"
    path.write_text(text)
    return [f"--conf-file={path}"]


def test_defaults_are_dnsmasqs(tmp_path: Path) -> None:
    cfg = load(conf(tmp_path, ""))
    assert cfg.dns.port == 53 and cfg.dns.cache_size == 150
    assert cfg.core.user == "nobody"
    assert cfg.enabled_services() == ("dns",)


def test_port_zero_disables_dns_and_dhcp_range_enables_dhcp(tmp_path: Path) -> None:
    cfg = load(conf(tmp_path, "port=0\ndhcp-range=192.0.2.10,192.0.2.100,12h\n"))
    assert cfg.enabled_services() == ("dhcp4",)


def test_duplicate_dhcp_host_address_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    text = "dhcp-host=02:00:00:00:00:01,192.0.2.5\ndhcp-host=02:00:00:00:00:02,192.0.2.5\n"
    with pytest.raises(ConfigError) as err:
        load(conf(tmp_path, text))
    message = str(err.value)
    assert "line 2 of" in message and "line 1 of" in message and "192.0.2.5" in message


def test_same_mac_twice_is_a_warning_naming_both_lines(tmp_path: Path) -> None:
    text = "dhcp-host=02:00:00:00:00:01,192.0.2.5\ndhcp-host=02:00:00:00:00:01,192.0.2.6\n"
    cfg = load(conf(tmp_path, text))
    [warning] = [w for w in cfg.warnings if "reserved twice" in w]
    assert "line 1 of" in warning and "line 2 of" in warning


def test_overlapping_ranges_warn(tmp_path: Path) -> None:
    text = "dhcp-range=192.0.2.10,192.0.2.100\ndhcp-range=192.0.2.50,192.0.2.150\n"
    cfg = load(conf(tmp_path, text))
    assert any("overlaps" in w and "line 1 of" in w and "line 2 of" in w for w in cfg.warnings)


def test_disjoint_ranges_do_not_warn(tmp_path: Path) -> None:
    text = "dhcp-range=192.0.2.10,192.0.2.50\ndhcp-range=192.0.2.51,192.0.2.150\n"
    cfg = load(conf(tmp_path, text))
    assert not any("overlaps" in w for w in cfg.warnings)


def test_reservation_outside_every_range_warns(tmp_path: Path) -> None:
    text = "dhcp-range=192.0.2.10,192.0.2.100\ndhcp-host=02:00:00:00:00:01,198.51.100.5\n"
    cfg = load(conf(tmp_path, text))
    assert any("198.51.100.5" in w and "outside" in w for w in cfg.warnings)


def test_missing_tftp_root_is_an_error_when_tftp_is_enabled(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ConfigError, match=r"TFTP directory .* inaccessible"):
        load(conf(tmp_path, f"enable-tftp\ntftp-root={missing}\n"))
    cfg = load(conf(tmp_path, f"enable-tftp\ntftp-no-fail\ntftp-root={missing}\n"))
    assert any("inaccessible" in w for w in cfg.warnings)
    cfg = load(conf(tmp_path, f"tftp-root={missing}\n"))  # TFTP off: not checked
    assert not any("inaccessible" in w for w in cfg.warnings)


def test_strict_turns_unimplemented_options_into_errors(tmp_path: Path) -> None:
    assert load(conf(tmp_path, "dnssec\n")).warnings
    with pytest.raises(ConfigError, match="strict"):
        load(conf(tmp_path, "dnssec\nstrict\n"))


def test_builders_read_only_declared_options_and_every_supported_one() -> None:
    values = Values()
    views = {sub: values.for_consumer(sub) for sub in Sub}
    from lanctl.config import build as b

    b.build_core(views[Sub.CORE])
    b.build_dns(views[Sub.DNS])
    b.build_dhcp4(views[Sub.DHCP4])
    b.build_dhcp6(views[Sub.DHCP6])
    b.build_ra(views[Sub.RA])
    b.build_tftp(views[Sub.TFTP])
    b.build_pxe(views[Sub.PXE])
    read = set().union(*(v.reads for v in views.values()))
    supported = {
        o.name for o in OPTIONS if o.status is Status.SUPPORTED and not o.consumers & Sub.CONFIG
    }
    assert supported - read == set(), "supported options no builder reads"
    assert build(values).dns.port == 53
