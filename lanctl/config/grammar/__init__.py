"""Pure argument parsers for dnsmasq option values, one function per value grammar.

Each function has the signature `(raw: str, where: Where) -> value` and raises
`ConfigError(message, where)` on a malformed value.  The registry refers to them as
`g.<name>`.  Split by area: basic scalars and lists, file options, DNS tuning, DNS
records and servers, DHCP ranges/hosts/options and tags.
"""

from __future__ import annotations

from lanctl.config.grammar.basic import *  # noqa: F403
from lanctl.config.grammar.dhcp import *  # noqa: F403
from lanctl.config.grammar.dhcp_option import *  # noqa: F403
from lanctl.config.grammar.dns import *  # noqa: F403
from lanctl.config.grammar.dns_tuning import *  # noqa: F403
from lanctl.config.grammar.files import *  # noqa: F403
from lanctl.config.grammar.tags import *  # noqa: F403
