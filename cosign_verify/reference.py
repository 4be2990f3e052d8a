"""OCI image references: the distribution grammar with Docker's normalisation.

``Reference.parse("nginx")`` gives ``docker.io/library/nginx:latest``;
``str()`` of a parsed reference is always the normalised form, and parsing
that form again gives the same value.
"""

from __future__ import annotations

import re

import attrs

from .errors import InvalidReferenceError

DEFAULT_REGISTRY = "docker.io"
DEFAULT_TAG = "latest"
_LEGACY_DEFAULT_REGISTRIES = frozenset({"index.docker.io", "registry-1.docker.io"})
MAX_NAME_LENGTH = 255
MAX_REFERENCE_LENGTH = 4096

# Lengths of the hex part of the digests the OCI image spec registers.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha512": 128}
_DIGEST_HEX_RE = {name: re.compile(f"[0-9a-f]{{{length}}}") for name, length in DIGEST_HEX_LENGTHS.items()}

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])"
_DOMAIN_RE = re.compile(rf"{_HOST}(?::[0-9]+)?")
_PATH_COMPONENT_RE = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_TAG_RE = re.compile(r"[\w][\w.-]{0,127}", re.ASCII)
_DIGEST_RE = re.compile(r"[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+")


def check_digest(digest: str) -> str:
    """Return ``digest`` if it is a well-formed sha256 or sha512 digest; raise otherwise."""
    algorithm, sep, encoded = digest.partition(":")
    if not sep or not _DIGEST_RE.fullmatch(digest):
        raise InvalidReferenceError(digest, "digest must look like 'sha256:<hex>'")
    expected = DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        raise InvalidReferenceError(
            digest, f"unsupported digest algorithm {algorithm!r} (use sha256 or sha512)"
        )
    if not _DIGEST_HEX_RE[algorithm].fullmatch(encoded):
        raise InvalidReferenceError(digest, f"{algorithm} digest must be {expected} lowercase hex characters")
    return digest


def _split_domain(name: str, original: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first != first.lower()):
        if not _DOMAIN_RE.fullmatch(first):
            raise InvalidReferenceError(original, f"invalid registry host {first!r}")
        registry = DEFAULT_REGISTRY if first in _LEGACY_DEFAULT_REGISTRIES else first
        return registry, rest
    return DEFAULT_REGISTRY, name


def _check_repository(repository: str, original: str) -> None:
    if not repository:
        raise InvalidReferenceError(original, "repository name is empty")
    for component in repository.split("/"):
        if _PATH_COMPONENT_RE.fullmatch(component):
            continue
        if component != component.lower() and _PATH_COMPONENT_RE.fullmatch(component.lower()):
            raise InvalidReferenceError(original, f"repository name must be lowercase (got {repository!r})")
        reason = "empty path component" if not component else f"invalid path component {component!r}"
        raise InvalidReferenceError(
            original,
            f"{reason} in repository {repository!r} "
            "(lowercase letters, digits and single '.', '_', '__' or '-' separators)",
        )


@attrs.frozen(kw_only=True, cache_hash=True)
class Reference:
    """A normalised OCI image reference: ``registry/repository[:tag][@digest]``.

    At least one of ``tag`` and ``digest`` is set; ``tag`` defaults to
    ``latest`` only when there is no digest.
    """

    registry: str
    repository: str
    tag: str | None = None
    digest: str | None = None
    _text: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        text = f"{self.registry}/{self.repository}"
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        object.__setattr__(self, "_text", text)

    @classmethod
    def parse(cls, text: str) -> Reference:
        """Parse and normalise ``text``; raise :class:`InvalidReferenceError` if it is not a reference."""
        if not isinstance(text, str):
            raise InvalidReferenceError(repr(text), "reference must be a string")
        if not text:
            raise InvalidReferenceError(text, "reference is empty")
        if len(text) > MAX_REFERENCE_LENGTH:
            raise InvalidReferenceError(
                text[:64] + "...", f"reference is longer than {MAX_REFERENCE_LENGTH} characters"
            )
        if text != text.strip():
            raise InvalidReferenceError(text, "reference has leading or trailing whitespace")

        remainder, at, digest = text.partition("@")
        if at:
            check_digest(digest)
        # A ':' after the last '/' starts the tag; one before it belongs to a port.
        slash = remainder.rfind("/")
        colon = remainder.rfind(":")
        tag: str | None = None
        name = remainder
        if colon > slash:
            name, tag = remainder[:colon], remainder[colon + 1 :]
            if not _TAG_RE.fullmatch(tag):
                raise InvalidReferenceError(
                    text, f"invalid tag {tag!r} (word characters, '.' and '-', at most 128)"
                )
        if not name:
            raise InvalidReferenceError(text, "repository name is empty")

        registry, repository = _split_domain(name, text)
        _check_repository(repository, text)
        if registry == DEFAULT_REGISTRY and "/" not in repository:
            repository = f"library/{repository}"
        if len(registry) + 1 + len(repository) > MAX_NAME_LENGTH:
            raise InvalidReferenceError(text, f"repository name is longer than {MAX_NAME_LENGTH} characters")
        if tag is None and not at:
            tag = DEFAULT_TAG
        return cls(registry=registry, repository=repository, tag=tag, digest=digest or None)

    @property
    def name(self) -> str:
        """``registry/repository``, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    def with_digest(self, digest: str) -> Reference:
        """This reference pinned to ``digest``, without its tag (the form scopes match)."""
        return Reference(registry=self.registry, repository=self.repository, digest=check_digest(digest))

    def __str__(self) -> str:
        return self._text
