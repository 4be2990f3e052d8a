"""Sigstore bundles attached to an image as OCI referrers (cosign v3's default), as a signature format.

The bundle's annotations are hints only: what counts is what the bundle
proves. A DSSE bundle must carry an in-toto Statement whose subject is the
image digest and whose predicate type is cosign's signature predicate (an
attestation is not a signature); a message-signature bundle must sign a
cosign simple-signing payload, found as another layer of the same manifest,
that binds the image digest.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import attrs

from ..mediatypes import (
    COSIGN_SIGN_PREDICATE,
    COSIGN_SIMPLESIGNING_LAYER,
    IN_TOTO_STATEMENT_V1,
    SIGSTORE_BUNDLE_TYPES,
)
from .bundle_checks import Artifact, BundleOutcome, verify_sigstore_bundle
from .bundle_model import MAX_BUNDLE_SIZE, DsseEnvelope, SigstoreBundle
from .context import VerificationContext
from .failure import Failure, FailureReason, failing_as
from .memo import DigestMemo
from .outcomes import Evidence
from .policy_keys import ResolvedKey
from .simple_signing import COSIGN_SIGNATURE_TYPE, MAX_PAYLOAD_SIZE, SignatureLayer, parse_simple_signing


def _statement_checks(outcome: BundleOutcome, digest: str) -> str:
    statement = outcome.statement
    if statement is None:
        return f"signed payload binds subject digest {digest}"
    if statement.get("_type") != IN_TOTO_STATEMENT_V1:
        raise Failure(
            FailureReason.NOT_A_SIGNATURE,
            f"statement type is {statement.get('_type')!r}, not {IN_TOTO_STATEMENT_V1!r}",
        )
    predicate = statement.get("predicateType")
    if predicate != COSIGN_SIGN_PREDICATE:
        raise Failure(
            FailureReason.NOT_A_SIGNATURE,
            f"predicate type is {predicate!r}: an attestation, not a cosign signature ({COSIGN_SIGN_PREDICATE})",
        )
    return f"statement names subject digest {digest} with predicate {COSIGN_SIGN_PREDICATE}"


@attrs.frozen
class BundleSignature:
    """One bundle layer and the artifact it must sign (the image digest, or a signed payload layer)."""

    bundle: SigstoreBundle
    artifact: Artifact

    @property
    def encoded(self) -> str:
        return base64.b64encode(self.bundle.content.signature).decode()

    def check_key(self, ctx: VerificationContext, key: ResolvedKey) -> Evidence:
        return self._check(ctx, key)

    def check_keyless(self, ctx: VerificationContext) -> Evidence:
        return self._check(ctx, None)

    def _check(self, ctx: VerificationContext, key: ResolvedKey | None) -> Evidence:
        with failing_as("bundle: "):
            outcome = verify_sigstore_bundle(
                self.bundle,
                self.artifact,
                ctx.trusted_root,
                identity=ctx.identity,
                keys=[(f"key {key.name!r}", key.key)] if key else (),
                ct_log_verify=ctx.policy.keyless.ct_log_verify if ctx.policy.keyless else True,
            )
            summary = (*outcome.summary, _statement_checks(outcome, ctx.digest))
        return Evidence(summary=summary, bundle_verified=True, algorithm=outcome.algorithm)


class BundleFormat:
    """Each Sigstore bundle layer is one signature."""

    def signature_layers(self, layers: Sequence[SignatureLayer]) -> Sequence[SignatureLayer]:
        found = [layer for layer in layers if layer.media_type in SIGSTORE_BUNDLE_TYPES]
        if not found:
            raise Failure(FailureReason.MALFORMED, "the bundle referrer has no Sigstore bundle layer")
        return found

    def load(
        self, ctx: VerificationContext, layer: SignatureLayer, layers: Sequence[SignatureLayer]
    ) -> BundleSignature:
        data = ctx.fetch_blob(layer.digest, layer.size, MAX_BUNDLE_SIZE, "Sigstore bundle")
        bundle = BUNDLES(layer.digest, data)
        return BundleSignature(bundle, _artifact(ctx, bundle, layers))


def _artifact(ctx: VerificationContext, bundle: SigstoreBundle, layers: Sequence[SignatureLayer]) -> Artifact:
    if isinstance(bundle.content, DsseEnvelope):
        return Artifact.from_digest(ctx.digest)
    wanted = "sha256:" + bundle.content.digest.hex()
    for candidate in layers:
        if candidate.media_type == COSIGN_SIMPLESIGNING_LAYER and candidate.digest == wanted:
            payload = ctx.fetch_blob(candidate.digest, candidate.size, MAX_PAYLOAD_SIZE, "signed payload")
            claims = parse_simple_signing(payload)
            if claims.type != COSIGN_SIGNATURE_TYPE or claims.docker_manifest_digest != ctx.digest:
                raise Failure(
                    FailureReason.SUBJECT_MISMATCH,
                    f"signed payload is for digest {claims.docker_manifest_digest} ({claims.type!r}), "
                    f"not the subject's {ctx.digest}",
                )
            return Artifact.from_bytes(payload)
    raise Failure(
        FailureReason.SUBJECT_MISMATCH,
        "the bundle's message signature signs a payload that is not in the referrer manifest",
    )


BUNDLE_FORMAT = BundleFormat()
BUNDLES = DigestMemo(SigstoreBundle.from_json)
