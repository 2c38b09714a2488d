"""Tag syntax of the DHCP options: set:/tag:/tag:! prefixes, --tag-if and the tag setters.

Implements the values of --dhcp-ignore, --dhcp-ignore-names, --dhcp-generate-names,
--dhcp-broadcast, --bootp-dynamic (tag lists), --tag-if, --dhcp-vendorclass,
--dhcp-userclass, --dhcp-circuitid, --dhcp-remoteid, --dhcp-subscrid, --dhcp-mac and
--dhcp-name-match.  As in dnsmasq, "net:" is the legacy spelling of "tag:" where tags are
matched and of "set:" where a tag is set; the matching itself lives in lanctl.tags.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lanctl.config.grammar.dhcp_value import ValueKind, match_bytes, option_code, option_kind
from lanctl.config.grammar.fields import dequote, is_quoted, parse_hex, parse_uint, split_fields
from lanctl.config.grammar.hwaddr import MacPattern, parse_mac
from lanctl.errors import ConfigError, Where

__all__ = [
    "DhcpMac",
    "DhcpMatch",
    "NameMatch",
    "TagIf",
    "TagMatch",
    "TagRef",
    "TagSet",
    "dhcp_mac",
    "dhcp_match",
    "dhcp_name_match",
    "split_tags",
    "tag_if",
    "tag_list",
    "tag_match",
    "tag_ref",
]


@dataclass(frozen=True, slots=True)
class TagSet:
    """`set:<tag>` (or legacy `net:<tag>` where a tag is set)."""

    name: str


@dataclass(frozen=True, slots=True)
class TagRef:
    """`tag:<tag>` or `tag:!<tag>`: a condition on the request's tag set."""

    name: str
    negated: bool = False

    def __str__(self) -> str:
        return f"tag:{'!' if self.negated else ''}{self.name}"


@dataclass(frozen=True, slots=True)
class TagIf:
    """--tag-if: set every tag of `sets` when every condition of `tags` holds."""

    sets: tuple[str, ...]
    tags: tuple[TagRef, ...]


@dataclass(frozen=True, slots=True)
class TagMatch:
    """--dhcp-vendorclass/-userclass/-circuitid/-remoteid/-subscrid: value -> tag.

    `value` is kept as written (quotes removed); `enterprise` is the IANA number of a
    DHCPv6 vendor class (`enterprise:<n>,`).
    """

    set_tag: str
    value: str
    enterprise: int | None = None

    def as_bytes(self) -> bytes:
        """Colon-separated hex ("01:02:03") as its octets; any other text as UTF-8."""
        if ":" in self.value:
            try:
                return parse_hex(self.value, None)[0]
            except ConfigError:
                pass
        return self.value.encode()


@dataclass(frozen=True, slots=True)
class DhcpMac:
    """--dhcp-mac=set:<tag>,<MAC pattern>."""

    set_tag: str
    mac: MacPattern


@dataclass(frozen=True, slots=True)
class DhcpMatch:
    """--dhcp-match: set `set_tag` when the client sends an option (with a matching value).

    The option is `option` (with `option_name` when given by name) in `family` 4 or 6, or
    a vendor-identifying class of enterprise `vi_encap`.  `value` None means "present";
    otherwise `value`/`wildcard_mask` are the octets to find (mask 0xFF = any byte) and
    `value_kind` how they were read: "hex" (prefix match), "int"/"addr" (one element of
    the option's array), "string" (substring).
    """

    set_tag: str
    option: int | None
    option_name: str | None
    vi_encap: int | None
    family: int
    value: bytes | None = None
    wildcard_mask: bytes | None = None
    value_kind: ValueKind | None = None
    value_text: str | None = None


@dataclass(frozen=True, slots=True)
class NameMatch:
    """--dhcp-name-match=set:<tag>,<name>[*]; `wildcard` means a trailing `*` (prefix match)."""

    set_tag: str
    name: str
    wildcard: bool


def tag_ref(text: str) -> TagRef:
    """A tag name with an optional leading "!" (the prefix already removed)."""
    if text.startswith("!"):
        return TagRef(text[1:], True)
    return TagRef(text)


def _prefix(item: str) -> str:
    head, sep, _ = item.partition(":")
    return head.lower() if sep else ""


