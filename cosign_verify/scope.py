"""Scopes and the matcher that picks the trust policy for a subject.

A scope is one of:

- the global ``*``;
- an exact reference pinned by digest (``registry/repo@sha256:<hex>``);
- ``registry/repo@*``: every digest of one repository;
- a prefix ending in ``*`` that names at least a whole registry host
  (``registry/*``, ``registry/ns/*``, ``registry/ns/img*``).

Scopes and subjects are compared in one canonical form (see
:func:`~cosign_verify.reference.canonical_registry`), and a scope can never
name a tag, so no spelling of a reference can move a subject from one trust
policy to another. No two scopes may overlap, so at most one policy other
than the global one can match any subject.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import re
from collections.abc import Iterable

import attrs

from .errors import ConfigError, InvalidReferenceError
from .policy import TrustPolicy
from .reference import DEFAULT_REGISTRY, Reference, canonical_registry, looks_like_host

GLOBAL_SCOPE = "*"
# Every character a normalised reference can contain: host (with port or IPv6
# brackets), repository path, tag, and digest.
_SCOPE_CHARS_RE = re.compile(r"[A-Za-z0-9._:/@+\[\]-]+")
# What may follow the host in a wildcard scope: a prefix of a repository path,
# or a whole repository path followed by '@' (every digest of that repository).
_PATH_PREFIX_RE = re.compile(r"[a-z0-9._/-]*")
_REPOSITORY_DIGESTS = "@"


class ScopeKind(enum.Enum):
    """How a scope matches a reference."""

    GLOBAL = "global"
    WILDCARD = "wildcard"
    EXACT = "exact"


_WORKING_SCOPES = (
    "scopes match the subject's digest form, never a tag: use '{name}@sha256:<digest>' for one image, "
    "'{name}@*' for every digest of the repository, or '{name}*' for every repository under that prefix"
)


def _tag_scope_error(text: str, name: str, digest: str | None = None, implicit: bool = False) -> ConfigError:
    what = "names no digest, so it stands for the tag 'latest'" if implicit else "names a tag"
    return ConfigError(
        f"scope {text!r} {what}; tags are resolved to digests before scopes are matched, "
        "so a tag scope could only match some spellings of an image",
        remediation=f"write it as {f'{name}@{digest}'!r}" if digest else _WORKING_SCOPES.format(name=name),
    )


@attrs.frozen
class Scope:
    """One validated scope.

    ``text`` is the scope as written; ``canonical`` the form it is matched in
    (registry host canonical, Docker Hub names expanded); ``prefix`` is
    ``canonical`` without its trailing ``*`` (the whole scope for exact ones).
    """

    text: str
    kind: ScopeKind
    prefix: str
    canonical: str = attrs.field()

    @canonical.default
    def _canonical_default(self) -> str:
        return self.prefix + ("*" if self.kind is ScopeKind.WILDCARD else "")

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Validate ``text`` as a scope; raise :class:`ConfigError` saying what is wrong."""
        if not text:
            raise ConfigError("scope is empty")
        if text == GLOBAL_SCOPE:
            return cls(text, ScopeKind.GLOBAL, "", GLOBAL_SCOPE)
        if "*" in text[:-1]:
            raise ConfigError(
                f"scope {text!r}: '*' may appear only once, as the last character",
                remediation="use a prefix such as 'myregistry.io/namespace/*'",
            )
        wildcard = text.endswith("*")
        prefix = text[:-1] if wildcard else text
        bad = sorted(set(_SCOPE_CHARS_RE.sub("", prefix)))
        if bad:
            raise ConfigError(
                f"scope {text!r} contains characters no image reference can contain: "
                + " ".join(repr(c) for c in bad)
            )
        if wildcard:
            return cls(text, ScopeKind.WILDCARD, _wildcard_prefix(text, prefix))
        return cls(text, ScopeKind.EXACT, _exact_scope(text))

    def matches(self, reference: Reference | str) -> bool:
        """Whether this scope covers ``reference`` (a string is parsed and normalised first)."""
        if self.kind is ScopeKind.GLOBAL:
            return True
        key = (reference if isinstance(reference, Reference) else Reference.parse(reference)).scope_key
        if self.kind is ScopeKind.WILDCARD:
            return key.startswith(self.prefix)
        return key == self.prefix


