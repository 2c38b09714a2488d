"""The outside world for services: sockets, interfaces and the process identity.

`privileges` drops root after every socket is bound; socket openers and interface
selection live in their own modules.  Only adapters and the supervisor import this.
"""

from __future__ import annotations
