"""Fulcio certificate claims a keyless policy may require: GitHub workflow extensions and Fulcio's current ones.

Fulcio records facts about the signer's workload as X.509 extensions under
``1.3.6.1.4.1.57264.1``: the deprecated GitHub workflow ones (``.2`` to ``.6``,
the value's raw UTF-8 bytes) and the current ones (``.8`` to ``.22``, each a DER
UTF8String). A policy names them as cosign's flags do
(``certificateGithubWorkflowRef``), by Fulcio's field names in lowerCamel
case as sigstore-go's JSON spells them (``sourceRepositoryRef``), or by
dotted OID (``.23`` and ``.24``, which have no such name yet); values
compare exactly.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

import attrs
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from ..errors import ConfigError
from .failure import Failure, FailureReason

FULCIO_ARC = "1.3.6.1.4.1.57264.1"
# cosign's flag names for the deprecated GitHub workflow extensions (raw UTF-8 values).
GITHUB_WORKFLOW_CLAIMS = {
    "certificateGithubWorkflowTrigger": f"{FULCIO_ARC}.2",
    "certificateGithubWorkflowSha": f"{FULCIO_ARC}.3",
    "certificateGithubWorkflowName": f"{FULCIO_ARC}.4",
    "certificateGithubWorkflowRepository": f"{FULCIO_ARC}.5",
    "certificateGithubWorkflowRef": f"{FULCIO_ARC}.6",
}
# Fulcio's current extensions by sigstore-go's JSON names (DER UTF8String values).
FULCIO_EXTENSIONS = {
    "issuer": f"{FULCIO_ARC}.8",
    "buildSignerURI": f"{FULCIO_ARC}.9",
    "buildSignerDigest": f"{FULCIO_ARC}.10",
    "runnerEnvironment": f"{FULCIO_ARC}.11",
    "sourceRepositoryURI": f"{FULCIO_ARC}.12",
    "sourceRepositoryDigest": f"{FULCIO_ARC}.13",
    "sourceRepositoryRef": f"{FULCIO_ARC}.14",
    "sourceRepositoryIdentifier": f"{FULCIO_ARC}.15",
    "sourceRepositoryOwnerURI": f"{FULCIO_ARC}.16",
    "sourceRepositoryOwnerIdentifier": f"{FULCIO_ARC}.17",
    "buildConfigURI": f"{FULCIO_ARC}.18",
    "buildConfigDigest": f"{FULCIO_ARC}.19",
    "buildTrigger": f"{FULCIO_ARC}.20",
    "runInvocationURI": f"{FULCIO_ARC}.21",
    "sourceRepositoryVisibilityAtSigning": f"{FULCIO_ARC}.22",
}
_RAW_ARCS = {f"{FULCIO_ARC}.{n}" for n in range(1, 7)}
_NAMES = {oid: name for name, oid in {**GITHUB_WORKFLOW_CLAIMS, **FULCIO_EXTENSIONS}.items()}
_DOTTED = re.compile(r"[0-2](\.(0|[1-9][0-9]{0,9})){1,30}")


@attrs.frozen
class Claim:
    """One extension the certificate must carry, with exactly this value."""

    oid: str
    expected: str

    @property
    def name(self) -> str:
        """The claim as people write it: Fulcio's or cosign's name, else the OID."""
        return _NAMES.get(self.oid, self.oid)

    def check(self, certificate: x509.Certificate) -> str:
        """A summary line; :class:`Failure` when the extension is missing or holds another value."""
        try:
            extension = certificate.extensions.get_extension_for_oid(ObjectIdentifier(self.oid))
        except x509.ExtensionNotFound:
            raise Failure(
                FailureReason.CLAIM_MISMATCH, f"certificate has no {self.name} claim ({self.oid})"
            ) from None
        value = _decoded(self.oid, extension.value)
        if value != self.expected:
            shown = "an undecodable value" if value is None else repr(value)
            raise Failure(
                FailureReason.CLAIM_MISMATCH,
                f"certificate claim {self.name} is {shown}, not {self.expected!r}",
            )
        return f"certificate claim {self.name} is {self.expected!r}"


def _decoded(oid: str, value: object) -> str | None:
    if not isinstance(value, x509.UnrecognizedExtension):
        return None
    if oid in _RAW_ARCS:
        try:
            return value.value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return der_utf8(value.value)


def der_utf8(value: bytes) -> str | None:
    """Decode a DER UTF8String (tag 0x0c; its length in DER's one minimal form), or None."""
    if len(value) < 2 or value[0] != 0x0C:
        return None
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        encoded = value[2 : 2 + count]
        length, offset = int.from_bytes(encoded, "big"), 2 + count
        # not indefinite (0x80), no leading zero byte, and long form only where short cannot say it
        if count == 0 or len(encoded) != count or encoded[0] == 0 or length < 0x80:
            return None
    if offset + length != len(value):
        return None
    try:
        return value[offset:].decode("utf-8")
    except UnicodeDecodeError:
        return None


def claim_oid(name: str, path: str) -> str:
    """The OID a claim name stands for (a Fulcio or cosign name, or a dotted OID); :class:`ConfigError` if none."""
    if name in FULCIO_EXTENSIONS:
        return FULCIO_EXTENSIONS[name]
    if name in GITHUB_WORKFLOW_CLAIMS:
        return GITHUB_WORKFLOW_CLAIMS[name]
    if _DOTTED.fullmatch(name):
        return name
    close = difflib.get_close_matches(name, [*FULCIO_EXTENSIONS, *GITHUB_WORKFLOW_CLAIMS], n=1)
    raise ConfigError(
        f"unknown certificate extension {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
        path=path,
        remediation="use Fulcio's extension names (sourceRepositoryRef, buildSignerURI, ...) or a dotted OID",
    )


def claims(required: Iterable[tuple[str, str]]) -> tuple[Claim, ...]:
    """Claims from ``(name or OID, value)`` pairs, in a stable order; one OID named twice is an error."""
    found: dict[str, Claim] = {}
    for name, value in required:
        oid = claim_oid(name, f"certificateExtensions.{name}")
        if oid in found and found[oid].expected != value:
            raise ConfigError(f"certificate extension {name!r} ({oid}) is required with two values")
        found[oid] = Claim(oid, value)
    return tuple(sorted(found.values(), key=lambda claim: [int(part) for part in claim.oid.split(".")]))
