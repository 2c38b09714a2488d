"""The client FQDN option (81, RFC 4702) as dnsmasq 2.90 reads and answers it.

The client's option: flags (S: server should update A, O: server overrode, E: canonical
wire encoding, N: no server update), two obsolete RCODE octets, then the name in ASCII or,
with E, in RFC 1035 wire format.  Its first label becomes the client's host name (before
option 12); a domain part other than the --domain of the address is ignored, with a log
line.  The answer carries RCODEs 255, 255 and the name qualified by that domain, in the
client's encoding (with E and no domain, a partial name without the root label).  Flags:
by default dnsmasq updates DNS itself (its own DNS view), so S is set, and O when the
client had not asked for S; with --dhcp-client-update the client updates: N is set, and
O when the client had asked for S.  E is copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lanctl.dhcp4.options import encode_domains

__all__ = ["ClientFqdn", "parse_fqdn", "reply_fqdn"]

FLAG_S: Final = 0x01
FLAG_O: Final = 0x02
FLAG_E: Final = 0x04
FLAG_N: Final = 0x08


@dataclass(frozen=True, slots=True)
class ClientFqdn:
    flags: int
    host: str | None  # the first label
    domain: str | None  # the rest, when the client sent one


def _wire_labels(data: bytes) -> list[str] | None:
    labels: list[str] = []
    pos = 0
    while pos < len(data):
        size = data[pos]
        if size == 0:
            break
        if size > 63 or pos + 1 + size > len(data):
            return None
        labels.append(data[pos + 1 : pos + 1 + size].decode("ascii", "replace"))
        pos += 1 + size
    return labels


def parse_fqdn(raw: bytes | None) -> ClientFqdn | None:
    """The client's option 81, or None when absent or shorter than its fixed part."""
    if raw is None or len(raw) < 3:
        return None
    flags, name = raw[0], raw[3:]
    if flags & FLAG_E:
        labels = _wire_labels(name)
    else:
        text = name.split(b"\0", 1)[0].decode("ascii", "replace").strip(".")
        labels = text.split(".") if text else []
    if not labels:
        return ClientFqdn(flags, None, None)
    domain = ".".join(labels[1:]) or None
    return ClientFqdn(flags, labels[0] or None, domain)


def reply_fqdn(
    client: ClientFqdn, host: str | None, domain: str | None, client_update: bool
) -> bytes:
    """Option 81 of the reply to a client that sent `client`."""
    asked_s = bool(client.flags & FLAG_S)
    if client_update:
        flags = FLAG_N | (FLAG_O if asked_s else 0)
    else:
        flags = FLAG_S | (0 if asked_s else FLAG_O)
    flags |= client.flags & FLAG_E
    name = ""
    if host:
        name = f"{host}.{domain}" if domain else host
    if flags & FLAG_E:  # an unqualified name goes without the root label (RFC 4702 §2.3.1)
        data = encode_domains([name]) if name else b""
        data = data if domain else data[:-1]
    else:
        data = name.encode()
    return bytes((flags, 255, 255)) + data
