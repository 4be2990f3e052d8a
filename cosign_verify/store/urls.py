"""URLs from registries, token challenges and redirects, split without letting ``ValueError`` out.

``urllib.parse`` raises ``ValueError`` for a URL it cannot read (``http://[::1``,
an unclosed IPv6 bracket); a server can send one in a ``Location`` or
``Link`` header or a token realm, so every such URL is split here.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urljoin, urlsplit

from ..errors import StoreError


def split_url(url: str, what: str) -> SplitResult:
    """``urlsplit(url)``; a URL that cannot be read is a :class:`StoreError` saying ``what`` it was."""
    try:
        return urlsplit(url)
    except ValueError:
        raise StoreError(f"{what}: malformed URL {url[:200]!r}") from None


def resolve_url(base: str, reference: str, what: str) -> SplitResult:
    """``reference`` (absolute or relative, as a ``Location`` header) resolved against ``base``, split."""
    try:
        return urlsplit(urljoin(base, reference))
    except ValueError:
        raise StoreError(f"{what}: malformed URL {reference[:200]!r}") from None
