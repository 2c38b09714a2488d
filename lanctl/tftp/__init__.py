"""TFTP service (RFC 1350/2347/2348/2349/7440): codec, paths, transfers, trio adapter."""

from __future__ import annotations
