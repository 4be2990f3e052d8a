"""Fulcio certificates: chain to the trusted root at the signing time, identity and issuer.

Chain building uses ``cryptography``'s public X.509 verification API with
the web-PKI extension policies, except that the extended key usage is
checked here (Fulcio issues code-signing certificates, not client-auth).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from ..trusted_root import TrustedRoot
from .failure import Failure, FailureReason
from .fulcio_claims import Claim, der_utf8
from .regex import compile_go

OID_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OID_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
OID_OTHERNAME_USERNAME = ObjectIdentifier("1.3.6.1.4.1.57264.1.7")


def _invalid(message: str) -> Failure:
    return Failure(FailureReason.CERTIFICATE_INVALID, message)


def _mismatch(message: str) -> Failure:
    return Failure(FailureReason.IDENTITY_MISMATCH, message)


def load_certificates(pem: bytes, what: str) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle (at least one)."""
    try:
        certificates = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise Failure(FailureReason.MALFORMED, f"{what} is not a PEM certificate: {exc}") from None
    if not certificates:
        raise Failure(FailureReason.MALFORMED, f"{what} holds no certificate")
    return certificates


def fulcio_issuer(certificate: x509.Certificate) -> str | None:
    """The OIDC issuer Fulcio recorded (1.3.6.1.4.1.57264.1.8, else the deprecated .1.1); None when
    .8 is there but not a DER UTF8String (never .1.1 in its place)."""
    extensions = {e.oid: e.value for e in certificate.extensions}
    if OID_ISSUER_V2 in extensions:
        v2 = extensions[OID_ISSUER_V2]
        return der_utf8(v2.value) if isinstance(v2, x509.UnrecognizedExtension) else None
    v1 = extensions.get(OID_ISSUER_V1)
    if isinstance(v1, x509.UnrecognizedExtension):
        try:
            return v1.value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def san_values(certificate: x509.Certificate) -> list[str]:
    """The subject alternative names Fulcio issues: emails, URIs, DNS names, and its username otherName."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    values: list[str] = []
    values += san.get_values_for_type(x509.RFC822Name)
    values += san.get_values_for_type(x509.UniformResourceIdentifier)
    values += san.get_values_for_type(x509.DNSName)
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id == OID_OTHERNAME_USERNAME:
            decoded = der_utf8(other.value)
            if decoded is not None:
                values.append(decoded)
    return values


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trusted_root: TrustedRoot,
    at: datetime,
) -> list[x509.Certificate]:
    """Chain ``leaf`` to a Fulcio CA of ``trusted_root`` valid at ``at``; returns the chain above the leaf.

    Raises :class:`Failure` naming the reason (no CA valid then,
    expired certificate, unknown issuer, missing code-signing usage).
    """
    from cryptography.x509.verification import (
        Criticality,
        ExtensionPolicy,
        PolicyBuilder,
        Store,
        VerificationError,
    )

    if not (leaf.not_valid_before_utc <= at <= leaf.not_valid_after_utc):
        raise _invalid(
            f"certificate was not valid at the signing time {at.isoformat()} "
            f"(valid {leaf.not_valid_before_utc.isoformat()} to {leaf.not_valid_after_utc.isoformat()})"
        )
    anchors = [
        cert
        for ca in trusted_root.certificate_authorities
        if ca.validity.contains(at)
        for cert in ca.certificates
    ]
    if not anchors:
        raise _invalid(f"no Fulcio CA of trusted root {trusted_root.source} was valid at {at.isoformat()}")
    ee_policy = ExtensionPolicy.webpki_defaults_ee().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    ca_policy = ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.NON_CRITICAL, None
    )
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(at)
        .extension_policies(ca_policy=ca_policy, ee_policy=ee_policy)
        .build_client_verifier()
    )
    try:
        chain = verifier.verify(leaf, list(intermediates)).chain
    except (VerificationError, ValueError) as exc:  # ValueError: unsupported SAN types and the like
        raise _invalid(f"certificate does not chain to a trusted Fulcio CA: {exc}") from None
    try:
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        raise _invalid(
            "certificate has no extended key usage (Fulcio certificates are for code signing)"
        ) from None
    if ExtendedKeyUsageOID.CODE_SIGNING not in usages:
        raise _invalid("certificate is not for code signing (no codeSigning extended key usage)")
    return list(chain[1:])


@attrs.frozen
class ExactMatch:
    """Matches one value exactly."""

    expected: str

    def matches(self, value: str) -> bool:
        return value == self.expected

    def __str__(self) -> str:
        return repr(self.expected)


@attrs.frozen
class RegexMatch:
    """Matches a value the RE2 regular expression matches *whole* (cosign searches; we fail closed)."""

    pattern: str
    _compiled: Any = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_compiled", compile_go(self.pattern))

    def matches(self, value: str) -> bool:
        return self._compiled.fullmatch(value) is not None

    def __str__(self) -> str:
        return f"/{self.pattern}/ (whole value)"


Matcher = ExactMatch | RegexMatch


@attrs.frozen
class IdentityPolicy:
    """A certificate identity (one SAN value) and OIDC issuer rule, both required to match."""

    identity: Matcher
    issuer: Matcher
    claims: tuple[Claim, ...] = ()

    def check(self, certificate: x509.Certificate) -> list[str]:
        """Summary lines; :class:`Failure` when the identity, the issuer or a required claim does not match."""
        matched, issuer = self._identity(certificate)
        lines = [f"identity {matched!r} matched {self.identity}; issuer {issuer!r} matched {self.issuer}"]
        return lines + [claim.check(certificate) for claim in self.claims]

    def signer(self, certificate: x509.Certificate) -> str:
        """Who signed, for thresholds: the matched identity and its issuer."""
        matched, issuer = self._identity(certificate)
        return f"identity {matched!r} (issuer {issuer!r})"

    def _identity(self, certificate: x509.Certificate) -> tuple[str, str]:
        issuer = fulcio_issuer(certificate)
        if issuer is None:
            raise _mismatch("certificate has no Fulcio OIDC issuer extension")
        if not self.issuer.matches(issuer):
            raise _mismatch(f"certificate issuer {issuer!r} does not match {self.issuer}")
        sans = san_values(certificate)
        for value in sans:
            if self.identity.matches(value):
                return value, issuer
        shown = ", ".join(repr(v) for v in sans) or "none"
        raise _mismatch(f"certificate identity ({shown}) does not match {self.identity}")
