"""`lanctl test-config` and option pass-through, run as a user runs them (subprocess)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lanctl.config import load


def lanctl(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lanctl", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def test_ok_config_prints_dnsmasqs_line_and_exits_0(tmp_path: Path) -> None:
    conf = tmp_path / "ok.conf"
    conf.write_text("# a comment\nport=5353\nno-hosts\n")
    result = lanctl("test-config", "-C", str(conf))
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().endswith("lanctl: syntax check OK.")


def test_typo_names_file_line_and_suggests(tmp_path: Path) -> None:
    conf = tmp_path / "typo.conf"
    conf.write_text("port=5353\ndhcp-rnage=192.0.2.10,192.0.2.20\n")
    result = lanctl("test-config", "-C", str(conf))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f'lanctl: bad option at line 2 of {conf}: unknown option "dhcp-rnage" '
        "(did you mean dhcp-range?)"
    )


def test_bad_value_exits_1_with_position(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text("\n\nport=seventy\n")
    result = lanctl("test-config", "-C", str(conf))
    assert result.returncode == 1
    assert result.stderr.startswith(f"lanctl: bad option at line 3 of {conf}:")


def test_unknown_command_line_option_exits_1() -> None:
    result = lanctl("test-config", "-C", "/dev/null", "--no-such-option")
    assert result.returncode == 1
    assert 'unknown option "no-such-option"' in result.stderr


def test_json_report_lists_services_and_listeners(tmp_path: Path) -> None:
    conf = tmp_path / "j.conf"
    conf.write_text("port=5353\nlisten-address=127.0.0.1\ndhcp-range=192.0.2.10,192.0.2.99,1h\n")
    result = lanctl("test-config", "-C", str(conf), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["name"] for s in data["services"]] == ["dns", "dhcp4"]
    assert "dns udp+tcp 127.0.0.1#5353" in data["listeners"]
    assert len(data["ranges"]) == 1


def test_report_flag_prints_a_table(tmp_path: Path) -> None:
    conf = tmp_path / "r.conf"
    conf.write_text("port=5353\ndnssec\n")
    result = lanctl("test-config", "-C", str(conf), "--report")
    assert result.returncode == 0, result.stderr
    assert "what would run" in result.stdout
    assert "dnssec" in result.stdout  # the not-implemented warning is in the report


def test_dnsmasq_style_command_line_is_read_like_dnsmasq(tmp_path: Path) -> None:
    conf = tmp_path / "x.conf"
    conf.write_text("cache-size=300\n")
    cfg = load([f"--conf-file={conf}", "--port", "5353", "-q", "-h"])
    assert cfg.dns.port == 5353 and cfg.dns.log_queries and cfg.dns.no_hosts
    assert cfg.dns.cache_size == 300
    result = lanctl("all", "-C", str(conf), "--port", "5353", "-q", "-h", "--test")
    assert result.returncode == 0, result.stderr
    assert "syntax check OK." in result.stderr


def test_all_help_lists_every_option() -> None:
    from lanctl.config.registry import OPTIONS

    result = lanctl("all", "--help")
    assert result.returncode == 0
    for opt in OPTIONS:
        assert f"--{opt.name}" in result.stdout, opt.name
    assert "dnsmasq options: DHCP" in result.stdout


def test_version() -> None:
    from lanctl import __version__

    result = lanctl("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_debug_env_shows_traceback(tmp_path: Path) -> None:
    import os

    conf = tmp_path / "t.conf"
    conf.write_text("bogus-option\n")
    result = subprocess.run(
        [sys.executable, "-m", "lanctl", "test-config", "-C", str(conf)],
        capture_output=True,
        text=True,
        env={**os.environ, "LANCTL_DEBUG": "1"},
        timeout=60,
    )
    assert result.returncode != 0 and "Traceback" in result.stderr
