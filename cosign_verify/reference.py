"""OCI image references: the distribution grammar with Docker's normalisation.

``Reference.parse("nginx")`` gives ``docker.io/library/nginx:latest``;
``str()`` of a parsed reference is always the normalised form, and parsing
that form again gives the same value.

Registry hosts are kept in one canonical form (:func:`canonical_registry`),
so that every spelling that reaches one registry gives one reference:
``REGISTRY.EXAMPLE:443/app``, ``registry.example/app`` and
``Registry.Example/app`` are the same image, and so are
``[0:0:0:0:0:0:0:1]:5000/app`` and ``[::1]:5000/app``. Names that merely
resolve to one address (``localhost`` and ``127.0.0.1``) stay distinct.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket

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
    return _check_digest(digest) if isinstance(digest, str) else _check_digest(str(digest))


@functools.lru_cache(maxsize=8192)
def _check_digest(digest: str) -> str:
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


HTTPS_PORT = 443
_NUMERIC_LABELS_RE = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")


def looks_like_host(component: str) -> bool:
    """Whether the first path component of a name is a registry host (Docker's rule)."""
    return "." in component or ":" in component or component == "localhost" or component != component.lower()


def canonical_registry(host: str) -> str:
    """The one spelling of a registry ``host[:port]`` that every equivalent spelling maps to.

    Host names are lower-cased; IP literals take their canonical form (IPv6
    compressed, IPv4-mapped IPv6 as IPv4, numeric IPv4 spellings such as
    ``127.1`` or ``0x7f.0.0.1`` as dotted decimal, as the system resolver
    reads them); the port loses leading zeros, and the HTTPS default ``:443``
    is dropped (except on loopback, which is spoken to over plain HTTP);
    Docker Hub's aliases become ``docker.io``. Raises
    :class:`InvalidReferenceError` for anything that is not a host.
    """
    return _canonical_registry(host)


@functools.lru_cache(maxsize=4096)
def _canonical_registry(host: str) -> str:
    if not _DOMAIN_RE.fullmatch(host):
        raise InvalidReferenceError(host, f"invalid registry host {host!r}")
    if host.startswith("["):
        literal, _, port = host[1:].partition("]")
        port = port[1:]
        try:
            address = ipaddress.IPv6Address(literal)
        except ValueError:
            raise InvalidReferenceError(host, f"invalid IPv6 address {literal!r}") from None
        mapped = address.ipv4_mapped
        name = str(mapped) if mapped is not None else f"[{address.compressed}]"
    else:
        name, _, port = host.partition(":")
        name = name.lower()
        if _NUMERIC_LABELS_RE.fullmatch(name):
            name = _numeric_ipv4(name, host)
    if port:
        number = int(port)
        if not 0 < number < 65536:
            raise InvalidReferenceError(host, f"port {port} is out of range")
        port = "" if number == HTTPS_PORT and not is_loopback_host(name) else str(number)
    if not port and name in _LEGACY_DEFAULT_REGISTRIES:
        return DEFAULT_REGISTRY
    return f"{name}:{port}" if port else name


def _numeric_ipv4(name: str, host: str) -> str:
    """A host of numeric labels is an IPv4 address to the resolver (``inet_aton``); give it dotted decimal."""
    try:
        return str(ipaddress.IPv4Address(socket.inet_aton(name)))
    except OSError:
        raise InvalidReferenceError(host, f"{name!r} is neither a host name nor an IPv4 address") from None


def is_loopback_host(name: str) -> bool:
    """Whether a host name or IP literal (IPv6 with or without brackets) names this machine."""
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.strip("[]")).is_loopback
    except ValueError:
        return False


def _split_domain(name: str, original: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and looks_like_host(first):
        if not _DOMAIN_RE.fullmatch(first):
            raise InvalidReferenceError(original, f"invalid registry host {first!r}")
        try:
            return canonical_registry(first), rest
        except InvalidReferenceError as exc:
            raise InvalidReferenceError(original, exc.reason) from None
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

    registry: str = attrs.field(converter=canonical_registry)
    repository: str
    tag: str | None = None
    digest: str | None = None
    _text: str = attrs.field(init=False, repr=False, eq=False)
    _scope_key: str = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        name = f"{self.registry}/{self.repository}"
        text = name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "_scope_key", f"{name}@{self.digest or ''}")

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
    def scope_key(self) -> str:
        """``registry/repository@digest`` (``registry/repository@`` without a digest): what scopes match.

        The tag never takes part: a scope covers a repository or a digest, so
        that no spelling of a reference can move it to another trust policy.
        """
        return self._scope_key

    @property
    def name(self) -> str:
        """``registry/repository``, without tag or digest."""
        return f"{self.registry}/{self.repository}"

    def with_digest(self, digest: str) -> Reference:
        """This reference pinned to ``digest``, without its tag (the form scopes match)."""
        if self.tag is None and self.digest == digest:
            return self
        return Reference(registry=self.registry, repository=self.repository, digest=check_digest(digest))

    def __str__(self) -> str:
        return self._text
