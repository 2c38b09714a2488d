"""DNS service: local data (hosts files, host-record, address=) over UDP and TCP.

`wire` peeks and builds packets with `struct`, `hosts` parses hosts files, `local` holds
the name tables, `answers` renders reply bytes, `engine` decides (sans-IO) and `server`
is the trio adapter.  Forwarding and caching of upstream answers come later.
"""

from __future__ import annotations