def _exact_scope(text: str) -> str:
    try:
        reference = Reference.parse(text)
    except InvalidReferenceError as exc:
        raise ConfigError(f"scope {text!r} is not a valid reference: {exc.reason}") from None
    if reference.tag is not None or reference.digest is None:
        implicit = reference.digest is None and not text.endswith(f":{reference.tag}")
        raise _tag_scope_error(text, reference.name, reference.digest, implicit)
    return reference.scope_key


def _wildcard_prefix(text: str, prefix: str) -> str:
    """The canonical prefix of a wildcard scope, which must name at least a whole registry host."""
    host, slash, path = prefix.partition("/")
    if not slash:
        name, colon, port = host.partition(":")
        if colon and not host.startswith("[") and not port.isdigit():
            raise _tag_scope_error(text, name if looks_like_host(name) else _docker_hub_name(name))
        if looks_like_host(host):
            raise ConfigError(
                f"wildcard scope {text!r} does not cover a whole registry host, so it would also match "
                "other hosts and ports that start the same way",
                remediation=f"write it as {host + '/*'!r}",
            )
    if not looks_like_host(host):
        if ":" in prefix:
            raise _tag_scope_error(text, _docker_hub_name(prefix.partition(":")[0]))
        raise ConfigError(
            f"wildcard scope {text!r} does not name a registry host; such a name means Docker Hub",
            remediation=f"write it as {_docker_hub_name(prefix) + '*'!r}",
        )
    try:
        registry = canonical_registry(host)
    except InvalidReferenceError as exc:
        raise ConfigError(f"scope {text!r}: {exc.reason}") from None
    repository, at, after = path.partition(_REPOSITORY_DIGESTS)
    if ":" in repository:
        raise _tag_scope_error(text, f"{registry}/{repository.partition(':')[0]}")
    if at and after:
        raise ConfigError(
            f"scope {text!r} is a prefix of a digest; a scope covers one digest or all of them",
            remediation=f"write {f'{registry}/{repository}@*'!r} or the full digest",
        )
    if not _PATH_PREFIX_RE.fullmatch(repository):
        raise ConfigError(
            f"scope {text!r}: repository names are lowercase letters, digits and '.', '_', '-', '/'",
            remediation=f"write it as {f'{registry}/{repository.lower()}{at}*'!r}",
        )
    if at:
        try:
            repository = Reference.parse(f"{registry}/{repository}@sha256:{'0' * 64}").repository
        except InvalidReferenceError as exc:
            raise ConfigError(f"scope {text!r} does not name a repository: {exc.reason}") from None
    return f"{registry}/{repository}{at}"


def _docker_hub_name(name: str) -> str:
    """Where Docker puts a name without a registry host (``nginx`` -> ``docker.io/library/nginx``)."""
    return f"{DEFAULT_REGISTRY}/{name if '/' in name else 'library/' + name}"


def _overlap(x: Scope, y: Scope) -> bool:
    """Whether two non-global scopes can both match one reference."""
    if x.kind is ScopeKind.WILDCARD and y.prefix.startswith(x.prefix):
        return True
    if y.kind is ScopeKind.WILDCARD and x.prefix.startswith(y.prefix):
        return True
    return x.prefix == y.prefix


