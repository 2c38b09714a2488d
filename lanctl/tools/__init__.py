"""Developer tools that generate documentation from the code (never run by the servers).

`genman` writes man/lanctl.8 and man/lanctl.conf.5 from the command tree and the option
registry; `gencompletions` writes completions/ (bash, zsh, fish) from Typer's completion
sources plus the registry's dnsmasq option names.  Drift-tested by
tests/test_generated_docs.py.
"""

from __future__ import annotations
