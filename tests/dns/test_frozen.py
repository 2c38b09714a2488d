"""frozen.fast_init: same behaviour as the dataclass __init__, still frozen; misuse refused."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from lanctl.dns.forward import Send
from lanctl.dns.frozen import fast_init
from lanctl.dns.reply import Record
from lanctl.dns.upstreams import Upstream
from lanctl.dns.wire import Query


@fast_init
@dataclass(frozen=True, slots=True)
class Point:
    x: int
    y: int = 7


def test_positional_keyword_and_default_arguments() -> None:
    assert Point(1) == Point(x=1, y=7) == Point(1, 7)
    assert Point(y=2, x=3).y == 2
    assert repr(Point(1, 2)) == "Point(x=1, y=2)"
    assert hash(Point(1, 2)) == hash(Point(1, 2)) and Point(1, 2) != Point(2, 1)
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, 2, 3)  # type: ignore[call-arg]


def test_instances_stay_frozen() -> None:
    p = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 5  # type: ignore[misc]
    assert dataclasses.replace(p, y=9) == Point(1, 9)


def test_hot_path_values_use_it_and_keep_their_fields() -> None:
    send = Send(3, Upstream("192.0.2.53"), b"q")
    assert (send.token, send.tcp) == (3, False)
    assert Record(0, 1, 300, b"\xc0\x00\x02\x01").ttl == 300
    q = Query(1, 0x100, b"\x01a\x00", b"\x01a\x00", 1, 1, 19, 0, False)
    assert q.question_end == 19 and not q.do
    for cls in (Send, Record, Query):
        assert cls.__init__.__qualname__ == f"{cls.__qualname__}.__init__"


def test_refuses_what_it_cannot_do() -> None:
    with pytest.raises(TypeError):

        @fast_init
        @dataclass(frozen=True)
        class NoSlots:
            a: int

    with pytest.raises(TypeError):

        @fast_init
        @dataclass(frozen=True, slots=True)
        class Factory:
            a: list[int] = field(default_factory=list)

    with pytest.raises(TypeError):

        @fast_init
        @dataclass(slots=True)
        class NotFrozen:
            a: int
