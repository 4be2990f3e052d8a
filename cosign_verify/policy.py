"""Trust policies: which keys or keyless identities are trusted for which scopes.

``TrustPolicy.from_dict`` takes Ratify's camelCase trust-policy dictionary and
validates it in Ratify's order; the attrs classes validate again when built
directly, so no invalid policy can exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from ._internal.fields import (
    build,
    compile_pattern,
    empty_to_none,
    expect_mapping,
    optional_bool,
    optional_str,
    pairs,
    reject_unknown,
    str_list,
    str_map,
)
from ._internal.fulcio_claims import GITHUB_WORKFLOW_CLAIMS, Claim, claims
from .errors import ConfigError

if TYPE_CHECKING:
    from .reference import Reference

TRUST_POLICY_VERSION = "1.0.0"
DEFAULT_REKOR_URL = "https://rekor.sigstore.dev"


def _scopes(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _keys(values: Iterable[KeyRef]) -> tuple[KeyRef, ...]:
    return tuple(values)


@attrs.frozen(kw_only=True)
class KeyRef:
    """One trusted-key entry of a trust policy: a ``file``, or a ``provider`` (+ ``name``, ``version``)."""

    provider: str | None = attrs.field(default=None, converter=empty_to_none)
    name: str | None = attrs.field(default=None, converter=empty_to_none)
    version: str | None = attrs.field(default=None, converter=empty_to_none)
    file: str | None = attrs.field(default=None, converter=empty_to_none)

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

    certificate_identity: str | None = attrs.field(default=None, converter=empty_to_none)
    certificate_identity_regexp: str | None = attrs.field(default=None, converter=empty_to_none)
    certificate_oidc_issuer: str | None = attrs.field(default=None, converter=empty_to_none)
    certificate_oidc_issuer_regexp: str | None = attrs.field(default=None, converter=empty_to_none)
    ct_log_verify: bool = True
    certificate_extensions: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=pairs)

    def __attrs_post_init__(self) -> None:
        self.validate()

    @property
    def claims(self) -> tuple[Claim, ...]:
        """The certificate extensions required, by OID (cosign's GitHub names and Fulcio's names resolved)."""
        return claims(self.certificate_extensions)

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
        compile_pattern(self.certificate_identity_regexp, "certificateIdentityRegExp")
        compile_pattern(self.certificate_oidc_issuer_regexp, "certificateOIDCIssuerRegExp")
        self.claims  # noqa: B018 - unknown extension names are configuration errors

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
        extensions = dict(self.certificate_extensions)
        out.update({name: extensions.pop(name) for name in GITHUB_WORKFLOW_CLAIMS if name in extensions})
        if extensions:
            out["certificateExtensions"] = extensions
        return out


@attrs.frozen(kw_only=True)
class TrustPolicy:
    """A named set of scopes and the keys or keyless identity trusted for them.

    Our extensions to Ratify's fields:

    - ``trusted_root`` (``trustedRoot``): the path of a Sigstore
      ``trusted_root.json`` for this policy; unset, the verifier's default is
      used (Sigstore's public-good root unless configured otherwise).
    - ``annotations``: a signature counts only if its payload's ``optional``
      section carries every one of these (``cosign verify -a key=value``).
    - ``threshold``: at least this many distinct trusted keys (or distinct
      certificate identities) must each have a valid signature (default 1),
      counted across all of a subject's signatures by :class:`Executor`
      (one verifier report sees one referrer only, and does not apply it).
    - ``signature_repository`` (``signatureRepository``): the repository
      holding the subject's signatures (cosign's ``COSIGN_REPOSITORY``); the
      subject stays bound by its digest.
    """

    name: str
    scopes: tuple[str, ...] = attrs.field(converter=_scopes)
    keys: tuple[KeyRef, ...] = attrs.field(default=(), converter=_keys)
    keyless: Keyless | None = None
    tlog_verify: bool = True
    rekor_url: str = DEFAULT_REKOR_URL
    version: str = TRUST_POLICY_VERSION
    trusted_root: str | None = None
    annotations: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=pairs)
    threshold: int = 1
    signature_repository: str | None = None

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
        self._validate_extensions()

    def _validate_extensions(self) -> None:
        if isinstance(self.threshold, bool) or not isinstance(self.threshold, int) or self.threshold < 1:
            raise ConfigError(f"trust policy {self.name!r}: threshold must be 1 or more", path="threshold")
        expands = any(ref.file is None and ref.name is None for ref in self.keys)  # all of a provider's keys
        if self.keys and not expands and self.threshold > len(self.keys):
            raise ConfigError(
                f"trust policy {self.name!r}: threshold {self.threshold} asks for more signers than its "
                f"{len(self.keys)} key(s)",
                path="threshold",
            )
        if self.signature_repository is not None:
            signature_repository(self.signature_repository, f"trust policy {self.name!r}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, path: str = "trustPolicy") -> TrustPolicy:
        """Build a policy from Ratify's camelCase dictionary; unknown keys are an error.

        ``path`` prefixes the JSON path in error messages.
        """
        expect_mapping(data, path)
        reject_unknown(data, _POLICY_FIELDS, path)
        version = data.get("version") or TRUST_POLICY_VERSION
        if version != TRUST_POLICY_VERSION:
            raise ConfigError(
                f"unsupported trust policy version {version!r}",
                path=f"{path}.version",
                remediation=f"use version {TRUST_POLICY_VERSION!r} or leave it out",
            )
        name = optional_str(data, "name", path)
        if not name:
            raise ConfigError("name parameter is required", path=f"{path}.name")
        scopes = str_list(data.get("scopes"), f"{path}.scopes")

        keys = _keys_from(data.get("keys") or [], f"{path}.keys")
        keyless_data = data.get("keyless")
        keyless = _keyless_from(keyless_data, f"{path}.keyless", name) if keyless_data is not None else None

        policy: TrustPolicy = build(
            cls,
            path,
            name=name,
            version=version,
            scopes=scopes,
            keys=keys,
            keyless=keyless,
            tlog_verify=optional_bool(data, "tLogVerify", path, True),
            rekor_url=optional_str(data, "rekorURL", path) or DEFAULT_REKOR_URL,
            trusted_root=optional_str(data, "trustedRoot", path) or None,
            annotations=str_map(data, "annotations", path),
            threshold=data.get("threshold", 1),
            signature_repository=optional_str(data, "signatureRepository", path) or None,
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
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        if self.threshold != 1:
            out["threshold"] = self.threshold
        if self.signature_repository is not None:
            out["signatureRepository"] = self.signature_repository
        return out


def signature_repository(text: str, owner: str) -> Reference:
    """The repository a ``signatureRepository`` names (no tag, no digest); :class:`ConfigError` otherwise."""
    from .errors import InvalidReferenceError
    from .reference import Reference

    try:
        reference: Reference | None = Reference.parse(f"{text}@sha256:{'0' * 64}")
    except InvalidReferenceError:
        reference = None
    if reference is None or reference.tag is not None:
        raise ConfigError(
            f"{owner}: signatureRepository {text!r} is not a repository (registry/path, no tag or digest)",
            path="signatureRepository",
        )
    return reference


_POLICY_FIELDS = (
    "name",
    "version",
    "scopes",
    "keys",
    "keyless",
    "tLogVerify",
    "rekorURL",
    "trustedRoot",
    "annotations",
    "threshold",
    "signatureRepository",
)
_KEY_FIELDS = ("provider", "name", "version", "file")
_KEYLESS_FIELDS = (
    "ctLogVerify",
    "certificateIdentity",
    "certificateIdentityRegExp",
    "certificateOIDCIssuer",
    "certificateOIDCIssuerRegExp",
    "certificateExtensions",
    *GITHUB_WORKFLOW_CLAIMS,
)


def _keys_from(keys_data: Any, path: str) -> list[KeyRef]:
    if not isinstance(keys_data, Sequence) or isinstance(keys_data, str):
        raise ConfigError("keys must be a list", path=path)
    keys = []
    for index, entry in enumerate(keys_data):
        key_path = f"{path}[{index}]"
        expect_mapping(entry, key_path)
        reject_unknown(entry, _KEY_FIELDS, key_path)
        fields = {f: optional_str(entry, f, key_path) for f in _KEY_FIELDS}
        keys.append(build(KeyRef, key_path, **fields))
    return keys


def _keyless_from(data: Any, path: str, policy: str) -> Keyless:
    expect_mapping(data, path)
    reject_unknown(data, _KEYLESS_FIELDS, path)
    try:
        return _keyless(data, path)
    except ConfigError as exc:
        raise ConfigError(
            f"trust policy {policy!r}: {exc.reason}", path=exc.path, remediation=exc.remediation
        ) from None


def _keyless(data: Any, path: str) -> Keyless:
    keyless: Keyless = build(
        Keyless,
        path,
        certificate_identity=optional_str(data, "certificateIdentity", path),
        certificate_identity_regexp=optional_str(data, "certificateIdentityRegExp", path),
        certificate_oidc_issuer=optional_str(data, "certificateOIDCIssuer", path),
        certificate_oidc_issuer_regexp=optional_str(data, "certificateOIDCIssuerRegExp", path),
        ct_log_verify=optional_bool(data, "ctLogVerify", path, True),
        certificate_extensions=[
            *((name, value) for name in GITHUB_WORKFLOW_CLAIMS if (value := optional_str(data, name, path))),
            *str_map(data, "certificateExtensions", path),
        ],
    )
    return keyless
