"""The shared body of every serving command: load the config, hand it to the supervisor."""

from __future__ import annotations

from collections.abc import Sequence


def argv_with_conf(conf_file: Sequence[str] | None, extra: Sequence[str]) -> list[str]:
    """Rebuild a dnsmasq argv: the -C files Typer consumed, then everything else."""
    return [f"--conf-file={path}" for path in conf_file or ()] + list(extra)


def serve(conf_file: Sequence[str] | None, extra: Sequence[str], only: tuple[str, ...]) -> None:
    """Load configuration (exit 1 on error) and run the services named in `only`."""
    from lanctl.config import load
    from lanctl.supervisor import run

    cfg = load(argv_with_conf(conf_file, extra))
    if cfg.test:
        from lanctl.diag.render import print_syntax_ok

        print_syntax_ok(cfg)
        return
    run(cfg, only=only)
