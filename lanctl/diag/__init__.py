"""Diagnostics and human-facing output: Rich rendering and scapy probes.

Rich and scapy are heavy; every module here imports them inside functions, so that
importing `lanctl.diag.<module>` stays cheap and the CLI start-up budget holds.
"""

from __future__ import annotations
