"""dnsmasq's tag algebra: tag:/tag:! conditions, specificity, tag-if chains."""

from __future__ import annotations

import pytest

from lanctl.config.grammar.tags import TagIf, TagRef
from lanctl.tags import apply_tag_if, matches, specificity


@pytest.mark.parametrize(
    ("conditions", "tags", "expected"),
    [
        ((), set(), True),
        ((TagRef("a"),), {"a"}, True),
        ((TagRef("a"),), set(), False),
        ((TagRef("a", True),), {"a"}, False),
        ((TagRef("a", True),), {"b"}, True),
        ((TagRef("a"), TagRef("b")), {"a"}, False),
        ((TagRef("a"), TagRef("b", True)), {"a"}, True),
    ],
)
def test_matches(conditions: tuple[TagRef, ...], tags: set[str], expected: bool) -> None:
    assert matches(conditions, tags) is expected


def test_specificity_counts_positive_tags() -> None:
    assert specificity((TagRef("a"), TagRef("b", True), TagRef("c"))) == 2


def test_tag_if_rules_run_in_order_and_chain() -> None:
    rules = [
        TagIf(("b",), (TagRef("a"),)),
        TagIf(("c",), (TagRef("b"), TagRef("x", True))),
        TagIf(("d",), (TagRef("x"),)),
    ]
    assert apply_tag_if(rules, {"a"}) == {"a", "b", "c"}
    assert apply_tag_if(rules, {"a", "x"}) == {"a", "b", "x", "d"}
