"""Session-wide fixtures (ARCHITECTURE §2.8, TESTING.md §1).

- `rng`: a `random.Random(0)`, so engines get reproducible randomness;
- `clock`: a trio `MockClock(autojump_threshold=0)` (trio is imported only when used);
- `free_port`: a callable returning a loopback port free for both UDP and TCP;
- `netns`: a factory of throw-away network namespaces (tests/support/netns.py), skipped
  without root or a working `ip netns`, and a failure instead when LANCTL_REQUIRE_NETNS=1.
At session start, namespaces left by crashed runs of *our* prefix are swept.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support import free_port as _free_port
from tests.support import skip_or_fail
from tests.support.netns import Lab, sweep_stale, unusable_reason


def pytest_sessionstart(session: pytest.Session) -> None:
    # Only namespaces named lct-<pid>-... whose pid is dead; never anything else.
    if os.geteuid() == 0 and unusable_reason() is None:
        sweep_stale()


@pytest.fixture
def rng() -> random.Random:
    """Seeded randomness for engines (ARCHITECTURE convention 2)."""
    return random.Random(0)


@pytest.fixture
def clock() -> Any:
    """trio's MockClock that jumps to the next deadline as soon as every task is blocked."""
    from trio.testing import MockClock

    return MockClock(autojump_threshold=0)


@pytest.fixture
def free_port() -> Callable[..., int]:
    """`free_port()` / `free_port("::1")`: a port free for UDP and TCP on loopback."""
    return _free_port


@pytest.fixture
def netns() -> Iterator[Lab]:
    """Factory: `ns = netns("srv")`, `netns.link(a, b, ["192.0.2.1/24"], ["192.0.2.2/24"])`."""
    reason = unusable_reason()
    if reason is not None:
        skip_or_fail(reason, "LANCTL_REQUIRE_NETNS")
    lab = Lab()
    try:
        yield lab
    finally:
        lab.close()
