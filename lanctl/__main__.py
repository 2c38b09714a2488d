"""`python -m lanctl`: the same entry point as the `lanctl` console script."""

from __future__ import annotations

from lanctl.cli import main

if __name__ == "__main__":
    main()
