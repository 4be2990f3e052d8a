"""Sigstore bundles (v0.1, v0.2, v0.3), parsed strictly from their protobuf-JSON form.

Zero-valued fields may be absent (protobuf-JSON omits them), so a missing
``logIndex`` means 0; 64-bit integers may be strings or numbers.
"""

from __future__ import annotations

from typing import Any

import attrs
from cryptography import x509

from .b64 import decode
from .failure import Failure, FailureReason
from .numbers import read_int
from .strict_json import loads_strict

BUNDLE_MEDIA_TYPES = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": (0, 1),
    "application/vnd.dev.sigstore.bundle+json;version=0.2": (0, 2),
    "application/vnd.dev.sigstore.bundle+json;version=0.3": (0, 3),
    "application/vnd.dev.sigstore.bundle.v0.3+json": (0, 3),
}
MAX_BUNDLE_SIZE = 8 << 20


def bundle_error(message: str, reason: FailureReason = FailureReason.MALFORMED) -> Failure:
    """A bundle that is malformed (or, with another ``reason``, does not verify)."""
    return Failure(reason, message)


def _b64(value: Any, what: str, *, empty_ok: bool = False) -> bytes:
    if value is None and empty_ok:
        return b""
    return decode(value, what)


def _int(value: Any, what: str) -> int:
    """A protobuf-JSON int64 (a number or a decimal string; absent means 0), from 0 to 2^63-1."""
    return 0 if value is None else read_int(value, what, bundle_error, strings=True)