def split_tags(
    items: Sequence[str], *, net_sets: bool = False
) -> tuple[tuple[str, ...], tuple[TagRef, ...], list[str]]:
    """Pull every set:/tag:/net: item out of `items`: (sets, matches, the rest in order).

    `net_sets` says whether legacy "net:" sets a tag (dhcp-host) or matches one
    (dhcp-range, dhcp-option).  Empty "tag:" items are ignored, as dnsmasq does.
    """
    sets: list[str] = []
    matches: list[TagRef] = []
    rest: list[str] = []
    for item in items:
        prefix = _prefix(item)
        name = item[4:]
        if prefix == "set" or (prefix == "net" and net_sets):
            sets.append(name)
        elif prefix in ("tag", "net"):
            if name:
                matches.append(tag_ref(name))
        else:
            rest.append(item)
    return tuple(sets), tuple(matches), rest


def tag_list(raw: str, where: Where) -> tuple[TagRef, ...]:
    """`tag:a,tag:!b` (bare names allowed, legacy network-ids); "" -> ()."""
    if not raw.strip():
        return ()
    refs: list[TagRef] = []
    for item in split_fields(raw, where):
        name = item[4:] if _prefix(item) in ("tag", "net") else item
        if not name or name == "!":
            raise ConfigError("bad tag", where)
        refs.append(tag_ref(name))
    return tuple(refs)


def tag_if(raw: str, where: Where) -> TagIf:
    """--tag-if=set:<tag>[,set:<tag>...][,tag:<tag>...] in any order."""
    sets: list[str] = []
    refs: list[TagRef] = []
    for item in split_fields(raw, where):
        prefix = _prefix(item)
        name = item[4:]
        if prefix == "set" and name:
            sets.append(name)
        elif prefix in ("tag", "net") and name and name != "!":
            refs.append(tag_ref(name))
        else:
            raise ConfigError("bad tag-if", where)
    if not sets:
        raise ConfigError("bad tag-if", where)
    return TagIf(tuple(sets), tuple(refs))


def _set_tag(item: str) -> str:
    return item[4:] if _prefix(item) in ("set", "net") else item


def tag_match(raw: str, where: Where) -> TagMatch:
    """`[set:]<tag>,[enterprise:<n>,]<value>` for the class and relay-agent matchers."""
    name = (where.option or "dhcp-vendorclass").removeprefix("--")
    fields = split_fields(raw, where, limit=2)
    if len(fields) < 2:
        raise ConfigError(f"bad {name}", where)
    tag = _set_tag(fields[0])
    rest = fields[1]
    enterprise: int | None = None
    if rest.lower().startswith("enterprise:"):
        number, _, value = rest[len("enterprise:") :].partition(",")
        enterprise = parse_uint(number.strip(), where, f"bad {name}")
        rest = value.strip()
    return TagMatch(tag, dequote(rest), enterprise)


def dhcp_mac(raw: str, where: Where) -> DhcpMac:
    """--dhcp-mac=[set:]<tag>,<MAC with * wildcards>."""
    fields = split_fields(raw, where)
    if len(fields) != 2 or not fields[1]:
        raise ConfigError("bad dhcp-mac", where)
    return DhcpMac(_set_tag(fields[0]), parse_mac(fields[1], where))


def dhcp_name_match(raw: str, where: Where) -> NameMatch:
    """--dhcp-name-match=[set:]<tag>,<name>[*]."""
    fields = split_fields(raw, where)
    if len(fields) != 2 or not fields[1]:
        raise ConfigError("bad dhcp-name-match", where)
    name = dequote(fields[1])
    wildcard = name.endswith("*")
    if wildcard:
        name = name[:-1]
    if "*" in name:
        raise ConfigError("bad dhcp-name-match", where)
    return NameMatch(_set_tag(fields[0]), name, wildcard)


def dhcp_match(raw: str, where: Where) -> DhcpMatch:
    """--dhcp-match=[set:]<tag>,<n>|option:<name>|option6:<x>|vi-encap:<n>[,<value>]."""
    bad = "bad dhcp-match"
    fields = split_fields(raw, where, limit=3)
    if len(fields) < 2 or not fields[1]:
        raise ConfigError(bad, where)
    tag = _set_tag(fields[0])
    spec = fields[1]
    family, code, name, vi_encap = 4, None, None, None
    if spec.lower().startswith("vi-encap:"):
        vi_encap = parse_uint(spec[9:].strip(), where, bad)
    else:
        found = option_code(spec, where, bad)
        if found is None:
            raise ConfigError(bad, where)
        family, code, name = found
    if len(fields) < 3:
        return DhcpMatch(tag, code, name, vi_encap, family)
    text = fields[2]
    literal = is_quoted(text)
    text = dequote(text)
    kind = option_kind(family, code) if code is not None else "any"
    octets, mask, how = match_bytes(text, kind, literal, where)
    return DhcpMatch(tag, code, name, vi_encap, family, octets, mask, how, text)
