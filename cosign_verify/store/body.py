"""Reading one response body within a deadline and a size limit, decoding gzip and deflate ourselves."""

from __future__ import annotations

import time
import zlib
from typing import Any

import urllib3

from ..errors import DeadlineError, StoreError, TooLargeError

READ_STEP = 16 * 1024
# Only what we decode ourselves, with a bound on the decoded size.
ACCEPT_ENCODING = "gzip, deflate"


class TruncatedError(Exception):
    """The body ended before its ``Content-Length`` (retried like a broken connection)."""


def read_body(
    response: urllib3.BaseHTTPResponse, limit: int, deadline: float, read_timeout: float, what: str
) -> bytes:
    """The decoded body of ``response``: at most ``limit`` bytes, read before ``deadline``.

    Each socket read waits at most until the deadline (a body sent a few
    bytes a second is cut off there), the raw bytes are counted against
    ``Content-Length``, and compressed bodies are decoded step by step, never
    past the limit.
    """
    decoder = _decoder(response.headers.get("Content-Encoding", ""))
    declared = _content_length(response.headers.get("Content-Length"))
    if declared is not None and decoder is None and declared > limit:
        raise TooLargeError(f"{what} is {declared} bytes, over the {limit}-byte limit")
    chunks: list[bytes] = []
    total = received = 0
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineError(f"{what}: not read within the deadline")
        _bound_next_read(response, min(read_timeout, remaining))
        try:
            data = response.read1(READ_STEP, decode_content=False)
        except urllib3.exceptions.HTTPError:
            if time.monotonic() >= deadline:
                raise DeadlineError(f"{what}: not read within the deadline") from None
            raise
        if not data:
            break
        received += len(data)
        if decoder is not None:
            data = _decode(decoder, data, limit - total + 1, what)
        total += len(data)
        if total > limit:
            raise TooLargeError(f"{what} is over the {limit}-byte limit")
        chunks.append(data)
    if declared is not None and received != declared:
        raise TruncatedError(f"{what} truncated: {received} of {declared} bytes received")
    return b"".join(chunks)


def _content_length(value: str | None) -> int | None:
    return int(value) if value is not None and value.strip().isdigit() else None


def _decoder(encoding: str) -> Any:
    """A bounded decompressor for the response's ``Content-Encoding`` (None for identity)."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if name == "deflate":
        return zlib.decompressobj()
    raise StoreError(f"unsupported Content-Encoding {encoding[:40]!r}")


def _decode(decoder: Any, data: bytes, room: int, what: str) -> bytes:
    """Decompress ``data`` producing at most ``room`` bytes (a gzip bomb stops there, never in memory)."""
    try:
        out: bytes = decoder.decompress(data, room)
    except zlib.error as exc:
        raise StoreError(f"{what}: corrupt compressed body ({exc})") from None
    if decoder.unconsumed_tail:  # more output than room: over the limit
        return out + b"\0"
    return out


def _bound_next_read(response: Any, seconds: float) -> None:
    """Bound the next socket read by ``seconds`` (a read timeout is per read, not per body)."""
    sock = getattr(getattr(response, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))
