"""Key providers: where trusted public keys come from, and who may use them.

A provider has a name and returns its keys, each with a name and a version.
Providers are registered in :class:`KeyProviders` under a cluster-wide name
(``kp``) or a namespaced one (``ns1/kp``); a verifier working for namespace
``N`` may use ``N/...`` providers and cluster-wide ones, nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

from .._internal.files import MAX_KEY_FILE, is_regular_file, read_regular_file
from ..errors import ConfigError, ForbiddenError, UnsupportedKeyError
from .loading import PublicKey, load_public_key, load_public_keys

KEY_FILE_SUFFIXES = (".pub", ".pem")


@attrs.frozen(kw_only=True)
class TrustedKey:
    """One public key of a provider. ``version`` is ``""`` for unversioned keys."""

    name: str
    key: PublicKey = attrs.field(eq=False, repr=False)
    version: str = ""


@runtime_checkable
class KeyProvider(Protocol):
    """Anything with a ``name`` that can list its public keys.

    ``keys()`` returns every key, all versions, each key's versions oldest
    first (the last one is the latest).
    """

    @property
    def name(self) -> str: ...

    def keys(self) -> Sequence[TrustedKey]: ...


class InlineKeyProvider:
    """Keys given as PEM strings (Ratify's ``inline`` key management provider).

    ``value`` is either one PEM string (public keys or certificates, per
    ``content_type``), whose blocks become keys named after the provider (a
    single block) or ``<provider>-<index>``; or a mapping of key name to a PEM
    string, or to a mapping of version to PEM string (oldest first).
    """

    def __init__(
        self,
        name: str,
        value: str | Mapping[str, str | Mapping[str, str]],
        *,
        content_type: str = "key",
    ) -> None:
        if content_type not in ("key", "certificate"):
            raise ConfigError(f"key provider {name!r}: contentType must be 'key' or 'certificate'")
        self._name = name
        expected = "CERTIFICATE" if content_type == "certificate" else "PUBLIC KEY"
        keys: list[TrustedKey] = []
        if isinstance(value, str):
            _check_labels(value, expected, name)
            loaded = load_public_keys(value, source=f"key provider {name!r}")
            for index, key in enumerate(loaded):
                keys.append(TrustedKey(name=name if len(loaded) == 1 else f"{name}-{index}", key=key))
        else:
            for key_name, entry in value.items():
                versions = {"": entry} if isinstance(entry, str) else dict(entry)
                for version, pem in versions.items():
                    source = f"key provider {name!r} key {key_name!r}" + (
                        f" version {version!r}" if version else ""
                    )
                    _check_labels(pem, expected, source)
                    keys.append(
                        TrustedKey(name=key_name, version=version, key=load_public_key(pem, source=source))
                    )
        if not keys:
            raise ConfigError(f"key provider {name!r} has no keys")
        self._keys = tuple(keys)

    @property
    def name(self) -> str:
        """The provider's name."""
        return self._name

    def keys(self) -> Sequence[TrustedKey]:
        """Every key of this provider."""
        return self._keys


class FileKeyProvider:
    """Keys read from one PEM file, or from every ``.pub``/``.pem`` file of a directory.

    Each key is named after its file's stem (``team-a.pub`` -> ``team-a``).
    Files are read once, when the provider is created.
    """

    def __init__(self, name: str, path: str | Path) -> None:
        self._name = name
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in KEY_FILE_SUFFIXES and is_regular_file(p))
            if not files:
                raise ConfigError(f"key provider {name!r}: no .pub or .pem files in {str(path)!r}")
        elif path.is_file():
            files = [path]
        else:
            raise ConfigError(f"key provider {name!r}: {str(path)!r} does not exist")
        self._keys = tuple(TrustedKey(name=f.stem, key=read_key_file(f)) for f in files)

    @property
    def name(self) -> str:
        """The provider's name."""
        return self._name

    def keys(self) -> Sequence[TrustedKey]:
        """Every key of this provider."""
        return self._keys


def read_key_file(path: Path) -> PublicKey:
    """Load the one public key (or certificate) in a PEM file."""
    try:
        data = read_regular_file(path, MAX_KEY_FILE, "key file")
    except ConfigError as exc:
        raise UnsupportedKeyError(exc.reason) from None
    return load_public_key(data, source=f"key file {str(path)!r}")


def _check_labels(pem: str, expected: str, source: str) -> None:
    if expected == "CERTIFICATE" and "BEGIN CERTIFICATE" not in pem:
        raise UnsupportedKeyError(f"{source}: contentType 'certificate' needs a PEM CERTIFICATE")
    if expected != "CERTIFICATE" and "BEGIN CERTIFICATE" in pem:
        raise UnsupportedKeyError(f"{source}: contentType 'key' needs PEM public keys, not certificates")


def split_namespace(name: str) -> tuple[str | None, str]:
    """``ns1/kp`` -> ``("ns1", "kp")``; ``kp`` -> ``(None, "kp")``."""
    namespace, sep, rest = name.partition("/")
    return (namespace, rest) if sep else (None, name)


class KeyProviders:
    """Key providers by name, with Ratify's namespace access rule."""

    def __init__(self, providers: Iterable[KeyProvider] = ()) -> None:
        self._providers: dict[str, KeyProvider] = {}
        for provider in providers:
            self.add(provider)

    def add(self, provider: KeyProvider, *, namespace: str | None = None) -> None:
        """Register ``provider``; with ``namespace`` it is known as ``namespace/name``."""
        full = f"{namespace}/{provider.name}" if namespace else provider.name
        ns, bare = split_namespace(full)
        if not bare or (ns is not None and (not ns or "/" in bare)):
            raise ConfigError(f"invalid key provider name {full!r} (use 'name' or 'namespace/name')")
        if full in self._providers:
            raise ConfigError(f"key provider {full!r} is registered twice")
        self._providers[full] = provider

    def __contains__(self, name: object) -> bool:
        return name in self._providers

    def find(self, name: str) -> KeyProvider | None:
        """The provider registered as ``name``, ignoring the namespace rule (for validation only)."""
        return self._providers.get(name)

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._providers)

    def get(self, name: str, *, namespace: str | None = None) -> KeyProvider:
        """The provider ``name`` as seen from ``namespace`` (None: a cluster-wide verifier).

        Raises :class:`ForbiddenError` for another namespace's provider and
        :class:`ConfigError` for an unknown one.
        """
        owner, _ = split_namespace(name)
        if owner is not None and owner != namespace:
            where = f"namespace {namespace!r}" if namespace else "a cluster-wide verifier"
            raise ForbiddenError(
                f"{where} may not use key management provider {name!r}: it belongs to namespace {owner!r}",
                remediation=f"use a cluster-wide provider or one in namespace {namespace!r}"
                if namespace
                else "use a cluster-wide provider",
            )
        try:
            return self._providers[name]
        except KeyError:
            raise ConfigError(
                f"key management provider {name!r} is not defined",
                remediation=f"known providers: {', '.join(self.names()) or 'none'}",
            ) from None
