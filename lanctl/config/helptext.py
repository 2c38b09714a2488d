"""The option list of `lanctl all --help`, built from the registry (like `dnsmasq --help`)."""

from __future__ import annotations

from lanctl.config.options import GROUP_ORDER, Option, Status


def option_label(opt: Option) -> str:
    """`-p, --port=<port>` style label for one option."""
    short = f"-{opt.short}, " if opt.short else "    "
    return f"{short}--{opt.name}{opt.metavar}"


def option_help_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group title, [(label, one-line help)]) in dnsmasq's grouping order."""
    from lanctl.config.registry import OPTIONS

    sections: dict[str, list[tuple[str, str]]] = {title: [] for title in GROUP_ORDER}
    for opt in sorted(OPTIONS, key=lambda o: o.name.lower()):
        text = opt.help
        if opt.status is Status.ACCEPTED:
            text += " [not implemented yet: warns]"
        elif opt.status is Status.REJECTED:
            text += " [not supported]"
        label = option_label(opt)
        if len(label) > 40:
            label = label[:37] + "..."
        sections.setdefault(opt.group, []).append((label, text))
    return [(title, rows) for title, rows in sections.items() if rows]
