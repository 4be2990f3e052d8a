"""Keyless verification per signature, beside sigstore-python's verification of the same material.

FakeSigstore issues one certificate (with SCT), signs one payload and logs
it. cosign_verify verifies it as a legacy cosign signature (certificate,
chain, SET bundle: chain at the integrated time, SCT, SET, entry body,
identity, signature); sigstore-python verifies the same certificate,
signature and log entry as a Sigstore bundle (which adds the inclusion
proof and checkpoint). Also measures ``import cosign_verify`` alone and
with the modules keyless verification loads, beside ``import sigstore.verify``,
each in a fresh interpreter. Writes benchmarks/results/keyless.json.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from cosign_verify import TrustedRoot
from cosign_verify._internal.certificate import ExactMatch, IdentityPolicy
from cosign_verify._internal.keyless import KeylessSettings, verify_keyless
from cosign_verify._internal.simple_signing import CosignSignature
from cosign_verify.testing import FakeSigstore, sign_bytes
from cosign_verify.transparency import RekorLog

RESULTS = Path(__file__).resolve().parent / "results"
IDENTITY, ISSUER = "signer@example.com", "https://issuer.example"


def per_call(func: Callable[[], object], number: int = 300, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def import_time(statement: str, runs: int = 7) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    samples = [float(subprocess.check_output([sys.executable, "-c", code], text=True)) for _ in range(runs)]
    return statistics.median(samples)


def main() -> None:
    from sigstore.models import Bundle
    from sigstore.models import TrustedRoot as SigstoreTrustedRoot
    from sigstore.verify import Verifier
    from sigstore.verify.policy import Identity

    fake = FakeSigstore()
    payload = b'{"critical":{"type":"cosign container image signature"},"optional":null}'
    certificate, key = fake.issue(IDENTITY, ISSUER)
    signature = sign_bytes(key, payload)
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    record = fake.log(payload, signature, pem)

    with tempfile.TemporaryDirectory() as tmp:
        root_path = fake.write_trusted_root(Path(tmp) / "trusted_root.json")
        ours_root = TrustedRoot.from_file(root_path)
        theirs = Verifier(trusted_root=SigstoreTrustedRoot.from_file(str(root_path)))

    cosign_signature = CosignSignature(
        layer_digest="sha256:" + "0" * 64,
        payload=payload,
        signature=signature,
        signature_b64="",
        certificate=pem,
        chain=fake.chain_pem(),
        bundle=record.cosign_bundle(),
    )
    identity = IdentityPolicy(ExactMatch(IDENTITY), ExactMatch(ISSUER))
    settings = KeylessSettings(identity=identity, trusted_root=ours_root, log=RekorLog("http://127.0.0.1:1"))
    bundle_json = json.dumps(fake.sigstore_bundle(payload, signature, certificate, record))
    policy = Identity(identity=IDENTITY, issuer=ISSUER)

    def ours() -> None:
        verify_keyless(cosign_signature, settings)

    def sigstore_python() -> None:
        theirs.verify_artifact(payload, Bundle.from_json(bundle_json), policy)

    ours()
    sigstore_python()
    ours_s, theirs_s = per_call(ours), per_call(sigstore_python)
    results = {
        "cosign_verify_keyless_us": round(ours_s * 1e6, 1),
        "sigstore_python_us": round(theirs_s * 1e6, 1),
        "ratio_cosign_verify_over_sigstore": round(ours_s / theirs_s, 3),
        "import_cosign_verify_ms": round(import_time("import cosign_verify") * 1e3, 1),
        "import_cosign_verify_with_keyless_ms": round(
            import_time(
                "import cosign_verify, cosign_verify._internal.keyless, rfc8785, cryptography.x509.verification"
            )
            * 1e3,
            1,
        ),
        "import_sigstore_verify_ms": round(import_time("import sigstore.verify") * 1e3, 1),
    }
    print(
        f"keyless verification per signature: cosign_verify {results['cosign_verify_keyless_us']} us, "
        f"sigstore-python {results['sigstore_python_us']} us (ratio {results['ratio_cosign_verify_over_sigstore']})"
    )
    print(
        f"import cosign_verify {results['import_cosign_verify_ms']} ms; with the keyless modules "
        f"{results['import_cosign_verify_with_keyless_ms']} ms; import sigstore.verify {results['import_sigstore_verify_ms']} ms"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "keyless.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
