"""Trust policies: which keys or keyless identities are trusted for which scopes.

``TrustPolicy.from_dict`` takes Ratify's camelCase trust-policy dictionary and
validates it in Ratify's order; the attrs classes validate again when built
directly, so no invalid policy can exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from .errors import ConfigError

TRUST_POLICY_VERSION = "1.0.0"
DEFAULT_REKOR_URL = "https://rekor.sigstore.dev"


def _compile(pattern: str | None, field: str) -> None:
    if pattern is None:
        return
    from ._internal.regex import RegexError, compile_go

    try:
        compile_go(pattern)
    except RegexError as exc:
        raise ConfigError(
            f"{pattern!r} is not a regular expression RE2 (Go's regexp, as cosign uses) accepts: {exc}",
            path=field,
            remediation="write it in RE2 syntax: no lookarounds or backreferences",
        ) from None


def _empty_to_none(value: str | None) -> str | None:
    return value or None


def _scopes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _keys(values: Iterable[KeyRef]) -> tuple[KeyRef, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class KeyRef:
    """One trusted-key entry of a trust policy: a ``file``, or a ``provider`` (+ ``name``, ``version``)."""

    provider: str | None = attrs.field(default=None, converter=_empty_to_none)
    name: str | None = attrs.field(default=None, converter=_empty_to_none)
    version: str | None = attrs.field(default=None, converter=_empty_to_none)
    file: str | None = attrs.field(default=None, converter=_empty_to_none)

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` unless this entry is usable."""
        if self.provider is None and self.file is None:
            raise ConfigError("key provider or key file path must be specified")
        if self.provider is not None and self.file is not None:
            raise ConfigError("key provider and key file path cannot be specified together")
        if self.version is not None and self.name is None:
            raise ConfigError("key name must be specified if key version is specified")
        if self.file is not None and (self.name is not None or self.version is not None):
            raise ConfigError("key name and version apply only to a key provider, not a file")

    def to_dict(self) -> dict[str, str]:
        """Ratify's camelCase form, without unset fields."""
        fields = {"provider": self.provider, "name": self.name, "version": self.version, "file": self.file}
        return {k: v for k, v in fields.items() if v is not None}


