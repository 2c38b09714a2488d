"""Regenerate the golden packets in tests/data/dhcp4/ from real clients (run as root).

`python -m tests.dhcp4.capture` starts `lanctl dhcp serve` in a namespace, runs udhcpc,
dhclient and dhcpcd against it one after the other and stores every client -> server
payload as hex, one file per client and message (`<client>-<n>-<type>.hex`).
"""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

from lanctl.dhcp4.wire import decode_packet
from tests.dhcp4.netlab import (
    Sniffer,
    dhclient_argv,
    dhclient_conf,
    dhcpcd_conf,
    dhcpcd_state,
    event,
    start_server,
    udhcpc_once,
    wait_for,
    write_hook,
)
from tests.support import require_tool
from tests.support.netns import Lab

DATA = Path(__file__).resolve().parents[1] / "data" / "dhcp4"


def main() -> None:
    lab = Lab()
    try:
        srv, cli = lab("srv"), lab("cli")
        link = lab.link(srv, cli, ["192.0.2.1/24"], [])
        work = Path(tempfile.mkdtemp())
        server = start_server("lanctl", srv, work, "dhcp-range=192.0.2.50,192.0.2.99,12h")
        runs: dict[str, list[bytes]] = {}

        sniff = Sniffer(srv)
        udhcpc_once(cli, link.b_if, work, "-x", "hostname:golden")
        sniff.close()
        runs["udhcpc"] = [p for s, d, p in sniff.packets if d == 67]

        sniff = Sniffer(srv)
        hook, events = write_hook(work, "dhclient")
        proc = cli.popen(dhclient_argv(work, link.b_if, hook, dhclient_conf(work, "golden")))
        wait_for(lambda: event(events, ("BOUND",)), "dhclient BOUND")
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        sniff.close()
        runs["dhclient"] = [p for s, d, p in sniff.packets if d == 67]

        sniff = Sniffer(srv)
        hook, events = write_hook(work, "dhcpcd")
        with dhcpcd_state(link.b_if):
            argv = [require_tool("dhcpcd"), "-f", str(dhcpcd_conf(work, "golden")), "-c"]
            cli.run([*argv, str(hook), "-4", "-B", "-1", link.b_if], check=False, timeout=60)
        sniff.close()
        runs["dhcpcd"] = [p for s, d, p in sniff.packets if d == 67]
        server.alive()
        DATA.mkdir(parents=True, exist_ok=True)
        for client, payloads in runs.items():
            for n, payload in enumerate(payloads):
                mtype = decode_packet(payload).message_type
                name = mtype.name.lower() if mtype else "bootp"
                (DATA / f"{client}-{n}-{name}.hex").write_text(payload.hex() + "\n")
                print(client, n, name, len(payload))
    finally:
        lab.close()


if __name__ == "__main__":
    main()
