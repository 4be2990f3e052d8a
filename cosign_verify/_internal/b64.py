"""Strict base64 for values read from signatures, bundles, log entries and trusted roots."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .failure import Failure, FailureReason


def decode(value: Any, what: str, reason: FailureReason = FailureReason.MALFORMED) -> bytes:
    """Standard base64 ``value`` decoded; a :class:`Failure` says that ``what`` is missing or malformed."""
    if not isinstance(value, str):
        raise Failure(reason, f"{what} is missing or not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Failure(reason, f"{what} is not valid base64") from None
