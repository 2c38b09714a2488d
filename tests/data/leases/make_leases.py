"""Regenerate the dnsmasq lease files in this directory with real dnsmasq (needs root).

Run from the repository root: `python tests/data/leases/make_leases.py`.  It builds two
network namespaces joined by a veth pair (documentation addresses only), runs dnsmasq as
DHCPv4 (and DHCPv6) server there and obtains leases with udhcpc, dhclient, dhclient -6 and a
hand-built BOOTP client for non-Ethernet hardware types.  See README.md for what each file
holds.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.support.netns import Lab, Namespace

HERE = Path(__file__).resolve().parent
SERVER = "192.0.2.1"


def wait_for(path: Path, needle: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text():
            return
        time.sleep(0.1)
    text = path.read_text() if path.exists() else "<missing>"
    raise TimeoutError(f"{needle!r} never appeared in {path}: {text!r}")


def bootp(op_type: int, xid: int, htype: int, chaddr: bytes, opts: bytes) -> bytes:
    """A DHCP client message: broadcast flag set, given hardware type and address."""
    head = struct.pack("!BBBBIHH", 1, htype, len(chaddr), 0, xid, 0, 0x8000)
    head += bytes(16) + chaddr.ljust(16, b"\0") + bytes(192)
    return head + b"\x63\x82\x53\x63" + bytes([53, 1, op_type]) + opts + b"\xff"


def raw_client(ns: Namespace, ifname: str, htype: int, chaddr: bytes, clid: bytes) -> None:
    """DISCOVER/OFFER/REQUEST/ACK with an arbitrary htype, through a plain UDP socket."""
    sock = ns.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
        sock.bind(("0.0.0.0", 68))
        sock.settimeout(5.0)
        xid = 0x1234 + htype
        cid = bytes([61, len(clid)]) + clid
        sock.sendto(bootp(1, xid, htype, chaddr, cid), ("255.255.255.255", 67))
        while True:
            data = sock.recv(2048)
            if struct.unpack("!I", data[4:8])[0] == xid:
                break
        yiaddr = data[16:20]
        req = cid + bytes([50, 4]) + yiaddr + bytes([54, 4]) + socket.inet_aton(SERVER)
        sock.sendto(bootp(3, xid, htype, chaddr, req), ("255.255.255.255", 67))
        sock.recv(2048)


def main() -> None:
    lab = Lab()
    work = Path(tempfile.mkdtemp(prefix="lct-leases-"))
    try:
        srv, cli = lab("srv"), lab("cli")
        veth = lab.link(srv, cli, ["192.0.2.1/24", "2001:db8::1/64"], [])
        srv_if, cli_if = veth.a_if, veth.b_if
        leases = work / "dnsmasq.leases"
        argv = [
            "dnsmasq", "-k", "--port=0", "--interface=" + srv_if, "--bind-interfaces",
            "--dhcp-range=192.0.2.50,192.0.2.60,1h",
            "--dhcp-host=02:00:00:00:aa:05,192.0.2.55,infinite",
            "--dhcp-leasefile=" + str(leases), "--no-ping", "--pid-file=",
            "--user=root", "--group=root", "--log-facility=-", "--log-dhcp",
        ]  # fmt: skip
        server = srv.popen(argv, stdout=(work / "dnsmasq.log").open("w"))
        # udhcpc: sends a client-id 01:<mac> and the hostname option.
        for n, name in ((1, "alpha"), (2, "bravo"), (3, None)):
            mac = f"02:00:00:00:aa:0{n}"
            cli.set_mac(cli_if, mac)
            cmd = ["udhcpc", "-q", "-n", "-f", "-i", cli_if, "-s", "/bin/true", "-t", "5"]
            if name:
                cmd += ["-x", f"hostname:{name}"]
            cli.run(cmd, timeout=30)
            wait_for(leases, mac)
        # dhclient: no client-id by default; one with a host name, one without.
        for n, name in ((4, "delta"), (5, None)):
            mac = f"02:00:00:00:aa:0{n}"
            cli.set_mac(cli_if, mac)
            conf = work / f"dhclient{n}.conf"
            conf.write_text(f'send host-name "{name}";\n' if name else "\n")
            cmd = ["dhclient", "-4", "-d", "-v", "-cf", str(conf), "-sf", "/bin/true"]
            cmd += ["-lf", str(work / f"dhc{n}.leases"), "-pf", str(work / f"dhc{n}.pid"), cli_if]
            proc = cli.popen(cmd, stdout=(work / f"dhclient{n}.log").open("w"))
            wait_for(leases, mac)
            proc.terminate()  # our own dhclient, by PID; it frees port 68 (no RELEASE sent)
            proc.wait(timeout=10)
        # Non-Ethernet hardware types: IEEE 802 (6) and InfiniBand-like hlen 0 (32).
        raw_client(cli, cli_if, 6, bytes.fromhex("020000bb0006"), b"\x06\x02\x00\x00\xbb\x00\x06")
        wait_for(leases, "06-02:00:00:bb:00:06")
        raw_client(cli, cli_if, 32, b"", b"\xff\x00\x00\x00\x20\x00\x01\x02\x03")
        wait_for(leases, "20-")
        shutil.copy(leases, HERE / "dnsmasq-v4.leases")
        # Restart with DHCPv6 too: dnsmasq reads the v4 file back and adds a server DUID.
        server.terminate()
        server.wait(timeout=10)
        argv.append("--dhcp-range=2001:db8::100,2001:db8::1ff,64,1h")
        srv.popen(argv, stdout=(work / "dnsmasq6.log").open("w"))
        # DHCPv6: dhclient -6 with DUID-LL; NA, then a temporary address (-T).
        cli.set_mac(cli_if, "02:00:00:00:cc:01")
        cli.wait_ipv6_ready(cli_if)
        for n, extra, needle in ((1, [], "echo1"), (2, ["-T"], " T")):
            conf = work / f"dhc6-{n}.conf"
            conf.write_text(f'send fqdn.fqdn "echo{n}";\n')
            cmd = ["dhclient", "-6", *extra, "-D", "LL", "-d", "-v", "-cf", str(conf)]
            cmd += ["-sf", "/bin/true", "-lf", str(work / f"dhc6-{n}.leases")]
            cmd += ["-pf", str(work / f"dhc6-{n}.pid"), cli_if]
            cli.popen(cmd, stdout=(work / f"dhclient6-{n}.log").open("w"))
            wait_for(leases, needle)  # dnsmasq keeps no host name on a TA lease
        shutil.copy(leases, HERE / "dnsmasq-v4v6.leases")
    finally:
        lab.close()
        for log in sorted(work.glob("*.log")):
            print(f"--- {log.name}\n{log.read_text()[-1500:]}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    subprocess.run(["cat", str(HERE / "dnsmasq-v4v6.leases")], check=False)


if __name__ == "__main__":
    main()
