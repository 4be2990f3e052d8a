"""RFC 3161 timestamps, verified against the trusted root's timestamp authorities.

Parsing and verifying the CMS structure is done by ``rfc3161-client``
(installed with ``sigstore``), imported only when a timestamp is present.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from ..trusted_root import TrustedRoot
from .failure import Failure, FailureReason
from .strict_json import loads_strict


def _invalid(message: str) -> Failure:
    return Failure(FailureReason.TIMESTAMP_INVALID, message)


def decode_cosign_timestamp(annotation: str) -> bytes:
    """The DER timestamp response in cosign's ``dev.sigstore.cosign/rfc3161timestamp`` annotation."""
    try:
        document = loads_strict(annotation, "rfc3161timestamp annotation")
        encoded = document["SignedRFC3161Timestamp"]
        return base64.b64decode(encoded, validate=True)
    except (Failure, KeyError, TypeError, ValueError, binascii.Error):
        raise _invalid(
            "rfc3161timestamp annotation is not cosign's {SignedRFC3161Timestamp: base64} form"
        ) from None


def verify_timestamp(response_der: bytes, message: bytes, trusted_root: TrustedRoot) -> datetime:
    """Verify a timestamp over ``message`` with a TSA of ``trusted_root``; returns the time it states.

    The TSA's validity period is inclusive at both ends.
    """
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(response_der)
    except (ValueError, TypeError) as exc:
        raise _invalid(f"RFC 3161 timestamp cannot be parsed: {exc}") from None
    gen_time = response.tst_info.gen_time
    if gen_time.tzinfo is None:
        gen_time = gen_time.replace(tzinfo=timezone.utc)
    reasons = []
    for authority in trusted_root.timestamp_authorities:
        chain = authority.certificates
        if len(chain) < 2:
            reasons.append(f"TSA {authority.subject}: chain is incomplete")
            continue
        builder = VerifierBuilder().tsa_certificate(chain[0]).add_root_certificate(chain[-1])
        for certificate in chain[1:-1]:
            builder = builder.add_intermediate_certificate(certificate)
        try:
            builder.build().verify_message(response, message)
        except VerificationError as exc:
            reasons.append(f"TSA {authority.subject}: {exc}")
            continue
        if not authority.validity.contains(gen_time):
            reasons.append(f"TSA {authority.subject} was not valid at {gen_time.isoformat()}")
            continue
        return gen_time
    raise _invalid(
        "RFC 3161 timestamp is not from a trusted timestamp authority: "
        + "; ".join(reasons or ["none configured"])
    )