def _string(value: Any, what: str) -> str:
    """A string field (absent or null: empty)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bundle_error(f"{what} must be a string")
    return value


def _list(value: Any, what: str) -> list[Any]:
    """A repeated field (absent or null: empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise bundle_error(f"{what} must be a list")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bundle_error(f"{what} must be an object")
    return value


@attrs.frozen(kw_only=True)
class InclusionProof:
    """A Merkle inclusion proof and the checkpoint it should agree with."""

    log_index: int
    root_hash: bytes
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str | None


@attrs.frozen(kw_only=True)
class TlogEntry:
    """One transparency-log entry of a bundle."""

    log_index: int
    log_id: bytes
    kind: str
    version: str
    integrated_time: int
    signed_entry_timestamp: bytes | None
    inclusion_proof: InclusionProof | None
    body: bytes = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class MessageSignature:
    """A signature over an artifact (its digest stated in the bundle)."""

    digest_algorithm: str
    digest: bytes
    signature: bytes


@attrs.frozen(kw_only=True)
class DsseEnvelope:
    """A DSSE envelope: its payload, type and (exactly one) signature."""

    payload: bytes = attrs.field(repr=False)
    payload_type: str
    signature: bytes


@attrs.frozen(kw_only=True)
class SigstoreBundle:
    """A parsed Sigstore bundle."""

    version: tuple[int, int]
    certificate: x509.Certificate | None = attrs.field(eq=False)
    intermediates: tuple[x509.Certificate, ...] = attrs.field(eq=False)
    public_key_hint: str | None
    tlog_entries: tuple[TlogEntry, ...]
    timestamps: tuple[bytes, ...]
    content: MessageSignature | DsseEnvelope

    @classmethod
    def from_json(cls, data: bytes | str) -> SigstoreBundle:
        """Parse a bundle; :class:`Failure` says what is malformed."""
        if len(data) > MAX_BUNDLE_SIZE:
            raise bundle_error(f"bundle is larger than {MAX_BUNDLE_SIZE} bytes", FailureReason.TOO_LARGE)
        document = _object(loads_strict(data, "bundle"), "bundle")
        media_type = document.get("mediaType")
        version = BUNDLE_MEDIA_TYPES.get(media_type) if isinstance(media_type, str) else None
        if version is None:
            raise bundle_error(f"unsupported bundle media type {media_type!r}")
        material = _object(document.get("verificationMaterial"), "verificationMaterial")
        certificate, intermediates, hint = _verification_material(material, version)
        entries = tuple(
            _tlog_entry(_object(entry, f"tlogEntries[{i}]"), f"tlogEntries[{i}]")
            for i, entry in enumerate(_list(material.get("tlogEntries"), "tlogEntries"))
        )
        timestamps = _timestamps(material.get("timestampVerificationData"))
        has_message, has_dsse = "messageSignature" in document, "dsseEnvelope" in document
        if has_message == has_dsse:
            raise bundle_error("bundle must hold exactly one of messageSignature and dsseEnvelope")
        content: MessageSignature | DsseEnvelope
        if has_message:
            message = _object(document["messageSignature"], "messageSignature")
            digest = message.get("messageDigest")
            digest = _object(digest, "messageSignature.messageDigest") if digest is not None else {}
            content = MessageSignature(
                digest_algorithm=_string(digest.get("algorithm"), "messageSignature.messageDigest.algorithm"),
                digest=_b64(digest.get("digest"), "messageSignature.messageDigest.digest", empty_ok=True),
                signature=_b64(message.get("signature"), "messageSignature.signature"),
            )
        else:
            envelope = _object(document["dsseEnvelope"], "dsseEnvelope")
            signatures = envelope.get("signatures")
            if not isinstance(signatures, list) or len(signatures) != 1:
                raise bundle_error("dsseEnvelope must carry exactly one signature")
            content = DsseEnvelope(
                payload=_b64(envelope.get("payload"), "dsseEnvelope.payload", empty_ok=True),
                payload_type=_string(envelope.get("payloadType"), "dsseEnvelope.payloadType"),
                signature=_b64(
                    _object(signatures[0], "dsseEnvelope.signatures[0]").get("sig"), "dsseEnvelope signature"
                ),
            )
        return cls(
            version=version,
            certificate=certificate,
            intermediates=intermediates,
            public_key_hint=hint,
            tlog_entries=entries,
            timestamps=timestamps,
            content=content,
        )


def _timestamps(data: Any) -> tuple[bytes, ...]:
    """The RFC 3161 timestamps of ``timestampVerificationData`` (absent or null: none)."""
    if data is None:
        return ()
    stamps = _list(_object(data, "timestampVerificationData").get("rfc3161Timestamps"), "rfc3161Timestamps")
    return tuple(
        _b64(
            _object(item, "rfc3161Timestamps[]").get("signedTimestamp"),
            f"rfc3161Timestamps[{i}].signedTimestamp",
        )
        for i, item in enumerate(stamps)
    )


def _certificate(raw: Any, what: str) -> x509.Certificate:
    data = _b64(_object(raw, what).get("rawBytes"), f"{what}.rawBytes")
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError as exc:
        raise bundle_error(f"{what} is not a DER certificate: {exc}") from None


def _verification_material(
    material: dict[str, Any], version: tuple[int, int]
) -> tuple[x509.Certificate | None, tuple[x509.Certificate, ...], str | None]:
    kinds = [k for k in ("x509CertificateChain", "certificate", "publicKey") if k in material]
    if len(kinds) != 1:
        raise bundle_error(
            "verificationMaterial must hold exactly one of certificate, x509CertificateChain and publicKey"
        )
    if "publicKey" in material:
        hint = _object(material["publicKey"], "publicKey").get("hint")
        return None, (), _string(hint, "publicKey.hint")
    if "certificate" in material:
        return _certificate(material["certificate"], "certificate"), (), None
    if version >= (0, 3):
        raise bundle_error("a v0.3 bundle carries a single certificate, not x509CertificateChain")
    chain = _object(material["x509CertificateChain"], "x509CertificateChain").get("certificates")
    if not isinstance(chain, list) or not chain:
        raise bundle_error("x509CertificateChain is empty")
    certificates = [_certificate(c, f"x509CertificateChain.certificates[{i}]") for i, c in enumerate(chain)]
    for certificate in certificates[1:]:
        if certificate.issuer == certificate.subject:
            raise bundle_error(
                "x509CertificateChain contains a root certificate; roots come from the trusted root only"
            )
    return certificates[0], tuple(certificates[1:]), None


def _tlog_entry(entry: dict[str, Any], where: str) -> TlogEntry:
    kind_version = _object(entry.get("kindVersion"), f"{where}.kindVersion")
    promise = entry.get("inclusionPromise")
    proof = entry.get("inclusionProof")
    inclusion: InclusionProof | None = None
    if proof is not None:
        proof = _object(proof, f"{where}.inclusionProof")
        checkpoint = proof.get("checkpoint")
        envelope = (
            _object(checkpoint, f"{where}.inclusionProof.checkpoint").get("envelope")
            if checkpoint is not None
            else None
        )
        hashes = _list(proof.get("hashes"), f"{where}.inclusionProof.hashes")
        inclusion = InclusionProof(
            log_index=_int(proof.get("logIndex"), f"{where}.inclusionProof.logIndex"),
            root_hash=_b64(proof.get("rootHash"), f"{where}.inclusionProof.rootHash"),
            tree_size=_int(proof.get("treeSize"), f"{where}.inclusionProof.treeSize"),
            hashes=tuple(_b64(h, f"{where}.inclusionProof.hashes[]") for h in hashes),
            checkpoint=_string(envelope, f"{where}.inclusionProof.checkpoint.envelope") or None,
        )
    return TlogEntry(
        log_index=_int(entry.get("logIndex"), f"{where}.logIndex"),
        log_id=_b64(_object(entry.get("logId"), f"{where}.logId").get("keyId"), f"{where}.logId.keyId"),
        kind=_string(kind_version.get("kind"), f"{where}.kindVersion.kind"),
        version=_string(kind_version.get("version"), f"{where}.kindVersion.version"),
        integrated_time=_int(entry.get("integratedTime"), f"{where}.integratedTime"),
        signed_entry_timestamp=(
            _b64(
                _object(promise, f"{where}.inclusionPromise").get("signedEntryTimestamp"),
                f"{where}.signedEntryTimestamp",
            )
            if promise
            else None
        ),
        inclusion_proof=inclusion,
        body=_b64(entry.get("canonicalizedBody"), f"{where}.canonicalizedBody"),
    )
