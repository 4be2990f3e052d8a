"""RFC 3161 timestamps, on real timestamps from the Sigstore conformance assets."""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime, timezone

import pytest

from cosign_verify import FailureReason, TrustedRoot
from cosign_verify._internal.timestamp import decode_cosign_timestamp, verify_timestamp

from .conftest import ROOT, fails_with

INVALID = FailureReason.TIMESTAMP_INVALID

CASES = ROOT.parent / "shared" / "vectors" / "sigstore-conformance" / "bundle-verify"
if not CASES.is_dir():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"{CASES} is missing; CI must run these tests")
    pytest.skip("../shared/vectors is not present (a user's clone)", allow_module_level=True)


def material(case: str) -> tuple[bytes, bytes, TrustedRoot]:
    bundle = json.loads((CASES / case / "bundle.sigstore.json").read_text())
    stamp = bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0][
        "signedTimestamp"
    ]
    signature = bundle["dsseEnvelope"]["signatures"][0]["sig"]
    return (
        base64.b64decode(stamp),
        base64.b64decode(signature),
        TrustedRoot.from_file(CASES / case / "trusted_root.json"),
    )


def test_real_timestamp_verifies() -> None:
    stamp, signature, root = material("intoto-with-custom-trust-root")
    assert verify_timestamp(stamp, signature, root) == datetime(2023, 2, 1, tzinfo=timezone.utc)


def test_timestamp_over_another_message_fails() -> None:
    stamp, signature, root = material("intoto-with-custom-trust-root")
    with fails_with(INVALID, "not from a trusted timestamp authority"):
        verify_timestamp(stamp, signature + b"x", root)


def test_timestamp_from_an_untrusted_tsa_fails() -> None:
    stamp, signature, _ = material("intoto-with-custom-trust-root")
    with fails_with(INVALID, r"none configured|not from a trusted"):
        verify_timestamp(stamp, signature, TrustedRoot())
    with fails_with(INVALID):
        verify_timestamp(stamp, signature, TrustedRoot.public_good())


def test_corrupted_timestamp_fails() -> None:
    stamp, signature, root = material("intoto-with-custom-trust-root")
    broken = bytearray(stamp)
    broken[len(broken) // 2] ^= 0xFF
    with fails_with(INVALID):
        verify_timestamp(bytes(broken), signature, root)
    with fails_with(INVALID, "cannot be parsed"):
        verify_timestamp(b"not der", signature, root)


def test_cosign_annotation_form() -> None:
    stamp, _, _ = material("intoto-with-custom-trust-root")
    annotation = json.dumps({"SignedRFC3161Timestamp": base64.b64encode(stamp).decode()})
    assert decode_cosign_timestamp(annotation) == stamp
    with fails_with(INVALID, "SignedRFC3161Timestamp"):
        decode_cosign_timestamp('{"other": 1}')
