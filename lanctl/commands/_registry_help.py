"""A Click command class whose epilog lists every dnsmasq option, built only on --help."""

from __future__ import annotations

from typing import Any

from typer.core import TyperCommand


class RegistryHelpCommand(TyperCommand):
    """Appends the registry's option list (grouped like `dnsmasq --help`) to the help."""

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        from lanctl.config.helptext import option_help_sections

        for title, rows in option_help_sections():
            with formatter.section(f"dnsmasq options: {title}"):
                formatter.write_dl(rows)
