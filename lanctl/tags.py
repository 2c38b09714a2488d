"""dnsmasq's tag algebra, shared by the DHCP engines: matching `tag:`/`tag:!` lists, tag-if.

A request collects a set of tags (dnsmasq calls them network-ids): the interface name, the
`set:` tag of the range that matched, the `set:` tags of the dhcp-host line, "known" when a
dhcp-host matched.  A line with conditions (`tag:a,tag:!b`) applies when every positive tag
is in the set and no negated one is (dnsmasq `match_netid`); a line without conditions
always applies.  `--tag-if` rules run in order, each seeing the tags the earlier ones set.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable

from lanctl.config.grammar.tags import TagIf, TagRef

__all__ = ["apply_tag_if", "matches", "specificity"]


def matches(conditions: Iterable[TagRef], tags: frozenset[str] | set[str]) -> bool:
    """True when every `tag:x` is in `tags` and no `tag:!x` is."""
    return all((ref.name in tags) != ref.negated for ref in conditions)


def specificity(conditions: Iterable[TagRef]) -> int:
    """How many positive tags a line needs: dnsmasq prefers tagged options over untagged."""
    return sum(1 for ref in conditions if not ref.negated)


def apply_tag_if(rules: Iterable[TagIf], tags: set[str]) -> set[str]:
    """Run --tag-if rules in order over `tags`; returns the grown set (a new set)."""
    out = set(tags)
    for rule in rules:
        if matches(rule.tags, out):
            out.update(rule.sets)
    return out
