"""Referrer stores: where signatures are found."""

from __future__ import annotations

from .base import Descriptor, ReferrerStore, check_content, compute_digest, cosign_signature_tag
from .memory import MemoryStore

__all__ = [
    "Descriptor",
    "MemoryStore",
    "ReferrerStore",
    "check_content",
    "compute_digest",
    "cosign_signature_tag",
]
