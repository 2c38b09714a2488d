"""--script-arp on the wire: the script hears `arp-add <MAC> <IP>` for neighbours (vs dnsmasq).

The server namespace already has a neighbour entry for 192.0.2.9 (a ping before start);
both servers read the neighbour table at start and run `<script> arp-add <MAC> <IP>`
with no DNSMASQ_* variables in its environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dhcp4.netlab import start_server, wait_for
from tests.support.netns import Lab

SCRIPT = """#!/bin/sh
{{ echo "ARGV $*"; env | grep -c '^DNSMASQ_'; }} >> {log}
"""


@pytest.mark.parametrize("kind", ["dnsmasq", "lanctl"])
def test_existing_neighbour_is_reported_with_arp_add(netns: Lab, tmp_path: Path, kind: str) -> None:
    srv, cli = netns("srv"), netns("cli")
    link = netns.link(srv, cli, ["192.0.2.1/24"], ["192.0.2.9/24"])
    srv.run(["ping", "-c", "1", "-W", "2", "192.0.2.9"])
    calls = tmp_path / "calls"
    script = tmp_path / "script.sh"
    script.write_text(SCRIPT.format(log=calls))
    script.chmod(0o755)
    lines = ["dhcp-range=192.0.2.50,192.0.2.99,1h", f"dhcp-script={script}", "script-arp"]
    server = start_server(kind, srv, tmp_path, *lines)
    wanted = f"ARGV arp-add {link.b_mac} 192.0.2.9"

    def seen() -> list[str] | None:
        text = calls.read_text().splitlines() if calls.exists() else []
        # the script writes its two lines one after the other: wait for both
        return text if wanted in text and text.index(wanted) + 1 < len(text) else None

    out = wait_for(seen, "the arp-add call", 15, server.log)
    assert out[out.index(wanted) + 1] == "0"  # no DNSMASQ_* variables
    server.alive()
