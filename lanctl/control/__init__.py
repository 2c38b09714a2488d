"""The control socket: a lanctl extension for talking to a running server.

`protocol` is the JSON-lines wire format (pure), `server` the trio listener the supervisor
runs, `client` the blocking stdlib client behind `lanctl cache dump|stats|clear`.
Nothing here is imported at CLI start-up; the commands import `client` lazily.
"""

from __future__ import annotations