@attrs.frozen(kw_only=True)
class Keyless:
    """The Fulcio identity a keyless trust policy accepts.

    Exactly one of ``certificate_identity`` / ``certificate_identity_regexp``
    and exactly one of ``certificate_oidc_issuer`` / ``certificate_oidc_issuer_regexp``.
    Regular expressions must match the whole value.
    """

    certificate_identity: str | None = attrs.field(default=None, converter=_empty_to_none)
    certificate_identity_regexp: str | None = attrs.field(default=None, converter=_empty_to_none)
    certificate_oidc_issuer: str | None = attrs.field(default=None, converter=_empty_to_none)
    certificate_oidc_issuer_regexp: str | None = attrs.field(default=None, converter=_empty_to_none)
    ct_log_verify: bool = True

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` unless the identity rules are complete."""
        if self.certificate_identity is None and self.certificate_identity_regexp is None:
            raise ConfigError("certificate identity or identity regex pattern is required")
        if self.certificate_oidc_issuer is None and self.certificate_oidc_issuer_regexp is None:
            raise ConfigError("certificate OIDC issuer or issuer regex pattern is required")
        if self.certificate_identity is not None and self.certificate_identity_regexp is not None:
            raise ConfigError(
                "only one of certificate identity or identity regex pattern should be specified"
            )
        if self.certificate_oidc_issuer is not None and self.certificate_oidc_issuer_regexp is not None:
            raise ConfigError(
                "only one of certificate OIDC issuer or issuer regex pattern should be specified"
            )
        _compile(self.certificate_identity_regexp, "certificateIdentityRegExp")
        _compile(self.certificate_oidc_issuer_regexp, "certificateOIDCIssuerRegExp")

    def to_dict(self) -> dict[str, Any]:
        """Ratify's camelCase form, without unset fields."""
        fields: dict[str, Any] = {
            "certificateIdentity": self.certificate_identity,
            "certificateIdentityRegExp": self.certificate_identity_regexp,
            "certificateOIDCIssuer": self.certificate_oidc_issuer,
            "certificateOIDCIssuerRegExp": self.certificate_oidc_issuer_regexp,
        }
        out = {k: v for k, v in fields.items() if v is not None}
        out["ctLogVerify"] = self.ct_log_verify
        return out


@attrs.frozen(kw_only=True)
class TrustPolicy:
    """A named set of scopes and the keys or keyless identity trusted for them.

    ``trusted_root`` (our extension, ``trustedRoot``) is the path of a Sigstore
    ``trusted_root.json`` for this policy; unset, the verifier's default is
    used (Sigstore's public-good root unless configured otherwise).
    """

    name: str
    scopes: tuple[str, ...] = attrs.field(converter=_scopes)
    keys: tuple[KeyRef, ...] = attrs.field(default=(), converter=_keys)
    keyless: Keyless | None = None
    tlog_verify: bool = True
    rekor_url: str = DEFAULT_REKOR_URL
    version: str = TRUST_POLICY_VERSION
    trusted_root: str | None = None

    def __attrs_post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` for the first rule this policy breaks, in Ratify's order."""
        if self.version != TRUST_POLICY_VERSION:
            raise ConfigError(
                f"unsupported trust policy version {self.version!r}",
                path="version",
                remediation=f"use version {TRUST_POLICY_VERSION!r} or leave it out",
            )
        if not self.name:
            raise ConfigError("name parameter is required", path="name")
        if not self.scopes:
            raise ConfigError(f"trust policy {self.name!r}: scopes parameter is required", path="scopes")
        if not self.keys and self.keyless is None:
            raise ConfigError(
                f"trust policy {self.name!r}: no keys defined and keyless section not configured"
            )
        if self.keys and self.keyless is not None:
            raise ConfigError(f"trust policy {self.name!r}: keys and keyless cannot be configured together")
        for index, key in enumerate(self.keys):
            try:
                key.validate()
            except ConfigError as exc:
                raise exc.under(f"keys[{index}]") from None
        if self.keyless is not None:
            try:
                self.keyless.validate()
            except ConfigError as exc:
                named = ConfigError(
                    f"trust policy {self.name!r}: {exc.reason}", path=exc.path, remediation=exc.remediation
                )
                raise named.under("keyless") from None
        if not self.rekor_url:
            raise ConfigError(f"trust policy {self.name!r}: rekorURL is empty", path="rekorURL")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "trustPolicy") -> TrustPolicy:
        """Build a policy from Ratify's camelCase dictionary; unknown keys are an error.

        ``path`` prefixes the JSON path in error messages.
        """
        _expect_mapping(data, path)
        _reject_unknown(data, _POLICY_FIELDS, path)
        version = data.get("version") or TRUST_POLICY_VERSION
        if version != TRUST_POLICY_VERSION:
            raise ConfigError(
                f"unsupported trust policy version {version!r}",
                path=f"{path}.version",
                remediation=f"use version {TRUST_POLICY_VERSION!r} or leave it out",
            )
        name = _optional_str(data, "name", path)
        if not name:
            raise ConfigError("name parameter is required", path=f"{path}.name")
        scopes = _str_list(data.get("scopes"), f"{path}.scopes")

        keys = _keys_from(data.get("keys") or [], f"{path}.keys")
        keyless_data = data.get("keyless")
        keyless = _keyless_from(keyless_data, f"{path}.keyless", name) if keyless_data is not None else None

        policy: TrustPolicy = _build(
            cls,
            path,
            name=name,
            version=version,
            scopes=scopes,
            keys=keys,
            keyless=keyless,
            tlog_verify=_optional_bool(data, "tLogVerify", path, True),
            rekor_url=_optional_str(data, "rekorURL", path) or DEFAULT_REKOR_URL,
            trusted_root=_optional_str(data, "trustedRoot", path) or None,
        )
        return policy

    def to_dict(self) -> dict[str, Any]:
        """Ratify's camelCase form (as it appears in reports' ``extensions.trustPolicy``)."""
        out: dict[str, Any] = {"name": self.name, "version": self.version, "scopes": list(self.scopes)}
        if self.keys:
            out["keys"] = [key.to_dict() for key in self.keys]
        if self.keyless is not None:
            out["keyless"] = self.keyless.to_dict()
        out["tLogVerify"] = self.tlog_verify
        out["rekorURL"] = self.rekor_url
        if self.trusted_root is not None:
            out["trustedRoot"] = self.trusted_root
        return out


