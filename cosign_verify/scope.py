"""Scopes and the matcher that picks the trust policy for a subject.

A scope is the global ``*``, a prefix ending in ``*`` (``myregistry.io/ns/*``)
or an exact normalised reference. No two scopes may overlap, so at most one
policy other than the global one can match any subject.
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
from .reference import Reference

GLOBAL_SCOPE = "*"
# Every character a normalised reference can contain: host (with port or IPv6
# brackets), repository path, tag, and digest.
_SCOPE_CHARS_RE = re.compile(r"[A-Za-z0-9._:/@+\[\]-]+")


class ScopeKind(enum.Enum):
    """How a scope matches a reference."""

    GLOBAL = "global"
    WILDCARD = "wildcard"
    EXACT = "exact"


@attrs.frozen
class Scope:
    """One validated scope: ``text`` as written, ``kind``, and ``prefix`` (``text`` without a trailing ``*``)."""

    text: str
    kind: ScopeKind
    prefix: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        """Validate ``text`` as a scope; raise :class:`ConfigError` saying what is wrong."""
        if not text:
            raise ConfigError("scope is empty")
        if text == GLOBAL_SCOPE:
            return cls(text, ScopeKind.GLOBAL, "")
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
            return cls(text, ScopeKind.WILDCARD, prefix)
        try:
            normalised = str(Reference.parse(text))
        except InvalidReferenceError as exc:
            raise ConfigError(f"scope {text!r} is not a valid reference: {exc.reason}") from None
        if normalised != text:
            raise ConfigError(
                f"scope {text!r} is not in normalised form, so it would never match",
                remediation=f"write it as {normalised!r}",
            )
        return cls(text, ScopeKind.EXACT, text)

    def matches(self, reference: str) -> bool:
        """Whether this scope covers the normalised ``reference``."""
        if self.kind is ScopeKind.GLOBAL:
            return True
        if self.kind is ScopeKind.WILDCARD:
            return reference.startswith(self.prefix)
        return reference == self.text


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
        self._exact: dict[str, TrustPolicy] = {}
        self._global: TrustPolicy | None = None
        global_at: str | None = None
        scoped: list[tuple[Scope, int, int]] = []
        names: dict[str, int] = {}

        for p_index, policy in enumerate(self._policies):
            where = f"trustPolicies[{p_index}]"
            if policy.name in names:
                raise ConfigError(
                    f"trust policy name {policy.name!r} is also used by trustPolicies[{names[policy.name]}]",
                    path=f"{where}.name",
                )
            names[policy.name] = p_index
            seen: set[str] = set()
            for s_index, text in enumerate(policy.scopes):
                at = f"{where}.scopes[{s_index}]"
                try:
                    scope = Scope.parse(text)
                except ConfigError as exc:
                    raise ConfigError(
                        f"trust policy {policy.name!r}: {exc.reason}", path=at, remediation=exc.remediation
                    ) from None
                if text in seen:
                    raise ConfigError(f"trust policy {policy.name!r}: duplicate scope {text!r}", path=at)
                seen.add(text)
                if scope.kind is not ScopeKind.GLOBAL:
                    scoped.append((scope, p_index, s_index))
                elif len(policy.scopes) > 1:
                    raise ConfigError(
                        f"trust policy {policy.name!r}: the global scope '*' must be the policy's only scope",
                        path=at,
                    )
                elif self._global is not None:
                    raise ConfigError(
                        f"trust policies {self._global.name!r} ({global_at}) and {policy.name!r} both use "
                        "the global scope '*'; only one policy may",
                        path=at,
                    )
                else:
                    self._global, global_at = policy, where

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

        self._prefixes: list[str] = []
        self._prefix_policies: list[TrustPolicy] = []
        for scope, p_index, _ in scoped:
            if scope.kind is ScopeKind.EXACT:
                self._exact[scope.text] = self._policies[p_index]
            else:
                self._prefixes.append(scope.prefix)
                self._prefix_policies.append(self._policies[p_index])

    @property
    def policies(self) -> tuple[TrustPolicy, ...]:
        """The policies, in the order given."""
        return self._policies

    def match(self, reference: Reference | str) -> TrustPolicy | None:
        """The policy whose scope covers ``reference``, the global policy, or None.

        A string is parsed and normalised first; pass a :class:`Reference` (in
        digest form, as the verifier does) to skip that.
        """
        text = str(reference if isinstance(reference, Reference) else Reference.parse(reference))
        policy = self._exact.get(text)
        if policy is not None:
            return policy
        # Prefixes are disjoint, so the only candidate is the greatest one <= text.
        index = bisect.bisect_right(self._prefixes, text) - 1
        if index >= 0 and text.startswith(self._prefixes[index]):
            return self._prefix_policies[index]
        return self._global
