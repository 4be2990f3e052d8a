"""Strict readers and linear scanners for text a registry, a signature or an operator hands us.

Integers, JSON, URLs and token answers are read strictly (anything else is
our error, never ``OverflowError`` or ``UnicodeEncodeError``). The
WWW-Authenticate and PEM scanners replaced regular expressions whose search
took time quadratic in the input; 64 KiB (and 1 MiB) of the worst shapes for
the old ones must now take milliseconds. The bound asserted is a generous
2 s (the old code took from seconds to minutes), so that a slow machine
never makes the test flaky.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosign_verify import CosignVerifyError, StoreError
from cosign_verify._internal.failure import Failure
from cosign_verify._internal.numbers import MAX_INT64, read_int
from cosign_verify._internal.strict_json import loads_strict
from cosign_verify.keys.loading import load_public_keys, pem_blocks
from cosign_verify.store.auth import parse_challenge
from cosign_verify.store.oci import error_detail
from cosign_verify.store.transport import MAX_TOKEN_TTL, _read_token
from cosign_verify.store.urls import resolve_url, split_url

# --- strict readers: integers and JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "strings", "message"),
    [
        (True, False, "not an integer"),
        (7.0, False, "not an integer"),
        (float("inf"), False, "not an integer"),
        ("7", False, "not an integer"),
        ("7.5", True, "not an integer"),
        ("\u0663", True, "not an integer"),  # an Arabic-Indic digit: int() would take it
        ("9" * 400, True, "larger than a 64-bit integer"),
        ("-" + "9" * 400, True, "negative"),
        (-1, False, "negative"),
        (MAX_INT64 + 1, False, "larger than a 64-bit integer"),
    ],
)
def test_read_int_refuses(value: object, strings: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_int(value, "n", ValueError, strings=strings)


def test_read_int_accepts() -> None:
    assert read_int(MAX_INT64, "n", ValueError) == MAX_INT64
    assert read_int("0042", "n", ValueError, strings=True) == 42
    with pytest.raises(ValueError, match="larger than 10"):
        read_int(11, "n", ValueError, highest=10)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ('{"n": 1e400}', "out of range"),
        ('{"n": -1e400}', "out of range"),
        ('{"s": "\\ud800"}', "lone surrogate"),
        ('{"\\udc00": 1}', "lone surrogate"),
        ('["x", ["\\ud800x"]]', "lone surrogate"),
        ('"\ud800"', "lone surrogate"),  # a str given to us holding one
    ],
)
def test_strict_json_refuses(text: str, detail: str) -> None:
    with pytest.raises(Failure, match=detail):
        loads_strict(text, "doc")
    if text.isascii():
        with pytest.raises(Failure, match=detail):
            loads_strict(text.encode(), "doc")


def test_strict_json_keeps_surrogate_pairs_and_escaped_backslashes() -> None:
    assert loads_strict('{"s": "\\ud83d\\ude00"}', "doc") == {"s": "\U0001f600"}
    assert loads_strict('{"s": "\\\\ud800"}', "doc") == {"s": "\\ud800"}
    assert loads_strict('{"n": 1e300}', "doc") == {"n": 1e300}


# --- WWW-Authenticate and PEM, scanned in linear time ----------------------------------------------------------

KiB = 1024
GENEROUS = 2.0  # seconds; each call below takes milliseconds


def quickly(call: Callable[[], object]) -> None:
    started = time.perf_counter()
    with contextlib.suppress(CosignVerifyError):  # refusing is fine: only the time counts here
        call()
    elapsed = time.perf_counter() - started
    assert elapsed < GENEROUS, f"took {elapsed:.2f}s"


HOSTILE_CHALLENGES = {
    "word-run": "Bearer " + "a" * (64 * KiB),
    "unclosed-quotes": "Bearer " + 'a="' * (64 * KiB // 3),
    "unclosed-quotes-spaced": "Bearer " + 'a=" ' * (16 * KiB),
    "escaped-quotes": 'Bearer realm="' + '\\"' * (32 * KiB),
    "empty-values": "Bearer " + "a=," * (64 * KiB // 3),
    "many-params": "Bearer " + ",".join(f'k{i}="v"' for i in range(8 * KiB)),
}


@pytest.mark.parametrize("header", HOSTILE_CHALLENGES.values(), ids=HOSTILE_CHALLENGES.keys())
def test_challenge_scan_is_linear(header: str) -> None:
    quickly(lambda: parse_challenge(header))


def test_challenge_values() -> None:
    assert parse_challenge('Bearer realm="a\\"b\\\\c",scope=x')[1] == {"realm": 'a"b\\c', "scope": "x"}
    assert parse_challenge('Bearer realm="unclosed, service=s')[1] == {"realm": '"unclosed', "service": "s"}
    assert parse_challenge("Bearer realm=,service=s")[1] == {"service": "s"}
    assert parse_challenge("Bearer " + "a" * 1000) == ("bearer", {})


_OLD_CHALLENGE = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"|(\w+)=([^\s,]+)')


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ar=" \\,x_é\t', max_size=40))
def test_challenge_scan_reads_what_the_old_expression_read(rest: str) -> None:
    """Same parameters as the quadratic expression it replaced (quoted pairs now undone in full)."""
    expected = {}
    for match in _OLD_CHALLENGE.finditer(rest):
        if match.group(1):
            expected[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", match.group(2), flags=re.S)
        else:
            expected[match.group(3).lower()] = match.group(4)
    assert parse_challenge("Bearer " + rest)[1] == expected


HOSTILE_PEM = {
    "begin-lines": b"-----BEGIN PUBLIC KEY-----\n" * (64 * KiB // 27),
    "begin-lines-1MiB": b"-----BEGIN PUBLIC KEY-----\n" * ((1 << 20) // 27),
    "distinct-labels": b"".join(b"-----BEGIN L%d-----\n" % i for i in range(64 * KiB // 16)),
    "long-label": b"-----BEGIN " + b"A" * (64 * KiB),
    "mismatched-ends": b"-----BEGIN A-----\n-----END B-----\n" * (64 * KiB // 34),
}


@pytest.mark.parametrize("data", HOSTILE_PEM.values(), ids=HOSTILE_PEM.keys())
def test_pem_scan_is_linear(data: bytes) -> None:
    quickly(lambda: load_public_keys(data))
    quickly(lambda: load_public_keys(data.decode("latin-1")))


_OLD_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_PEM_PIECES = [b"-----BEGIN ", b"-----END ", b"PUBLIC KEY", b"A", b"-----", b"\n", b"\r\n", b"x", b" ", b"-"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PEM_PIECES), max_size=30).map(b"".join))
def test_pem_scan_finds_what_the_old_expression_found(data: bytes) -> None:
    expected = [(m.group(1).decode(), m.group(0)) for m in _OLD_PEM.finditer(data)]
    assert pem_blocks(data) == expected


# --- URLs and token answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://[::1/token", "http://[::1", "https://[v1.x/a"])
def test_unreadable_urls_are_store_errors(url: str) -> None:
    with pytest.raises(StoreError, match="malformed URL"):
        split_url(url, "token realm")
    with pytest.raises(StoreError, match="malformed URL"):
        resolve_url("http://registry.example/v2/", url, "redirect")


def _token(**answer: object) -> bytes:
    return json.dumps(answer).encode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_token(token="t\u20ac"), "characters an Authorization header cannot carry"),
        (b'{"token": "t\\ud800"}', "lone surrogate"),
        (_token(token="a b"), "characters an Authorization header cannot carry"),
        (_token(token="a\r\nX-Injected: 1"), "characters an Authorization header cannot carry"),
        (b'{"token": "t", "expires_in": 1' + b"0" * 400 + b"}", "not valid JSON"),
        (b'{"token": "t", "expires_in": 1e400}', "not valid JSON"),
        (_token(token="t", expires_in=2**64), "larger than a 64-bit integer"),
        (_token(token="t", expires_in="300"), "expires_in is not an integer"),
        (_token(token="t", expires_in=True), "expires_in is not an integer"),
        (_token(token="t", expires_in=-5), "expires_in is negative"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (_token(token=7), "has no token"),
        (b'"token"', "is not a token"),
    ],
)
def test_token_answers_refused(body: bytes, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        _read_token(body, "token response")


def test_token_answers_read() -> None:
    assert _read_token(_token(token="abc.def-_~+/="), "t") == ("abc.def-_~+/=", 60.0)
    assert _read_token(_token(access_token="abc", expires_in=300), "t") == ("abc", 300.0)
    assert _read_token(_token(token="abc", expires_in=10**12), "t") == ("abc", float(MAX_TOKEN_TTL))


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b'{"errors": [{"code": "DENIED", "message": "no"}]}', "DENIED: no"),
        (b"[" * 100_000 + b"]" * 100_000, ""),
        (b'{"errors": {"code": "x"}}', ""),
        (b'{"errors": "DENIED"}', ""),
        (b'{"errors": [{"code": "A", "message": "two\\nlines"}, 7]}', "A: two lines"),
        (b'{"errors": [{"code": "' + b"x" * 100_000 + b'"}]}', "x" * 300),
        (b"\xff<html>", ""),
    ],
)
def test_registry_error_answers_are_one_short_line(body: bytes, detail: str) -> None:
    assert error_detail(body) == detail
