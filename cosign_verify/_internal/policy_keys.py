"""Turning a trust policy's ``keys`` entries into public keys."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from ..errors import ConfigError, UnsupportedKeyError
from ..keys.loading import PublicKey, describe_key
from ..keys.providers import KeyProviders, TrustedKey, read_key_file
from ..policy import KeyRef, TrustPolicy
from ..report import KeyInformation
from .crypto import key_signer

FILE_PROVIDER = "file"


@attrs.frozen(kw_only=True)
class ResolvedKey:
    """A trusted key with where it came from: ``provider`` is ``file`` for key files."""

    provider: str
    name: str
    version: str
    key: PublicKey = attrs.field(eq=False, repr=False)
    description: str = attrs.field(
        default=attrs.Factory(lambda self: describe_key(self.key), takes_self=True), eq=False
    )
    label: str = attrs.field(default=attrs.Factory(lambda self: _label(self), takes_self=True), eq=False)  # noqa: PLW0108 - _label comes after the class
    signer: str = attrs.field(
        default=attrs.Factory(lambda self: key_signer(self.key), takes_self=True), eq=False
    )
    information: KeyInformation = attrs.field(  # the report's ``keyInformation``
        default=attrs.Factory(
            lambda self: KeyInformation(provider=self.provider, name=self.name, version=self.version),
            takes_self=True,
        ),
        eq=False,
    )


def _label(key: ResolvedKey) -> str:
    """How messages name a key: ``key 'name' version 'v' of provider 'p'``."""
    label = f"key {key.name!r}" + (f" version {key.version!r}" if key.version else "")
    if key.provider not in (FILE_PROVIDER, key.name):
        label += f" of provider {key.provider!r}"
    return label


def _select(policy: TrustPolicy, ref: KeyRef, keys: Sequence[TrustedKey]) -> list[TrustedKey]:
    if ref.name is None:
        return list(keys)
    named = [k for k in keys if k.name == ref.name]
    if not named:
        raise ConfigError(
            f"trust policy {policy.name!r}: key {ref.name!r} not found in key management provider {ref.provider!r}",
            remediation=f"keys of {ref.provider!r}: {', '.join(sorted({k.name for k in keys}))}",
        )
    if ref.version is None:
        return [named[-1]]
    versioned = [k for k in named if k.version == ref.version]
    if not versioned:
        raise ConfigError(
            f"trust policy {policy.name!r}: version {ref.version!r} of key {ref.name!r} not found in key "
            f"management provider {ref.provider!r}",
            remediation=f"versions: {', '.join(repr(k.version) for k in named)}",
        )
    return versioned


class PolicyKeys:
    """The keys one trust policy trusts, checked once and then served per namespace.

    Construction reads key files and checks that every provider and named key
    exists (raising :class:`ConfigError`); :meth:`for_namespace` applies the
    namespace access rule (raising :class:`ForbiddenError`).
    """

    def __init__(self, policy: TrustPolicy, providers: KeyProviders, *, base_dir: Path | None = None) -> None:
        self._policy = policy
        self._providers = providers
        self._files: dict[int, ResolvedKey] = {}
        self._cache: dict[str | None, tuple[ResolvedKey, ...]] = {}
        count = 0
        for index, ref in enumerate(policy.keys):
            if ref.file is not None:
                path = Path(ref.file)
                if not path.is_absolute() and base_dir is not None:
                    path = base_dir / path
                try:
                    key = read_key_file(path)
                except UnsupportedKeyError as exc:
                    raise UnsupportedKeyError(f"trust policy {policy.name!r}: {exc.reason}") from None
                self._files[index] = ResolvedKey(provider=FILE_PROVIDER, name=ref.file, version="", key=key)
                count += 1
                continue
            assert ref.provider is not None
            # Not get(): the namespace rule applies at verify time, per namespace.
            provider = providers.find(ref.provider)
            if provider is None:
                raise ConfigError(
                    f"trust policy {policy.name!r}: key management provider {ref.provider!r} is not defined",
                    remediation=f"known providers: {', '.join(providers.names()) or 'none'}",
                )
            count += len(_select(policy, ref, provider.keys()))
        if policy.threshold > count:
            raise ConfigError(
                f"trust policy {policy.name!r}: threshold {policy.threshold} asks for more signers than its "
                f"{count} key(s)",
                path="threshold",
            )

    def for_namespace(self, namespace: str | None) -> tuple[ResolvedKey, ...]:
        """The keys, in the policy's order, as a verifier for ``namespace`` may use them."""
        cached = self._cache.get(namespace)
        if cached is not None:
            return cached
        resolved: list[ResolvedKey] = []
        for index, ref in enumerate(self._policy.keys):
            if index in self._files:
                resolved.append(self._files[index])
                continue
            assert ref.provider is not None
            provider = self._providers.get(ref.provider, namespace=namespace)
            resolved.extend(
                ResolvedKey(provider=ref.provider, name=k.name, version=k.version, key=k.key)
                for k in _select(self._policy, ref, provider.keys())
            )
        result = tuple(resolved)
        self._cache[namespace] = result
        return result
