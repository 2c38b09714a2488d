"""The whole lanctl error hierarchy, each error carrying dnsmasq's exit code.

dnsmasq exits 1 for a configuration problem, 2 for a network problem (address in use,
no permission), 3 for a filesystem problem, 4 for memory, 5 for anything else and 10+rc
when the `--dhcp-script` init call fails.  `cli.main()` maps a `LanctlError` to its code.
`DecodeError` is different: it is raised for malformed *peer* input, never ends the
process and has no exit code (adapters drop the packet and count it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Where:
    """Where a configuration value came from: a file and line, or the command line."""

    file: str | None = None
    line: int | None = None
    option: str | None = None

    def __str__(self) -> str:
        if self.file is None:
            return "command line"
        if self.line is None:
            return self.file
        return f"line {self.line} of {self.file}"


COMMAND_LINE = Where()


class LanctlError(Exception):
    """Base of every error that ends a lanctl command with an exit code."""

    exit_code: int = 5

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(LanctlError):
    """Bad configuration: dnsmasq's exit code 1.

    The message reads as dnsmasq's does: ``bad option at line 12 of /etc/dnsmasq.conf:
    unknown option "dhcp-rnage" (did you mean dhcp-range?)``.
    """

    exit_code = 1

    def __init__(self, message: str, where: Where | None = None) -> None:
        self.where = where
        self.detail = message
        if where is not None:
            text = f"bad option at {where}: {message}"
        else:
            text = message
        super().__init__(text)


class NetworkError(LanctlError):
    """Address in use, permission denied on a socket, no such interface: exit code 2."""

    exit_code = 2


class FileSystemError(LanctlError):
    """A file or directory that cannot be read or written: exit code 3."""

    exit_code = 3


class OutOfMemoryError(LanctlError):
    """Memory exhausted: exit code 4."""

    exit_code = 4


class NotImplementedServiceError(LanctlError):
    """A service or feature lanctl does not implement yet: exit code 5 ("other")."""

    exit_code = 5


class ControlError(LanctlError):
    """The control socket is missing, refuses, or answers garbage: exit code 5."""

    exit_code = 5


class ScriptError(LanctlError):
    """`--dhcp-script` init call failed: exit code 10 + the script's return code."""

    def __init__(self, message: str, rc: int) -> None:
        super().__init__(message)
        self.rc = rc
        self.exit_code = 10 + rc


class DecodeError(Exception):
    """Malformed input from a peer (a packet, a lease line).  Never an exit code."""
