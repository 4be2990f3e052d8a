"""Cosign's simple-signing layers (the ``.sig`` tag and cosign's OCI 1.1 referrers) as a signature format."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..reference import Reference
from .context import VerificationContext
from .crypto import public_key_pem, verify
from .failure import Failure, FailureReason, failing_as
from .keyless import transparency_proof, transparency_summary, verify_keyless
from .memo import KeyedMemo
from .outcomes import Evidence
from .policy_keys import ResolvedKey
from .simple_signing import (
    COSIGN_SIGNATURE_TYPE,
    MAX_PAYLOAD_SIZE,
    CosignSignature,
    SignatureLayer,
    SimpleSigningPayload,
    load_signature,
    parse_simple_signing,
)


def check_annotations(optional: Mapping[str, Any] | None, required: Sequence[tuple[str, str]]) -> str | None:
    """A report line when the policy requires annotations and the payload carries them all; Failure when not."""
    if not required:
        return None
    carried = optional or {}
    for name, value in required:
        if name not in carried:
            raise Failure(FailureReason.ANNOTATION_MISMATCH, f"payload has no annotation {name!r}")
        if carried[name] != value:
            raise Failure(
                FailureReason.ANNOTATION_MISMATCH,
                f"payload annotation {name!r} is {carried[name]!r}, not {value!r}",
            )
    return "payload carries the annotations " + ", ".join(f"{n}={v!r}" for n, v in required)


def check_claims(claims: SimpleSigningPayload, subject: Reference) -> str:
    """The payload must be a cosign image signature for exactly this subject digest; returns a report line."""
    if claims.type != COSIGN_SIGNATURE_TYPE:
        raise Failure(
            FailureReason.NOT_A_SIGNATURE, f"payload type is {claims.type!r}, not {COSIGN_SIGNATURE_TYPE!r}"
        )
    if claims.docker_manifest_digest != subject.digest:
        raise Failure(
            FailureReason.SUBJECT_MISMATCH,
            f"signature is for digest {claims.docker_manifest_digest}, not the subject's {subject.digest} "
            "(a signature copied from another image?)",
        )
    return f"payload binds subject digest {subject.digest}"


@functools.lru_cache(maxsize=1024)
def _tlog_not_checked(policy_name: str) -> str:
    return f"transparency log not checked: tLogVerify is false in trust policy {policy_name!r}"


def _tlog_remediation(policy_name: str) -> str:
    return (
        f"sign with a transparency log (cosign's default), or set 'tLogVerify: false' in trust policy "
        f"{policy_name!r} to accept key-based signatures without one"
    )


def key_transparency(
    ctx: VerificationContext,
    signature: CosignSignature,
    key: ResolvedKey,
    envelope: tuple[str, bytes] | None = None,
) -> tuple[str, bool]:
    """The log entry of a key-based signature, as a report line, and whether its bundle proved it offline."""
    if not ctx.policy.tlog_verify:
        return _tlog_not_checked(ctx.policy.name), False
    with failing_as("transparency log: ", _tlog_remediation(ctx.policy.name)):
        proof = transparency_proof(
            signature, public_key_pem(key.key), ctx.trusted_root, ctx.log, envelope=envelope
        )
    return transparency_summary(proof), proof.from_bundle


@attrs.frozen
class CosignLayerSignature:
    """One simple-signing layer: the signature over the payload, and the payload's claims."""

    signature: CosignSignature
    claims: SimpleSigningPayload

    @property
    def encoded(self) -> str:
        return self.signature.signature_b64

    def check_key(self, ctx: VerificationContext, key: ResolvedKey) -> Evidence:
        algorithm = verify(key.key, self.signature.signature, self.signature.payload)
        if algorithm is None:
            raise Failure(FailureReason.SIGNATURE_INVALID, f"signature does not verify with {key.label}")
        summary = [f"signature verified with {key.label} ({key.description})", *self._payload_checks(ctx)]
        line, from_bundle = key_transparency(ctx, self.signature, key)
        return Evidence(
            summary=(*summary, line),
            bundle_verified=from_bundle,
            algorithm=algorithm,
            signer=key.signer,
        )

    def check_keyless(self, ctx: VerificationContext) -> Evidence:
        with failing_as("keyless: "):
            outcome = verify_keyless(self.signature, ctx.keyless())
        return Evidence(
            summary=(*outcome.summary, *self._payload_checks(ctx)),
            bundle_verified=outcome.bundle_verified,
            algorithm=outcome.algorithm,
            signer=outcome.signer,
        )

    def _payload_checks(self, ctx: VerificationContext) -> list[str]:
        lines = [check_claims(self.claims, ctx.subject)]
        annotations = check_annotations(self.claims.optional, ctx.policy.annotations)
        return lines + ([annotations] if annotations else [])


class CosignFormat:
    """Every layer is one signature: a simple-signing payload blob, the signature in its annotations."""

    def signature_layers(self, layers: Sequence[SignatureLayer]) -> Sequence[SignatureLayer]:
        return layers

    def load(
        self, ctx: VerificationContext, layer: SignatureLayer, layers: Sequence[SignatureLayer]
    ) -> CosignLayerSignature:
        if not layer.fingerprint:  # a layer not parsed from a manifest: nothing to remember it by
            return _parsed(
                layer, ctx.fetch_blob(layer.digest, layer.size, MAX_PAYLOAD_SIZE, "signature payload")
            )
        found = LAYERS.get(layer.fingerprint)
        if found is not None:
            return found
        payload = ctx.fetch_blob(layer.digest, layer.size, MAX_PAYLOAD_SIZE, "signature payload")
        return LAYERS(layer.fingerprint, payload, lambda: _parsed(layer, payload))


def _parsed(layer: SignatureLayer, payload: bytes) -> CosignLayerSignature:
    return CosignLayerSignature(load_signature(layer, payload), parse_simple_signing(payload))


COSIGN_FORMAT = CosignFormat()
# A layer's fingerprint names its manifest and place; its payload was checked against its digest.
LAYERS: KeyedMemo[CosignLayerSignature] = KeyedMemo()
