"""Option 81 (RFC 4702) codec edges: lanctl.dhcp4.fqdn (the engine tests cover the flags)."""

from __future__ import annotations

from lanctl.dhcp4.fqdn import parse_fqdn, reply_fqdn

WIRE_FQ = b"\x02fq\x07example\x04test\x00"


def test_fqdn_codec_edges() -> None:
    fq = parse_fqdn(b"\x05\x00\x00" + WIRE_FQ)
    assert fq is not None and (fq.host, fq.domain) == ("fq", "example.test")
    assert parse_fqdn(b"\x05\x00") is None
    empty = parse_fqdn(b"\x01\x00\x00")
    assert empty is not None and empty.host is None
    bad = parse_fqdn(b"\x04\x00\x00\x3fab")  # a label running past the option
    assert bad is not None and bad.host is None
    assert reply_fqdn(fq, "fq", None, False) == b"\x05\xff\xff\x02fq"  # partial name, no root
