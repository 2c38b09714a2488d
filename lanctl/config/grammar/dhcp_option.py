"""--dhcp-option and --dhcp-option-force values (RFC 2132 options, RFC 3925, RFC 8415).

Form: `[tag:<t>,...][encap:<opt>,][vi-encap:<enterprise>,][vendor:[<class>],]
<opt>|option:<name>|option6:<opt|name>[,<value>...]`.  Names come from
lanctl.config.dhcp_names; address-list options are checked like dnsmasq checks them.
Values are kept as text (quotes removed, `literal` set when any were quoted): their
encoding (dotted quads, [v6], decimal with b/s/i flags, hex, strings) belongs to the
DHCP encoders, which know the packet context (0.0.0.0 and [::] mean "this server").
"""

from __future__ import annotations

from dataclasses import dataclass

from lanctl.config.grammar.dhcp_value import check_values, option_code, option_kind
from lanctl.config.grammar.fields import dequote, is_quoted, parse_uint, split_fields
from lanctl.config.grammar.tags import TagRef, tag_ref
from lanctl.errors import ConfigError, Where

__all__ = ["DhcpOption", "dhcp_option", "dhcp_option_force"]

_BAD = "bad dhcp-option"


@dataclass(frozen=True, slots=True)
class DhcpOption:
    """One --dhcp-option: which option, in which space, for which tags, with what values.

    `family` is 4 or 6; `encap` the enclosing option of an encapsulated option;
    `vi_encap` the enterprise number of an RFC 3925 vendor-identifying option; `vendor`
    the vendor-class substring of a `vendor:` (option 43) option ("" matches every
    client).  `values` is empty for an option sent without data.
    """

    family: int
    code: int
    name: str | None
    match_tags: tuple[TagRef, ...]
    encap: int | None
    vi_encap: int | None
    vendor: str | None
    values: tuple[str, ...]
    force: bool = False
    literal: bool = False

    @property
    def encapsulated(self) -> bool:
        return self.encap is not None or self.vi_encap is not None or self.vendor is not None


def _parse(raw: str, where: Where, force: bool) -> DhcpOption:
    fields = split_fields(raw, where)
    tags: list[TagRef] = []
    encap: int | None = None
    vi_encap: int | None = None
    vendor: str | None = None
    spec: tuple[int, int, str | None] | None = None
    index = 0
    while index < len(fields):
        item = fields[index]
        index += 1
        lower = item.lower()
        if lower.startswith(("tag:", "net:")):
            if item[4:]:
                tags.append(tag_ref(item[4:]))
        elif lower.startswith("encap:"):
            encap = parse_uint(item[6:].strip(), where, _BAD, maximum=254)
        elif lower.startswith("vi-encap:"):
            vi_encap = parse_uint(item[9:].strip(), where, _BAD)
        elif lower.startswith("vendor:"):
            vendor = dequote(item[7:].strip())
        else:
            spec = option_code(item, where, _BAD)
            if spec is not None:
                break
            if not item or is_quoted(item):
                raise ConfigError(_BAD, where)
            tags.append(TagRef(item))  # legacy: a bare network-id before the option
    if spec is None:
        raise ConfigError(_BAD, where)
    family, code, name = spec
    if encap is not None and vendor is not None:
        raise ConfigError("inappropriate vendor:", where)
    if family == 6 and (encap is not None or vendor is not None):
        raise ConfigError("unsupported encapsulation for IPv6 option", where)
    if (encap is not None or vendor is not None or vi_encap is not None) and code > 254:
        raise ConfigError(_BAD, where)
    rest = fields[index:]
    if rest == [""]:
        rest = []
    literal = any(is_quoted(v) for v in rest)
    values = tuple(dequote(v) for v in rest)
    if encap is None and vendor is None and vi_encap is None:
        check_values(family, option_kind(family, code), values, literal, where)
    return DhcpOption(
        family=family,
        code=code,
        name=name,
        match_tags=tuple(tags),
        encap=encap,
        vi_encap=vi_encap,
        vendor=vendor,
        values=values,
        force=force,
        literal=literal,
    )


def dhcp_option(raw: str, where: Where) -> DhcpOption:
    """--dhcp-option: sent when the client asks for it (parameter request list)."""
    return _parse(raw, where, False)


def dhcp_option_force(raw: str, where: Where) -> DhcpOption:
    """--dhcp-option-force: the same, but always sent."""
    return _parse(raw, where, True)
