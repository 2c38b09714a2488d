"""A recording upstream for end-to-end tests: fixed answers, every query logged as JSON.

Run in a test namespace: `python -m tests.dns.recording_upstream ADDR LOG [TTL]`.  Answers
A/AAAA/TXT/MX/SRV/CNAME/PTR/HINFO (and all of A, AAAA, TXT, MX for ANY) whose data counts
how often the name was asked (203.0.113.N, "helloN"), NXDOMAIN for names starting "nx",
the AD bit for names starting "ad", and DNSSEC-looking records for names starting "sig".
Each query is logged with its header flags, EDNS version, payload, DO bit and options
(code, hex data), so tests can compare what dnsmasq and lanctl send upstream.
"""

from __future__ import annotations

import json
import socket
import sys

import dns.flags
import dns.message
import dns.rdatatype
import dns.rrset


def answer(q: dns.message.Message, n: int, ttl: int) -> dns.message.Message:
    r = dns.message.make_response(q)
    qn = q.question[0].name
    qt = q.question[0].rdtype
    name = str(qn).lower()
    if name.startswith("nx"):
        r.set_rcode(3)
        return r

    def add(rtype: str, value: str) -> None:
        r.answer.append(dns.rrset.from_text(qn, ttl, "IN", rtype, value))

    if qt in (1, 255):
        add("A", f"203.0.113.{min(n, 250)}")
    if qt in (28, 255):
        add("AAAA", f"2001:db8::{n}")
    if qt in (16, 255):
        add("TXT", f'"hello{n}"')
    if qt in (15, 255):
        add("MX", "10 mx.example.")
    if qt == 15:  # glue for the exchange: filters act on the additional section too?
        r.additional.append(dns.rrset.from_text("mx.example.", ttl, "IN", "A", "203.0.113.99"))
        r.additional.append(dns.rrset.from_text("mx.example.", ttl, "IN", "AAAA", "2001:db8::99"))
    extra = {5: "target.example.", 33: "0 0 80 srv.example.", 12: "ptr.example.",
             13: '"cpu" "os"'}  # fmt: skip
    if qt in extra:
        add(dns.rdatatype.to_text(qt), extra[qt])
    if name.startswith("ad"):
        r.flags |= dns.flags.AD
    if name.startswith("sig") and qt == 1 and q.ednsflags & dns.flags.DO:
        sig = "A 13 2 300 20300101000000 20200101000000 12345 example. " + "AAAA" * 16
        r.answer.append(dns.rrset.from_text(qn, ttl, "IN", "RRSIG", sig))
        r.flags |= dns.flags.AD
    return r


def main() -> None:
    addr, path = sys.argv[1], sys.argv[2]
    ttl = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((addr, 53))
    seen: dict[tuple[str, int], int] = {}
    with open(path, "a", buffering=1) as log:
        while True:
            data, peer = sock.recvfrom(65535)
            try:
                q = dns.message.from_wire(data)
            except Exception as exc:  # a test tool: log what could not be parsed
                log.write(json.dumps({"error": str(exc), "hex": data.hex()}) + "\n")
                continue
            key = (str(q.question[0].name).lower(), q.question[0].rdtype)
            seen[key] = seen.get(key, 0) + 1
            opts = [[o.otype, o.to_wire().hex()] for o in q.options] if q.edns >= 0 else None
            row = {
                "name": str(q.question[0].name), "type": dns.rdatatype.to_text(key[1]),
                "flags": q.flags, "edns": q.edns, "payload": q.payload,
                "do": bool(q.ednsflags & dns.flags.DO), "opts": opts, "peer": peer[0],
            }  # fmt: skip
            log.write(json.dumps(row) + "\n")
            sock.sendto(answer(q, seen[key], ttl).to_wire(), peer)


if __name__ == "__main__":
    main()
