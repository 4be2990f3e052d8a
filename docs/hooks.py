"""MkDocs hooks for the site: docstrings' Sphinx roles (``:class:`X```) shown as the code they name."""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:class|meth|func|attr|mod|exc|data|obj):(?=<code>)")


def on_page_content(html: str, **_: Any) -> str:
    """Drop the role prefix mkdocstrings leaves before the rendered name."""
    return _ROLE.sub("", html)
