"""The batched UDP drain loop of the DNS server (ARCHITECTURE §5), over mmsg.MsgBatch.

One recvmmsg(2) takes up to BATCH queries; each is first offered to the engine's fast path
(`DnsEngine.fast_query`: pre-rendered local answers and cache hits, no peer needed), then
to `full_query` (the rest of on_query) with the decoded peer; the replies leave in one
sendmmsg(2).  The clock is read once per batch.  Upstream work the batch started is
dispatched once, after the batch.  When the socket would block the loop waits with
`wait_readable`; otherwise it checkpoints every BATCH packets so that other tasks and
cancellation still run.  No decision is made here.
"""

from __future__ import annotations

import errno
import logging
import socket
from typing import Final

import trio

from lanctl.dns.engine import DnsEngine
from lanctl.dns.localise import Net
from lanctl.dns.mmsg import MsgBatch
from lanctl.dns.upstream_io import UpstreamIO

log = logging.getLogger("lanctl.dns")

BATCH: Final = 64  # datagrams per recvmmsg, and packets between checkpoints


def _flush_logs(engine: DnsEngine) -> None:
    for line in engine.take_logs():
        log.info("%s", line)


async def batched_udp_loop(
    engine: DnsEngine, sock: socket.socket, io: UpstreamIO, net: Net | None = None
) -> None:
    """Answer the queries arriving on `sock` until cancelled (see the module docstring).
    `net`: the subnet of the socket's address (--localise-queries; None when wildcard)."""
    batch = MsgBatch(sock, BATCH)
    recv, answer, reply, peer_of = batch.recv, batch.answer, batch.reply, batch.peer
    fast, full = engine.fast_query, engine.full_query
    clock = trio.current_time
    wait_readable, checkpoint = trio.lowlevel.wait_readable, trio.lowlevel.checkpoint
    logs = engine.pending_logs  # warnings are logged without --log-queries too
    count = 0
    while True:
        try:
            n = recv()
        except OSError as exc:  # e.g. ICMP errors surfaced on the socket: not fatal
            log.debug("recvmmsg: %s", exc)
            continue
        if not n:
            if logs:
                _flush_logs(engine)
            await wait_readable(sock)
            continue
        now = clock()
        for i, data in answer(n, fast, now):  # what the fast path did not answer
            peer = peer_of(i)
            try:
                out = full(data, peer, now, "udp", (sock, peer), net)
            except Exception:  # per-packet boundary (convention 4): log, SERVFAIL, carry on
                log.exception("error answering DNS query from %s", peer[0])
                out = engine.servfail(data)
            if out:
                reply(i, out)
        if batch.queued:
            for err in batch.flush():  # full buffer or unreachable peer: UDP may drop
                log.debug("sendmmsg: %s", errno.errorcode.get(err, str(err)))
        if engine.has_actions:
            io.dispatch()
        count += n
        if count >= BATCH:
            count = 0
            if logs:
                _flush_logs(engine)
            await checkpoint()
