"""FakeSigstore's material is real Sigstore material: sigstore-python's own verifier accepts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from cosign_verify.testing import FakeSigstore, sign_bytes


def test_sigstore_python_verifies_fake_sigstore_material(tmp_path: Path) -> None:
    from sigstore.errors import VerificationError
    from sigstore.models import Bundle, TrustedRoot
    from sigstore.verify import Verifier
    from sigstore.verify.policy import Identity

    fake = FakeSigstore()
    payload = b'{"critical":{"type":"cosign container image signature"}}'
    certificate, key = fake.issue("signer@example.com", "https://issuer.example")
    signature = sign_bytes(key, payload)
    record = fake.log(payload, signature, certificate.public_bytes(serialization.Encoding.PEM))
    for _ in range(4):
        fake.log(b"other", b"sig", certificate.public_bytes(serialization.Encoding.PEM))
    bundle = Bundle.from_json(json.dumps(fake.sigstore_bundle(payload, signature, certificate, record)))
    verifier = Verifier(
        trusted_root=TrustedRoot.from_file(str(fake.write_trusted_root(tmp_path / "root.json")))
    )
    verifier.verify_artifact(
        payload, bundle, Identity(identity="signer@example.com", issuer="https://issuer.example")
    )
    with pytest.raises(VerificationError):
        verifier.verify_artifact(
            payload + b" ", bundle, Identity(identity="signer@example.com", issuer="https://issuer.example")
        )
    with pytest.raises(VerificationError):
        verifier.verify_artifact(
            payload, bundle, Identity(identity="other@example.com", issuer="https://issuer.example")
        )
