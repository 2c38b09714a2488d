"""Kill -9 at random moments loses no committed lease and leaves a store that opens (P5).

A child commits leases one after another as fast as it can and prints each address once
`commit()` has returned; the test SIGKILLs it after a random number of lines, several rounds
on one database, then reopens the store: every printed lease must be there, and at most one
more (the commit in flight when the kill arrived).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from ipaddress import IPv6Address
from pathlib import Path

from lanctl.store.sqlite import SqliteBackend

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 12


def _run_and_kill(db: Path, round_: int, kill_after: int) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "tests.store._worker", "commit", str(db), str(round_)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    printed: list[str] = []
    try:
        while len(printed) < kill_after:
            line = proc.stdout.readline()
            assert line, f"worker ended early with {proc.wait()}"
            printed.append(line.strip())
        os.kill(proc.pid, signal.SIGKILL)  # our own child, by PID
        printed += [line.strip() for line in proc.stdout if line.endswith("\n")]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return printed


def test_sigkill_during_commits_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "kill9.sqlite"
    rng = random.Random(9)
    expected: set[IPv6Address] = set()
    for round_ in range(1, ROUNDS + 1):
        printed = _run_and_kill(db, round_, rng.randint(1, 400))
        expected.update(IPv6Address(text) for text in printed)
        store = SqliteBackend(db)  # opens: the kill left a usable database
        held = {x.address for x in store.all6() if isinstance(x.address, IPv6Address)}
        assert store.warnings == []
        store.close()
        with sqlite3.connect(db) as check:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert expected <= held, sorted(expected - held)[:5]
        this_round = {a for a in held if a.exploded.startswith(f"2001:0db8:{round_:04x}:")}
        extra = this_round - expected
        assert len(extra) <= 1, sorted(extra)  # at most the commit the kill interrupted
        assert len(printed) > 0
