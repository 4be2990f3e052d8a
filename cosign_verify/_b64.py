"""Strict base64 for values read from bundles, log entries and trusted roots."""

from __future__ import annotations

import base64
import binascii
from typing import Any


def decode(value: Any, what: str, error: type[Exception]) -> bytes:
    """Standard base64 ``value`` decoded, or ``error`` saying that ``what`` is missing or malformed."""
    if not isinstance(value, str):
        raise error(f"{what} is missing or not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise error(f"{what} is not valid base64") from None
