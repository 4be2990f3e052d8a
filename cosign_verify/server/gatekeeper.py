"""Gatekeeper's external-data protocol: ``ProviderRequest`` in, ``ProviderResponse`` out, as Ratify answers it.

A request names images in ``request.keys``; the response has one item per
key (``key``, ``value``: the Ratify-shaped verification result or, for
mutation, the image by digest; ``error`` when that key failed), or a
``systemError`` when the request as a whole could not be served.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import attrs

API_VERSIONS = ("externaldata.gatekeeper.sh/v1beta1", "externaldata.gatekeeper.sh/v1alpha1")
REQUEST_KIND = "ProviderRequest"
RESPONSE_KIND = "ProviderResponse"
MAX_KEYS = 256
MAX_KEY_LENGTH = 4096


class BadRequestError(ValueError):
    """A request that is not a ProviderRequest we can answer (HTTP 400)."""


@attrs.frozen
class ProviderRequest:
    """The images Gatekeeper asks about, and the API version to answer in."""

    keys: tuple[str, ...]
    api_version: str


@attrs.frozen
class Item:
    """One key's answer: its value, or its error."""

    key: str
    value: Any = None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "value": self.value}
        if self.error:
            out["error"] = self.error
        return out


def parse_request(body: bytes) -> ProviderRequest:
    """The keys of a ProviderRequest; :class:`BadRequestError` saying what is wrong otherwise."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise BadRequestError(f"request body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadRequestError("request body is not a ProviderRequest object")
    api_version = document.get("apiVersion", API_VERSIONS[0])
    if api_version not in API_VERSIONS:
        raise BadRequestError(f"unsupported apiVersion {api_version!r} (expected {API_VERSIONS[0]})")
    if document.get("kind", REQUEST_KIND) != REQUEST_KIND:
        raise BadRequestError(f"kind is {document.get('kind')!r}, not {REQUEST_KIND}")
    request = document.get("request")
    keys = request.get("keys") if isinstance(request, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise BadRequestError("request.keys must be a list of image references (strings)")
    if len(keys) > MAX_KEYS:
        raise BadRequestError(f"request has {len(keys)} keys (at most {MAX_KEYS})")
    if any(len(k) > MAX_KEY_LENGTH for k in keys):
        raise BadRequestError(f"a key is longer than {MAX_KEY_LENGTH} characters")
    return ProviderRequest(keys=tuple(keys), api_version=str(api_version))


def response(
    items: Sequence[Item] | None,
    *,
    api_version: str = API_VERSIONS[0],
    idempotent: bool = False,
    system_error: str = "",
) -> bytes:
    """A ProviderResponse: the items, or the system error."""
    body: dict[str, Any] = {"idempotent": idempotent}
    if items is not None:
        body["items"] = [item.to_dict() for item in items]
    if system_error:
        body["systemError"] = system_error
    document = {"apiVersion": api_version, "kind": RESPONSE_KIND, "response": body}
    return json.dumps(document, separators=(",", ":")).encode()
