"""What the port-69 listener decides about a new request (pure; server.py does the I/O).

A datagram is admitted as a read request only if it decodes as an RRQ with a non-empty
name in octet or netascii mode; anything else gets dnsmasq's ERROR 4 "unsupported request
from <ip>" (WRQ included: the server is read-only).  --tftp-max (50, lowered to the size of
--tftp-port-range) bounds concurrent transfers: one more gets ERROR 0.  Path resolution
(`paths.resolve`) and negotiation (`negotiate.negotiate`) follow; refusals become ERROR
packets and dnsmasq-worded log lines (--quiet-tftp mutes "not found").  Counters for
`stats()` live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from lanctl.config.model import TftpCfg
from lanctl.errors import DecodeError
from lanctl.tftp.engine import BlockSource, NetasciiSource, Outcome, Transfer
from lanctl.tftp.negotiate import Limits, negotiate
from lanctl.tftp.paths import FileSystem, PathPolicy, Refusal, Resolved, choose_root, resolve
from lanctl.tftp.wire import ErrorCode, Opcode, Request, decode_packet, encode_error

MODES: Final = ("octet", "netascii")
TOO_MANY: Final = "too many TFTP transfers"


@dataclass(frozen=True, slots=True)
class Admitted:
    request: Request
    resolved: Resolved


@dataclass(frozen=True, slots=True)
class Refused:
    packet: bytes


def transfer_limit(cfg: TftpCfg) -> int:
    """--tftp-max, lowered to the number of ports in --tftp-port-range (as dnsmasq)."""
    limit = max(1, cfg.tftp_max)
    if cfg.tftp_port_range is not None and not cfg.tftp_single_port:
        start, end = cfg.tftp_port_range
        limit = min(limit, end - start + 1)
    return limit


class TftpEngine:
    """Admission of requests, creation of transfers, counters and log lines."""

    def __init__(self, cfg: TftpCfg) -> None:
        self.cfg = cfg
        self.limit = transfer_limit(cfg)
        self.active = 0
        self.highest = 0
        self.counters: dict[str, int] = {
            "requests": 0,
            "malformed": 0,
            "unsupported": 0,
            "refused": 0,
            "not_found": 0,
            "too_many": 0,
            "sent": 0,
            "failed": 0,
            "aborted": 0,
            "bytes_sent": 0,
            "retransmissions": 0,
        }
        self._logs: list[str] = []

    def take_logs(self) -> list[str]:
        logs, self._logs = self._logs, []
        return logs

    def policy(self, interface: str | None, euid: int) -> PathPolicy:
        root = choose_root(self.cfg.tftp_root, interface) or "/"
        return PathPolicy(
            root=root,
            unique_root=self.cfg.tftp_unique_root,
            lowercase=self.cfg.tftp_lowercase,
            secure=self.cfg.tftp_secure,
            euid=euid,
        )

    def _refuse(self, code: ErrorCode, message: str, *, log: bool = True) -> Refused:
        if log:
            self._logs.append(message)
        return Refused(encode_error(code, message))

    def on_request(
        self,
        data: bytes,
        client_ip: str,
        fs: FileSystem,
        *,
        euid: int,
        interface: str | None = None,
        client_mac: str | None = None,
    ) -> Admitted | Refused:
        """Decide about a datagram that arrived on the well-known port."""
        self.counters["requests"] += 1
        try:
            packet = decode_packet(data)
        except DecodeError:
            self.counters["malformed"] += 1
            packet = None
        if (
            not isinstance(packet, Request)
            or packet.opcode != Opcode.RRQ
            or packet.mode not in MODES
            or not packet.filename
        ):
            self.counters["unsupported"] += 1
            return self._refuse(
                ErrorCode.ILLEGAL_OPERATION, f"unsupported request from {client_ip}"
            )
        if self.active >= self.limit:
            self.counters["too_many"] += 1
            return self._refuse(ErrorCode.NOT_DEFINED, f"{TOO_MANY} (tftp-max {self.limit})")
        outcome = resolve(
            packet.filename,
            self.policy(interface, euid),
            fs,
            client_ip=client_ip,
            client_mac=client_mac,
        )
        if isinstance(outcome, Refusal):
            return self.refuse(outcome)
        return Admitted(packet, outcome)

    def refuse(self, refusal: Refusal) -> Refused:
        """An ERROR for a path refusal (also used when opening the file fails)."""
        if refusal.not_found:
            self.counters["not_found"] += 1
        else:
            self.counters["refused"] += 1
        quiet = refusal.not_found and self.cfg.quiet_tftp  # man page: not an error then
        return self._refuse(refusal.code, refusal.message, log=not quiet)

    def start(
        self,
        admitted: Admitted,
        source: BlockSource,
        client_ip: str,
        *,
        mtu: int | None = None,
        ipv6: bool = False,
    ) -> Transfer:
        """A new transfer (counted active until `finished`)."""
        request = admitted.request
        limits = Limits(
            mtu=mtu, tftp_mtu=self.cfg.tftp_mtu, no_blocksize=self.cfg.tftp_no_blocksize, ipv6=ipv6
        )
        negotiated = negotiate(
            request.options, mode=request.mode, size=admitted.resolved.size, limits=limits
        )
        if request.mode == "netascii":
            source = NetasciiSource(source)
        self.active += 1
        self.highest = max(self.highest, self.active)
        return Transfer(
            source,
            negotiated,
            path=admitted.resolved.path,
            client=client_ip,
            quiet=self.cfg.quiet_tftp,
        )

    def finished(self, transfer: Transfer) -> None:
        """Account for a transfer that ended (or was abandoned)."""
        transfer.abandon()
        self.active -= 1
        outcome = transfer.outcome
        key = {Outcome.SENT: "sent", Outcome.FAILED: "failed", Outcome.ABORTED: "aborted"}
        self.counters[key[outcome or Outcome.FAILED]] += 1
        self.counters["bytes_sent"] += transfer.bytes_sent
        self.counters["retransmissions"] += transfer.retransmissions

    def stats(self) -> dict[str, int]:
        out = dict(self.counters)
        out["active"] = self.active
        out["highest"] = self.highest
        out["max"] = self.limit
        return out

    def log_stats(self) -> list[str]:
        line = (
            f"TFTP transfers: in use {self.active}, highest since last SIGUSR1 "
            f"{self.highest}, max allowed {self.limit}; sent {self.counters['sent']}, "
            f"failed {self.counters['failed']}."
        )
        self.highest = self.active
        return [line]
