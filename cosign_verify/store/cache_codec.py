"""How :class:`~cosign_verify.store.redis_cache.RedisCache` writes the registry store's values, and what it
checks when it reads them back.

The registry store's keys say what their values are:

- ``manifest:<name>@<digest>`` and ``blob:<name>@<digest>``: content, stored as the raw bytes and hashed
  again on every read (bytes that do not match the digest in their key are refused);
- ``referrers:<name>@<digest>:...``: a tuple of descriptors;
- ``resolve:<name>:<tag or digest>``: one descriptor (a digest target must be the descriptor's digest).

Descriptors are JSON (never pickle) in an envelope ``cv1 <mac> <json>``, where ``<json>`` is
``{"kind", "expires", "value"}`` (``expires``: Unix time, or null) and ``<mac>`` is ``-`` or, with a
secret, the hex HMAC-SHA256 of the key and the JSON under it: a value cannot be forged, moved to another
key, or kept past the expiry it was written with. Anything that does not check out raises :class:`RefusedError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from typing import Any

from ..errors import StoreError
from .base import Descriptor, check_content
from .oci import descriptors, parse_json

CONTENT = "content"
REFERRERS = "referrers"
RESOLVE = "resolve"
OTHER = "other"

_MAGIC = b"cv1"
_DOMAIN = b"cosign-verify cache v1\x00"
_KINDS = {REFERRERS: "descriptors", RESOLVE: "descriptor"}
_DIGEST_TARGET = re.compile(r":((?:sha256|sha512):[0-9a-f]+)$")
MIN_SECRET_BYTES = 16


class RefusedError(Exception):
    """A value read back that must not be used: tampered, malformed, or written under another secret."""


def kind_of(key: str) -> str:
    """What the registry store keeps under ``key``: content, a referrer list, a resolution, or other."""
    prefix, sep, _ = key.partition(":")
    if not sep:
        return OTHER
    if prefix in ("manifest", "blob") and "@" in key:
        return CONTENT
    if prefix == "referrers":
        return REFERRERS
    if prefix == "resolve":
        return RESOLVE
    return OTHER


def secret_bytes(secret: bytes | str) -> bytes:
    """The secret as bytes, refused when too short to be a key."""
    value = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(value) < MIN_SECRET_BYTES:
        raise ValueError(
            f"the cache secret has {len(value)} bytes; use at least {MIN_SECRET_BYTES} "
            "(32 random bytes: `openssl rand -hex 32`)"
        )
    return value


class Codec:
    """Values to bytes and back, for one secret (or none)."""

    def __init__(self, secret: bytes | None, *, clock: Callable[[], float] = time.time) -> None:
        self._secret = secret
        self._clock = clock

    @property
    def signed(self) -> bool:
        """Whether envelopes carry (and must carry) a MAC."""
        return self._secret is not None

    def encode(self, key: str, value: Any, ttl: float | None) -> bytes | None:
        """The bytes to store for ``value`` under ``key``; None when this kind of value is not shared."""
        kind = kind_of(key)
        if kind == CONTENT:
            return bytes(value) if isinstance(value, bytes | bytearray) else None
        if kind == RESOLVE and isinstance(value, Descriptor):
            document: Any = value.to_dict()
        elif kind == REFERRERS and isinstance(value, tuple | list):
            if not all(isinstance(item, Descriptor) for item in value):
                return None
            document = [item.to_dict() for item in value]
        else:
            return None
        expires = None if ttl is None else round(self._clock() + ttl, 3)
        body = json.dumps(
            {"kind": _KINDS[kind], "expires": expires, "value": document},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return b" ".join((_MAGIC, self._mac(key, body) if self._secret else b"-", body))

    def decode(self, key: str, data: bytes) -> Any | None:
        """The value stored as ``data`` under ``key``, checked; None when it has expired. Raises :class:`RefusedError`."""
        kind = kind_of(key)
        if kind == CONTENT:
            digest = key.rpartition("@")[2]
            try:
                return check_content(bytes(data), digest, key)
            except (StoreError, ValueError) as exc:
                raise RefusedError(f"the content does not match the digest in its key ({exc})") from None
        if kind not in _KINDS:
            raise RefusedError("this key is not shared through Redis")
        body = self._open(key, data)
        try:
            document = parse_json(body, "cached value")
        except StoreError as exc:
            raise RefusedError(str(exc)) from None
        if not isinstance(document, dict) or document.get("kind") != _KINDS[kind]:
            raise RefusedError(f"not a cached {_KINDS[kind]}")
        expires = document.get("expires")
        if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int | float)):
            raise RefusedError("its expiry is not a number")
        if expires is not None and self._clock() >= expires:
            return None
        return _descriptors(key, kind, document.get("value"))

    def _open(self, key: str, data: bytes) -> bytes:
        magic, _, rest = bytes(data).partition(b" ")
        mac, _, body = rest.partition(b" ")
        if magic != _MAGIC or not body:
            raise RefusedError("not a value this cache wrote (unknown format)")
        if self._secret is None:
            return body
        if mac == b"-":
            raise RefusedError("it carries no MAC, and this cache has a secret")
        if not hmac.compare_digest(mac, self._mac(key, body)):
            raise RefusedError("its MAC does not verify under this cache's secret")
        return body

    def _mac(self, key: str, body: bytes) -> bytes:
        assert self._secret is not None
        message = _DOMAIN + key.encode() + b"\x00" + body
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest().encode()


def _descriptors(key: str, kind: str, value: Any) -> Any:
    entries = value if kind == REFERRERS else [value]
    if not isinstance(entries, list):
        raise RefusedError("its value is not a list of descriptors")
    try:
        found = tuple(descriptors({"manifests": entries}, "cached descriptor"))
    except StoreError as exc:
        raise RefusedError(str(exc)) from None
    if kind == REFERRERS:
        return found
    if len(found) != 1:
        raise RefusedError("not one descriptor")
    target = _DIGEST_TARGET.search(key)
    if target is not None and found[0].digest != target.group(1):
        raise RefusedError(f"it names {found[0].digest}, not the digest in its key")
    return found[0]
