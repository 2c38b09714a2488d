"""TFTP option negotiation: what the OACK grants (RFC 2347, 2348, 2349, 7440).

blksize (RFC 2348): 8..65464, lowered to the path limit (interface MTU or --tftp-mtu,
whichever is smaller, minus IP/UDP/TFTP headers); ignored with --tftp-no-blocksize.
tsize (RFC 2349): answered with the file size, octet mode only (as dnsmasq).  timeout
(RFC 2349): 1..255 seconds, echoed.  windowsize (RFC 7440): 1..65535 asked, at most 32
granted.  Invalid values and unknown options are ignored (RFC 2347 lets the server omit
any option from the OACK); with nothing granted there is no OACK and DATA 1 follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

DEFAULT_BLKSIZE: Final = 512  # RFC 1350
MIN_BLKSIZE: Final = 8  # RFC 2348
MAX_BLKSIZE: Final = 65464  # RFC 2348
MAX_WINDOW: Final = 32  # lanctl's ceiling (RELIABILITY §3c); RFC 7440 allows 65535
DEFAULT_TIMEOUT: Final = 1.0  # seconds before the first retransmission
HEADERS_V4: Final = 20 + 8 + 4  # IPv4 + UDP + TFTP DATA header
HEADERS_V6: Final = 40 + 8 + 4


@dataclass(frozen=True, slots=True)
class Limits:
    """What bounds the negotiation for one request."""

    mtu: int | None = None  # interface MTU, when known
    tftp_mtu: int | None = None  # --tftp-mtu
    no_blocksize: bool = False  # --tftp-no-blocksize
    ipv6: bool = False

    def max_blksize(self) -> int:
        mtus = [m for m in (self.mtu, self.tftp_mtu) if m]
        if not mtus:
            return MAX_BLKSIZE
        room = min(mtus) - (HEADERS_V6 if self.ipv6 else HEADERS_V4)
        return max(MIN_BLKSIZE, min(MAX_BLKSIZE, room))


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The transfer parameters and the OACK options, in the order the client asked."""

    blksize: int = DEFAULT_BLKSIZE
    timeout: float = DEFAULT_TIMEOUT
    windowsize: int = 1
    oack: tuple[tuple[str, str], ...] = ()


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def negotiate(
    options: tuple[tuple[str, str], ...], *, mode: str, size: int | None, limits: Limits
) -> Negotiated:
    """Grant what the request's options allow; `size` is None when unknown."""
    blksize, timeout, windowsize = DEFAULT_BLKSIZE, DEFAULT_TIMEOUT, 1
    granted: dict[str, str] = {}
    for name, raw in options:
        if name in granted:
            continue  # a repeated option: the first one counts
        value = _int(raw)
        if name == "blksize":
            if limits.no_blocksize or value is None or value < MIN_BLKSIZE:
                continue
            blksize = min(value, limits.max_blksize())
            granted[name] = str(blksize)
        elif name == "tsize":
            if mode != "octet" or size is None or value is None:
                continue
            granted[name] = str(size)
        elif name == "timeout":
            if value is None or not 1 <= value <= 255:
                continue
            timeout = float(value)
            granted[name] = str(value)
        elif name == "windowsize":
            if value is None or not 1 <= value <= 65535:
                continue
            windowsize = min(value, MAX_WINDOW)
            granted[name] = str(windowsize)
    return Negotiated(blksize, timeout, windowsize, tuple(granted.items()))
