"""The TFTP options of a configuration file reach TftpCfg (config/build.py build_tftp)."""

from __future__ import annotations

from pathlib import Path

from lanctl.config import load
from lanctl.config.grammar.dhcp_net import TftpRoot
from lanctl.config.model import TftpCfg
from lanctl.config.options import Status
from lanctl.config.registry import OPTIONS

TFTP_OPTIONS = (
    "enable-tftp", "tftp-root", "tftp-unique-root", "tftp-secure", "tftp-lowercase",
    "tftp-max", "tftp-mtu", "tftp-no-blocksize", "tftp-port-range", "tftp-single-port",
    "tftp-no-fail", "quiet-tftp",
)  # fmt: skip


def load_text(tmp_path: Path, text: str) -> TftpCfg:
    conf = tmp_path / "t.conf"
    conf.write_text("port=0\n" + text)
    return load([f"--conf-file={conf}"]).tftp


def test_defaults(tmp_path: Path) -> None:
    cfg = load_text(tmp_path, "enable-tftp\n")
    assert cfg == TftpCfg(enable_tftp=True)  # a bare enable-tftp lists no interface


def test_every_option(tmp_path: Path) -> None:
    (tmp_path / "r1").mkdir()
    (tmp_path / "r2").mkdir()
    cfg = load_text(
        tmp_path,
        "enable-tftp=eth0,eth1\n"
        f"tftp-root={tmp_path}/r1\ntftp-root={tmp_path}/r2,eth1\n"
        "tftp-unique-root=MAC\ntftp-secure\ntftp-lowercase\ntftp-max=7\ntftp-mtu=1400\n"
        "tftp-no-blocksize\ntftp-port-range=5000,4000\ntftp-single-port\ntftp-no-fail\n"
        "quiet-tftp\n",
    )
    assert cfg == TftpCfg(
        enable_tftp=True,
        enable_tftp_interfaces=("eth0", "eth1"),
        tftp_root=(TftpRoot(f"{tmp_path}/r1"), TftpRoot(f"{tmp_path}/r2", "eth1")),
        tftp_unique_root="mac",
        tftp_secure=True,
        tftp_lowercase=True,
        tftp_max=7,
        tftp_mtu=1400,
        tftp_no_blocksize=True,
        tftp_port_range=(4000, 5000),
        tftp_single_port=True,
        tftp_no_fail=True,
        quiet_tftp=True,
    )


def test_bare_unique_root_means_ip(tmp_path: Path) -> None:
    assert load_text(tmp_path, "enable-tftp\ntftp-unique-root\n").tftp_unique_root == "ip"


def test_the_tftp_options_are_supported() -> None:
    by_name = {o.name: o for o in OPTIONS}
    assert all(by_name[name].status is Status.SUPPORTED for name in TFTP_OPTIONS)
