"""Shared test helpers: environment requirements and free loopback ports.

`require_tool(name)` and `skip_or_fail(reason, env_var)` turn a missing prerequisite into
a skip on a developer machine and into a failure in CI (LANCTL_REQUIRE_TOOLS=1,
LANCTL_REQUIRE_NETNS=1), so CI can never go green by skipping.  `free_port()` finds a
loopback port that is free for both UDP and TCP (DNS listens on both).  Network-namespace
helpers live in `tests.support.netns`.
"""

from __future__ import annotations

import os
import shutil
import socket
from typing import NoReturn

import pytest

# Client binaries live in /usr/sbin on Debian (udhcpc, dhclient, dhcpcd); PATH may lack it.
_EXTRA_PATH = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def skip_or_fail(reason: str, env_var: str) -> NoReturn:
    """Skip the test, or fail it when `env_var` is "1" (CI must not skip)."""
    if os.environ.get(env_var) == "1":
        pytest.fail(f"{reason} ({env_var}=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def find_tool(name: str) -> str | None:
    """The absolute path of a client binary, also looking in the sbin directories."""
    path = os.pathsep.join([os.environ.get("PATH", os.defpath), *_EXTRA_PATH])
    return shutil.which(name, path=path)


def require_tool(name: str) -> str:
    """Return the path of `name`; skip the test when it is missing (fail in CI)."""
    found = find_tool(name)
    if found is None:
        skip_or_fail(f"client binary {name!r} is not installed", "LANCTL_REQUIRE_TOOLS")
    return found


def free_port(host: str = "127.0.0.1", attempts: int = 50) -> int:
    """A port on `host` that is free for both TCP and UDP right now.

    There is an unavoidable race between this check and the server's bind; pass the port
    to the server immediately and fail loudly (not silently retry) if its bind fails.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(attempts):
        with socket.socket(family, socket.SOCK_STREAM) as tcp:
            tcp.bind((host, 0))
            port = int(tcp.getsockname()[1])
            with socket.socket(family, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError(f"no port on {host} free for both TCP and UDP after {attempts} tries")
