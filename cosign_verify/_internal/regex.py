"""Regular expressions as cosign and Ratify run them: Go's RE2 (linear time, RE2 syntax), via ``google-re2``.

Python's ``re`` backtracks (``(a+)+$`` runs for minutes on a long identity);
RE2 never does, and its syntax is what users of cosign's
``--certificate-identity-regexp`` write. Lookarounds and backreferences,
which RE2 lacks, are refused when the policy is loaded.
"""

from __future__ import annotations

from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # errors are raised, not printed by RE2's logger


class RegexError(ValueError):
    """A pattern RE2 cannot compile."""


def compile_go(pattern: str) -> Any:
    """``pattern`` compiled with RE2; :class:`RegexError` says why it cannot be."""
    try:
        return re2.compile(pattern, options=_OPTIONS)
    except re2.error as exc:
        detail = (
            exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        )
        raise RegexError(detail) from None
