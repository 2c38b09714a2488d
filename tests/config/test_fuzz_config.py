"""P11: bad configuration is an error message, never a crash.

Random configuration files built from real option names, random values and random
punctuation either load or raise a LanctlError (exit code 1/3) — never anything else.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lanctl.config import load
from lanctl.config.registry import OPTIONS
from lanctl.errors import LanctlError
from tests.config.option_examples import EXAMPLES

# Options that execute or include other files are left out: their errors are covered
# by the reader tests, and running random scripts is not what this test is about.
SKIP = {"conf-script", "conf-file", "conf-dir", "servers-file"}
NAMES = sorted(o.name for o in OPTIONS if o.name not in SKIP)

values = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(sorted(EXAMPLES.values())),
    st.from_regex(r"[0-9a-f:./,#@*-]{0,30}", fullmatch=True),
)
line = st.one_of(
    st.tuples(st.sampled_from(NAMES), values).map(lambda nv: f"{nv[0]}={nv[1]}"),
    st.sampled_from(NAMES),
    st.text(max_size=30),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(line, max_size=6))
def test_random_config_loads_or_fails_cleanly(tmp_path: Path, lines: list[str]) -> None:
    conf = tmp_path / "fuzz.conf"
    conf.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape"))
    try:
        load([f"--conf-file={conf}"])
    except LanctlError as err:
        assert str(err)  # a message for the user, never empty
        assert err.exit_code in (1, 3)


@settings(max_examples=200, deadline=None)
@given(argv=st.lists(st.one_of(st.sampled_from([f"--{n}" for n in NAMES]), values), max_size=5))
def test_random_command_line_loads_or_fails_cleanly(argv: list[str]) -> None:
    try:
        load(["--conf-file=/dev/null", *argv])
    except LanctlError as err:
        assert str(err)
        assert err.exit_code in (1, 3)
