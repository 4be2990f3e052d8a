"""Embedded SCTs (RFC 6962 §3.2): the CT log's promise to log the precertificate.

``sigstore`` checks SCTs only in ``sigstore._internal``, which is not API,
so the check is written here against ``cryptography``: rebuild the signed
structure from the certificate's TBS without the SCT list and the issuer's
key hash, and verify it with the CT log key the SCT names.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime, timedelta, timezone

from cryptography import x509

from ..trusted_root import TrustedRoot
from .crypto import spki_der, verify
from .failure import Failure, FailureReason

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _signed_data(
    sct: x509.certificate_transparency.SignedCertificateTimestamp,
    cert: x509.Certificate,
    issuer: x509.Certificate,
) -> bytes:
    issuer_key_hash = hashlib.sha256(spki_der(issuer.public_key())).digest()  # type: ignore[arg-type]
    tbs = cert.tbs_precertificate_bytes
    moment = sct.timestamp if sct.timestamp.tzinfo else sct.timestamp.replace(tzinfo=timezone.utc)
    timestamp_ms = (moment - _EPOCH) // timedelta(milliseconds=1)
    extensions = sct.extension_bytes
    return (
        struct.pack(">BBQH", 0, 0, timestamp_ms, 1)
        + issuer_key_hash
        + len(tbs).to_bytes(3, "big")
        + tbs
        + struct.pack(">H", len(extensions))
        + extensions
    )


def verify_embedded_sct(cert: x509.Certificate, issuer: x509.Certificate, trusted_root: TrustedRoot) -> str:
    """Verify one embedded SCT with a CT log key of ``trusted_root``; returns the log id (hex).

    Raises :class:`Failure` when there is no SCT, no known log, or no valid signature.
    """
    try:
        scts = cert.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps).value
    except x509.ExtensionNotFound:
        raise Failure(
            FailureReason.SCT_INVALID, "certificate has no embedded SCT (ctLogVerify is on)"
        ) from None
    reasons = []
    for sct in scts:
        log = trusted_root.ctlog(sct.log_id)
        if log is None:
            reasons.append(f"SCT from unknown CT log {sct.log_id.hex()[:16]}")
            continue
        if verify(log.key, sct.signature, _signed_data(sct, cert, issuer)) is None:
            reasons.append(f"SCT signature from CT log {sct.log_id.hex()[:16]} does not verify")
            continue
        logged = sct.timestamp.replace(tzinfo=timezone.utc)
        if not log.validity.contains(logged):
            reasons.append(f"CT log {sct.log_id.hex()[:16]}'s key was not valid at {logged.isoformat()}")
            continue
        return str(sct.log_id.hex())
    raise Failure(
        FailureReason.SCT_INVALID, "no valid SCT: " + "; ".join(reasons or ["the SCT list is empty"])
    )
