"""Every example line of dnsmasq.conf.example that dnsmasq accepts, lanctl accepts.

Each commented option line of the sample (e.g. `#dhcp-range=192.168.0.50,…`) is
uncommented alone into a fresh config; real dnsmasq 2.90 (`dnsmasq --test`) decides
whether it is valid, and lanctl must then load it too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lanctl.config import load
from lanctl.config.registry import BY_NAME
from lanctl.errors import LanctlError

EXAMPLE = Path(__file__).parent.parent / "data" / "dnsmasq.conf.example"


def example_lines() -> list[str]:
    lines = []
    for line in EXAMPLE.read_text().splitlines():
        m = re.match(r"^#([a-z][a-zA-Z0-9-]*)(=.*)?$", line)
        if m and m.group(1) in BY_NAME:
            lines.append(line[1:])
    return lines


def dnsmasq_or_skip() -> str:
    found = shutil.which("dnsmasq")
    if found is None:
        if os.environ.get("LANCTL_REQUIRE_TOOLS") == "1":
            pytest.fail("dnsmasq is required (LANCTL_REQUIRE_TOOLS=1)")
        pytest.skip("dnsmasq not installed")
    return found


def test_the_sample_has_many_option_lines() -> None:
    assert len(example_lines()) > 100


def test_lanctl_accepts_every_line_dnsmasq_accepts(tmp_path: Path) -> None:
    dnsmasq = dnsmasq_or_skip()
    failures = []
    accepted = 0
    for i, line in enumerate(example_lines()):
        conf = tmp_path / f"line{i}.conf"
        conf.write_text(line + "\n")
        ref = subprocess.run(
            [dnsmasq, "--test", f"--conf-file={conf}"], capture_output=True, text=True, timeout=30
        )
        if ref.returncode != 0:
            continue
        accepted += 1
        try:
            load([f"--conf-file={conf}"])
        except LanctlError as err:
            failures.append(f"{line!r}: {err}")
    assert accepted > 100
    assert failures == []