_POLICY_FIELDS = ("name", "version", "scopes", "keys", "keyless", "tLogVerify", "rekorURL", "trustedRoot")
_KEY_FIELDS = ("provider", "name", "version", "file")
_KEYLESS_FIELDS = (
    "ctLogVerify",
    "certificateIdentity",
    "certificateIdentityRegExp",
    "certificateOIDCIssuer",
    "certificateOIDCIssuerRegExp",
)


def _keys_from(keys_data: Any, path: str) -> list[KeyRef]:
    if not isinstance(keys_data, Sequence) or isinstance(keys_data, str):
        raise ConfigError("keys must be a list", path=path)
    keys = []
    for index, entry in enumerate(keys_data):
        key_path = f"{path}[{index}]"
        _expect_mapping(entry, key_path)
        _reject_unknown(entry, _KEY_FIELDS, key_path)
        fields = {f: _optional_str(entry, f, key_path) for f in _KEY_FIELDS}
        keys.append(_build(KeyRef, key_path, **fields))
    return keys


def _keyless_from(data: Any, path: str, policy: str) -> Keyless:
    _expect_mapping(data, path)
    _reject_unknown(data, _KEYLESS_FIELDS, path)
    try:
        return _keyless(data, path)
    except ConfigError as exc:
        raise ConfigError(
            f"trust policy {policy!r}: {exc.reason}", path=exc.path, remediation=exc.remediation
        ) from None


def _keyless(data: Any, path: str) -> Keyless:
    keyless: Keyless = _build(
        Keyless,
        path,
        certificate_identity=_optional_str(data, "certificateIdentity", path),
        certificate_identity_regexp=_optional_str(data, "certificateIdentityRegExp", path),
        certificate_oidc_issuer=_optional_str(data, "certificateOIDCIssuer", path),
        certificate_oidc_issuer_regexp=_optional_str(data, "certificateOIDCIssuerRegExp", path),
        ct_log_verify=_optional_bool(data, "ctLogVerify", path, True),
    )
    return keyless


def _build(cls: Any, path: str, **kwargs: Any) -> Any:
    """Construct ``cls``; its validation errors get their path placed under ``path``."""
    try:
        return cls(**kwargs)
    except ConfigError as exc:
        raise exc.under(path) from None


def _expect_mapping(value: object, path: str) -> None:
    if not isinstance(value, Mapping):
        raise ConfigError(f"expected an object, got {type(value).__name__}", path=path)


def _reject_unknown(data: Mapping[str, Any], known: Sequence[str], path: str) -> None:
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(
            f"unknown field(s) {', '.join(map(repr, unknown))}",
            path=path,
            remediation=f"known fields are {', '.join(known)}",
        )


def _optional_str(data: Mapping[str, Any], key: str, path: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(f"expected a string, got {type(value).__name__}", path=f"{path}.{key}")


def _optional_bool(data: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
    value = data.get(key, default)
    if isinstance(value, bool):
        return value
    raise ConfigError(f"expected true or false, got {value!r}", path=f"{path}.{key}")


def _str_list(value: object, path: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ConfigError(f"expected a list of strings, got {type(value).__name__}", path=path)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ConfigError(f"expected a string, got {type(item).__name__}", path=f"{path}[{index}]")
    return list(value)
