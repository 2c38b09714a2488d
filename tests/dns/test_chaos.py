"""CHAOS *.bind answers, NOTIMP for unknown *.bind/*.server names and with --no-ident."""

from __future__ import annotations

import dns.flags
import dns.rcode

from tests.dns.test_engine import ask, engine


def test_no_ident_answers_every_chaos_query_notimp() -> None:
    e = engine(no_ident=True, log_queries=True)
    asked = (("version.bind", "TXT"), ("hits.bind", "TXT"), ("VERSION.BIND", "ANY"),
             ("servers.bind", "TXT"), ("id.server", "TXT"), ("version.bind", "A"))  # fmt: skip
    for name, rdtype in asked:
        r = ask(e, name, rdtype, "CH")
        assert r.rcode() == dns.rcode.NOTIMP and not r.answer, name
        assert not r.flags & dns.flags.AA
    assert "config VERSION.BIND is not implemented (EDE: unknown)" in e.take_logs()
    # Class IN is not affected.
    assert ask(e, "host1.example").rcode() == dns.rcode.NOERROR


def test_without_no_ident_version_bind_answers() -> None:
    r = ask(engine(), "version.bind", "TXT", "CH")
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
    assert r.answer[0][0].strings[0].startswith(b"lanctl-")


def test_unknown_bind_and_server_names_notimp_without_no_ident() -> None:
    e = engine(log_queries=True)
    for name, rdtype in (("foo.bind", "TXT"), ("bind", "TXT"), ("x.y.server", "A")):
        r = ask(e, name, rdtype, "CH")
        assert r.rcode() == dns.rcode.NOTIMP and not r.answer, name
        assert not r.flags & dns.flags.AA
    logs = e.take_logs()
    assert "config foo.bind is not implemented (EDE: unknown)" in logs
    assert ask(e, "xbind", "TXT", "CH").rcode() == dns.rcode.REFUSED  # not under bind
