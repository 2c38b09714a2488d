"""--dhcp-fqdn needs a default --domain (checked against `dnsmasq --test` 2.90).

dnsmasq prints "there must be a default domain when --dhcp-fqdn is set" and exits 1 when
no --domain without an address range or interface is given; `domain=#` counts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lanctl.config import load
from lanctl.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
MESSAGE = "there must be a default domain when --dhcp-fqdn is set"


def conf(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "t.conf"
    path.write_text("port=0\n" + text)
    return [f"--conf-file={path}"]


@pytest.mark.parametrize(
    "text",
    [
        "dhcp-fqdn\n",
        "dhcp-fqdn\ndomain=example.test,192.0.2.0/24\n",
        "dhcp-fqdn\ndomain=example.test,192.0.2.10,192.0.2.20\n",
        "dhcp-fqdn\ndomain=example.test,eth0\n",
    ],
)
def test_dhcp_fqdn_without_a_default_domain_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(conf(tmp_path, text))
    assert str(err.value) == MESSAGE and err.value.exit_code == 1


@pytest.mark.parametrize(
    "text",
    [
        "dhcp-fqdn\ndomain=example.test\n",
        "dhcp-fqdn\ndomain=example.test,192.0.2.0/24\ndomain=other.test\n",
        "domain=example.test,192.0.2.0/24\n",  # no --dhcp-fqdn: nothing to check
    ],
)
def test_a_default_domain_satisfies_dhcp_fqdn(tmp_path: Path, text: str) -> None:
    cfg = load(conf(tmp_path, text))
    assert cfg.dns.dhcp_fqdn == ("dhcp-fqdn" in text)


def test_test_config_prints_dnsmasqs_line_and_exits_1(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "lanctl", "test-config", *conf(tmp_path, "dhcp-fqdn\n")]
    res = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=60, check=False)
    assert res.returncode == 1
    assert res.stderr.strip() == f"lanctl: {MESSAGE}"
