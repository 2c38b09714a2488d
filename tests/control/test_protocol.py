"""Control-socket wire format: JSON lines, and DecodeError for anything malformed."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lanctl.control.protocol import (
    MAX_REQUEST_BYTES,
    Request,
    Response,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
    fail,
    ok,
)
from lanctl.errors import DecodeError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def test_request_is_one_newline_terminated_json_object() -> None:
    line = encode_request(Request("cache.dump", {"limit": 10}))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"cmd": "cache.dump", "args": {"limit": 10}}


def test_responses_have_dnsmasq_free_shape() -> None:
    assert json.loads(encode_response(ok({"a": 1}))) == {"ok": True, "result": {"a": 1}}
    assert json.loads(encode_response(fail("dns not running"))) == {
        "ok": False,
        "error": "dns not running",
    }


@given(st.text(min_size=1), st.dictionaries(st.text(max_size=8), json_values, max_size=4))
def test_request_round_trip(cmd: str, args: dict[str, object]) -> None:
    assert decode_request(encode_request(Request(cmd, args))) == Request(cmd, args)


@given(json_values)
def test_response_round_trip(result: object) -> None:
    assert decode_response(encode_response(ok(result))) == Response(True, result)


def test_args_default_to_empty() -> None:
    assert decode_request(b'{"cmd": "ping"}') == Request("ping", {})
    assert decode_request(b'{"cmd": "ping", "args": null}') == Request("ping", {})


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"ping", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"args": {}}', 'no "cmd"'),
        (b'{"cmd": ""}', 'no "cmd"'),
        (b'{"cmd": 3}', 'no "cmd"'),
        (b'{"cmd": "ping", "args": [1]}', '"args" is not a JSON object'),
        (b"[" * 50000, "nested too deeply"),
    ],
)
def test_malformed_requests_raise_decode_error(line: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode_request(line)


def test_oversized_request_is_refused_before_parsing() -> None:
    line = encode_request(Request("ping", {"pad": "x" * MAX_REQUEST_BYTES}))
    with pytest.raises(DecodeError, match="longer than"):
        decode_request(line)


@given(st.binary(max_size=200))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for decode in (decode_request, decode_response):
        try:
            decode(data)
        except DecodeError:
            pass


@pytest.mark.parametrize(
    "line", [b'{"result": 1}', b'{"ok": "yes"}', b'{"ok": false}', b'{"ok": false, "error": 2}']
)
def test_malformed_responses_raise_decode_error(line: bytes) -> None:
    with pytest.raises(DecodeError):
        decode_response(line)
