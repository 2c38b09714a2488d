"""Run `lanctl.supervisor.run` in a subprocess with the fake service as "dns".

Usage: python run_fake_supervisor.py PID_FILE CONTROL_SOCKET LOG_FACILITY [USER]
(an empty PID_FILE disables it; USER defaults to "" = no privilege drop).  Used by the
supervisor tests to exercise real signals without the DNS service or the config loader.
Errors print `lanctl: message` and exit with the LanctlError's code, as cli.main() does.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from lanctl import supervisor
from lanctl.config.model import Config, CoreCfg
from lanctl.errors import LanctlError


def main() -> None:
    pid_file, control_socket, facility = sys.argv[1:4]
    user = sys.argv[4] if len(sys.argv) > 4 else ""
    supervisor.SUBSYSTEMS["dns"] = "fake_service:serve"
    core = CoreCfg(
        user=user or None,
        pid_file=pid_file or None,
        control_socket=control_socket,
        log_facility=facility,
    )
    cfg = Config(core=core, warnings=("warning: example-option at line 3 of x.conf: no effect",))
    try:
        supervisor.run(cfg, only=("dns",))
    except LanctlError as err:
        print(f"lanctl: {err}", file=sys.stderr)
        sys.exit(err.exit_code)


if __name__ == "__main__":
    main()
