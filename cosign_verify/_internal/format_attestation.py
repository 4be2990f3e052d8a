"""cosign's attestation layers (the ``sha256-<hex>.att`` tag) as a signature format.

Each layer of the attestation manifest is a DSSE envelope
(``application/vnd.dsse.envelope.v1+json``) whose payload is an in-toto
statement; the certificate, chain, Rekor bundle and timestamp ride in the
layer's annotations as they do for signatures, and the Rekor entry is an
``intoto`` (or ``dsse``) entry for the envelope. The layer's
``predicateType`` annotation is a hint: it chooses which layers are read,
and the verified statement must agree.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import attrs

from .attestation_checks import StatementRules
from .context import VerificationContext
from .crypto import verify
from .failure import Failure, FailureReason, failing_as
from .format_cosign import key_transparency
from .keyless import verify_keyless
from .log_entry import pae
from .outcomes import Evidence
from .policy_keys import ResolvedKey
from .simple_signing import CosignSignature, SignatureLayer, layer_signature, malformed
from .strict_json import loads_strict

DSSE_LAYER = "application/vnd.dsse.envelope.v1+json"
ANNOTATION_PREDICATE_TYPE = "predicateType"
MAX_ENVELOPE_SIZE = 16 << 20


@attrs.frozen
class AttestationLayer:
    """One DSSE envelope layer: its signature (over the envelope's encoding) and its payload."""

    signature: CosignSignature
    payload_type: str
    payload: bytes = attrs.field(repr=False)
    rules: StatementRules

    @property
    def encoded(self) -> str:
        return self.signature.signature_b64

    @property
    def envelope(self) -> tuple[str, bytes]:
        return self.payload_type, self.payload

    def check_key(self, ctx: VerificationContext, key: ResolvedKey) -> Evidence:
        algorithm = verify(key.key, self.signature.signature, self.signature.payload)
        if algorithm is None:
            raise Failure(FailureReason.SIGNATURE_INVALID, f"signature does not verify with {key.label}")
        summary = [f"DSSE signature verified with {key.label} ({key.description})"]
        line, from_bundle = key_transparency(ctx, self.signature, key, self.envelope)
        statement, lines = self._statement(ctx)  # the judge sees only statements whose every check passed
        return Evidence(
            summary=(*summary, *lines, line),
            bundle_verified=from_bundle,
            algorithm=algorithm,
            signer=key.signer,
            statement=statement,
        )

    def check_keyless(self, ctx: VerificationContext) -> Evidence:
        with failing_as("keyless: "):
            outcome = verify_keyless(self.signature, ctx.keyless(), envelope=self.envelope)
        statement, lines = self._statement(ctx)
        return Evidence(
            summary=(*outcome.summary, *lines),
            bundle_verified=outcome.bundle_verified,
            algorithm=outcome.algorithm,
            signer=outcome.signer,
            statement=statement,
        )

    def _statement(self, ctx: VerificationContext) -> tuple[dict[str, object], list[str]]:
        statement = self.rules.parse(self.payload_type, self.payload)
        _, lines = self.rules.check(statement, ctx.subject)
        return dict(statement), lines


@attrs.frozen
class AttestationLayerFormat:
    """Every DSSE layer whose predicate type is wanted is one attestation to check."""

    rules: StatementRules

    def signature_layers(self, layers: Sequence[SignatureLayer]) -> Sequence[SignatureLayer]:
        envelopes = [layer for layer in layers if layer.media_type == DSSE_LAYER]
        wanted = [e for e in envelopes if self.rules.wants(e.annotations.get(ANNOTATION_PREDICATE_TYPE))]
        if not wanted:
            types = sorted({e.annotations.get(ANNOTATION_PREDICATE_TYPE) or "(none)" for e in envelopes})
            raise Failure(
                FailureReason.PREDICATE_MISMATCH,
                f"no attestation of predicate type {' or '.join(self.rules.predicate_types) or '(any)'} "
                f"among {len(envelopes)} ({', '.join(types) or 'none'})",
            )
        return wanted

    def load(
        self, ctx: VerificationContext, layer: SignatureLayer, layers: Sequence[SignatureLayer]
    ) -> AttestationLayer:
        data = ctx.fetch_blob(layer.digest, layer.size, MAX_ENVELOPE_SIZE, "attestation envelope")
        payload_type, payload, signature = _envelope(data)
        encoded = base64.b64encode(signature).decode()
        return AttestationLayer(
            signature=layer_signature(layer, pae(payload_type, payload), signature, encoded),
            payload_type=payload_type,
            payload=payload,
            rules=self.rules,
        )


def _envelope(data: bytes) -> tuple[str, bytes, bytes]:
    """A DSSE envelope's payload type, payload and its one signature."""
    document = loads_strict(data, "attestation envelope")
    if not isinstance(document, dict):
        raise malformed("attestation envelope is not a JSON object")
    payload_type, payload, signatures = (document.get(k) for k in ("payloadType", "payload", "signatures"))
    if not isinstance(payload_type, str) or not isinstance(payload, str) or not isinstance(signatures, list):
        raise malformed("attestation envelope needs payloadType, payload and signatures")
    if (
        len(signatures) != 1
        or not isinstance(signatures[0], dict)
        or not isinstance(signatures[0].get("sig"), str)
    ):
        raise malformed(f"attestation envelope has {len(signatures)} signatures (cosign writes exactly one)")
    try:
        return (
            payload_type,
            base64.b64decode(payload, validate=True),
            base64.b64decode(signatures[0]["sig"], validate=True),
        )
    except (binascii.Error, ValueError):
        raise malformed("attestation envelope's payload or signature is not base64") from None