class ScopeMatcher:
    """A validated set of trust policies and the lookup from subject to policy.

    Construction checks every rule (unique names, valid scopes, one global
    policy at most, no overlaps) and raises :class:`ConfigError` naming the
    policies and scopes at fault. :meth:`match` costs one dict lookup and one
    binary search, whatever the number of policies.
    """

    def __init__(self, policies: Iterable[TrustPolicy]) -> None:
        self._policies = tuple(policies)
        self._scopes: dict[str, tuple[Scope, ...]] = {}
        self._global: TrustPolicy | None = None
        self._global_at = ""
        scoped: list[tuple[Scope, int, int]] = []
        names: dict[str, int] = {}
        for p_index, policy in enumerate(self._policies):
            if policy.name in names:
                raise ConfigError(
                    f"trust policy name {policy.name!r} is also used by trustPolicies[{names[policy.name]}]",
                    path=f"trustPolicies[{p_index}].name",
                )
            names[policy.name] = p_index
            self._scopes[policy.name] = self._parse_scopes(policy, p_index, scoped)
        self._check_overlaps(scoped)
        self._exact: dict[str, TrustPolicy] = {}
        self._prefixes: list[str] = []
        self._prefix_policies: list[TrustPolicy] = []
        for scope, p_index, _ in scoped:
            if scope.kind is ScopeKind.EXACT:
                self._exact[scope.prefix] = self._policies[p_index]
            else:
                self._prefixes.append(scope.prefix)
                self._prefix_policies.append(self._policies[p_index])

    def _parse_scopes(
        self, policy: TrustPolicy, p_index: int, scoped: list[tuple[Scope, int, int]]
    ) -> tuple[Scope, ...]:
        """One policy's scopes, parsed; non-global ones are added to ``scoped``, the global one remembered."""
        where = f"trustPolicies[{p_index}]"
        parsed: dict[str, Scope] = {}
        for s_index, text in enumerate(policy.scopes):
            at = f"{where}.scopes[{s_index}]"
            try:
                scope = Scope.parse(text)
            except ConfigError as exc:
                raise ConfigError(
                    f"trust policy {policy.name!r}: {exc.reason}", path=at, remediation=exc.remediation
                ) from None
            if scope.canonical in parsed:
                raise ConfigError(f"trust policy {policy.name!r}: duplicate scope {text!r}", path=at)
            parsed[scope.canonical] = scope
            if scope.kind is not ScopeKind.GLOBAL:
                scoped.append((scope, p_index, s_index))
            elif len(policy.scopes) > 1:
                raise ConfigError(
                    f"trust policy {policy.name!r}: the global scope '*' must be the policy's only scope",
                    path=at,
                )
            elif self._global is not None:
                raise ConfigError(
                    f"trust policies {self._global.name!r} ({self._global_at}) and {policy.name!r} both use "
                    "the global scope '*'; only one policy may",
                    path=at,
                )
            else:
                self._global, self._global_at = policy, where
        return tuple(parsed.values())

    def _check_overlaps(self, scoped: list[tuple[Scope, int, int]]) -> None:
        # Sorted, any scope that covers another is followed directly by one it
        # covers, so comparing neighbours finds an overlap whenever there is one.
        scoped.sort(key=lambda item: (item[0].prefix, item[0].kind is ScopeKind.EXACT))
        for left, right in itertools.pairwise(scoped):
            if _overlap(left[0], right[0]):
                raise ConfigError(
                    f"scope {left[0].text!r} of trust policy {self._policies[left[1]].name!r} overlaps "
                    f"scope {right[0].text!r} of trust policy {self._policies[right[1]].name!r}",
                    path=f"trustPolicies[{right[1]}].scopes[{right[2]}]",
                    remediation="make the scopes disjoint: no scope may cover another",
                )

    @property
    def policies(self) -> tuple[TrustPolicy, ...]:
        """The policies, in the order given."""
        return self._policies

    def scopes(self, policy: TrustPolicy | str) -> tuple[Scope, ...]:
        """The parsed scopes of one policy (by name or value): ``Scope.canonical`` is what they match."""
        return self._scopes[policy if isinstance(policy, str) else policy.name]

    def match(self, reference: Reference | str) -> TrustPolicy | None:
        """The policy whose scope covers ``reference``, the global policy, or None.

        A string is parsed and normalised first. Only the canonical registry,
        the repository and the digest take part, never the tag; a reference
        without a digest can match only wildcard and global scopes.
        """
        text = (reference if isinstance(reference, Reference) else Reference.parse(reference)).scope_key
        policy = self._exact.get(text)
        if policy is not None:
            return policy
        # Prefixes are disjoint, so the only candidate is the greatest one <= text.
        index = bisect.bisect_right(self._prefixes, text) - 1
        if index >= 0 and text.startswith(self._prefixes[index]):
            return self._prefix_policies[index]
        return self._global
