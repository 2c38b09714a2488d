"""Drift and behaviour tests of the generated man pages and shell completions.

The committed man/ and completions/ files must equal what the generators produce now
(byte for byte); when they do not, the message says which command regenerates them.
The completions are also exercised: bash (always), fish and zsh (when installed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lanctl.config.options import Status
from lanctl.config.registry import OPTIONS
from lanctl.tools import gencompletions, genman

ROOT = Path(__file__).resolve().parent.parent


def _compare(generated: Path, committed: Path, names: list[str], hint: str) -> None:
    stale = [
        n
        for n in names
        if not (committed / n).is_file()
        or (committed / n).read_bytes() != (generated / n).read_bytes()
    ]
    assert stale == [], f"{', '.join(stale)} out of date: run {hint} to update"


def test_man_pages_are_up_to_date(tmp_path: Path) -> None:
    assert genman.main([str(tmp_path)]) == 0
    _compare(tmp_path, ROOT / "man", list(genman.PAGES), "python -m lanctl.tools.genman man/")


def test_completions_are_up_to_date(tmp_path: Path) -> None:
    assert gencompletions.main([str(tmp_path)]) == 0
    _compare(
        tmp_path,
        ROOT / "completions",
        list(gencompletions.FILES.values()),
        "python -m lanctl.tools.gencompletions completions/",
    )


def test_check_mode_reports_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert genman.main(["--check", str(tmp_path)]) == 1
    assert "run python -m lanctl.tools.genman man/ to update" in capsys.readouterr().err
    assert genman.main([str(tmp_path)]) == 0
    assert genman.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "lanctl.8").write_text("edited by hand\n")
    assert genman.main(["--check", str(tmp_path)]) == 1


def test_generation_is_deterministic() -> None:
    assert genman.render_all() == genman.render_all()


def test_conf5_documents_every_option() -> None:
    page = genman.render_conf5()
    for opt in OPTIONS:
        assert genman.bold(f"--{opt.name}") in page, opt.name
    accepted = sum(1 for o in OPTIONS if o.status is Status.ACCEPTED)
    rejected = sum(1 for o in OPTIONS if o.status is Status.REJECTED)
    assert page.count("\\fB[accepted]\\fR") == accepted
    assert page.count("\\fB[rejected]\\fR") == rejected
    # Groups appear in GROUP_ORDER.
    from lanctl.config.options import GROUP_ORDER

    present = [g for g in GROUP_ORDER if any(o.group == g for o in OPTIONS)]
    titles = re.findall(r"^\.SS (.+)$", page, flags=re.M)
    assert titles[: len(present)] == present


def test_man8_lists_every_command_and_exit_code() -> None:
    page = genman.render_man8()
    for cmd in ("all", "test\\-config", "dns serve", "dhcp serve", "ra serve", "tftp serve"):
        assert f".B lanctl {cmd}\n" in page
    assert ".B lanctl pxe\\-proxy serve\n" in page
    assert ".B lanctl cache stats\n" in page
    for code in ("0", "1", "2", "3", "4", "5", "11 or more"):
        assert f"\\fB{code}\\fR" in page
    for sig in ("SIGHUP", "SIGUSR1", "SIGUSR2"):
        assert sig in page


def test_roff_escaping() -> None:
    assert genman.esc(".start\n'quote\nback\\slash-dash") == (
        "\\&.start\n\\&'quote\nback\\eslash\\-dash"
    )


# -- the completions work --------------------------------------------------------------


@pytest.fixture
def lanctl_on_path(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH has a `lanctl` running this checkout's interpreter."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "lanctl"
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} -m lanctl "$@"\n')
    exe.chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}


def _bash_complete(env: dict[str, str], *words: str) -> list[str]:
    script = (
        f"source {ROOT / 'completions' / 'lanctl.bash'}\n"
        f"COMP_WORDS=({' '.join(words)}); COMP_CWORD={len(words) - 1}; COMPREPLY=()\n"
        "_lanctl_complete lanctl\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return [w for w in proc.stdout.splitlines() if w]


def test_bash_completes_commands_and_dnsmasq_options(lanctl_on_path: dict[str, str]) -> None:
    assert set(_bash_complete(lanctl_on_path, "lanctl", "d")) == {"dns", "dhcp"}
    assert _bash_complete(lanctl_on_path, "lanctl", "all", "--addn-h") == ["--addn-hosts="]
    assert "--no-hosts" in _bash_complete(lanctl_on_path, "lanctl", "dns", "serve", "--no-h")
    # Not after commands that take no dnsmasq options.
    assert _bash_complete(lanctl_on_path, "lanctl", "cache", "--no-h") == []


def test_fish_completes_dnsmasq_options(lanctl_on_path: dict[str, str]) -> None:
    if shutil.which("fish") is None:
        pytest.skip("fish is not installed (optional shell)")
    proc = subprocess.run(
        [
            "fish",
            "--no-config",
            "-c",
            f"source {ROOT / 'completions' / 'lanctl.fish'}; complete -C 'lanctl all --addn-h'",
        ],
        env=lanctl_on_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert proc.stdout.startswith("--addn-hosts\tAdditional hosts file.")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_parse(shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (optional shell)")
    path = ROOT / "completions" / gencompletions.FILES[shell]
    subprocess.run([shell, "-n", str(path)], check=True, timeout=60)
