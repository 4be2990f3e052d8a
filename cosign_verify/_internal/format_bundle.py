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
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from ..mediatypes import (
    COSIGN_SIGN_PREDICATE,
    COSIGN_SIMPLESIGNING_LAYER,
    IN_TOTO_STATEMENT_V1,
    SIGSTORE_BUNDLE_TYPES,
)
from .attestation_checks import StatementRules
from .bundle_checks import Artifact, BundleOutcome, verify_sigstore_bundle
from .bundle_model import MAX_BUNDLE_SIZE, DsseEnvelope, SigstoreBundle
from .context import VerificationContext
from .failure import Failure, FailureReason, failing_as
from .format_cosign import check_annotations
from .memo import DigestMemo
from .outcomes import Evidence
from .policy_keys import ResolvedKey
from .simple_signing import (
    COSIGN_SIGNATURE_TYPE,
    MAX_PAYLOAD_SIZE,
    SignatureLayer,
    SimpleSigningPayload,
    parse_simple_signing,
)


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
    optional: Mapping[str, Any] | None = None  # the signed payload's annotations (message signatures)
    rules: StatementRules | None = None  # set: this bundle must hold an attestation, not a signature

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
            if self.rules is not None:
                statement, lines = _attestation(self.rules, outcome, ctx)
                summary = (*outcome.summary, *lines)
            else:
                statement = None
                checks = (_statement_checks(outcome, ctx.digest), *self._annotations(ctx, outcome))
                summary = (*outcome.summary, *checks)
        return Evidence(
            summary=summary,
            bundle_verified=True,
            algorithm=outcome.algorithm,
            signer=self._signer(ctx, key),
            statement=statement,
        )

    def _signer(self, ctx: VerificationContext, key: ResolvedKey | None) -> str | None:
        if key is not None:
            return key.signer
        if self.bundle.certificate is not None and ctx.identity is not None:
            return ctx.identity.signer(self.bundle.certificate)
        return None

    def _annotations(self, ctx: VerificationContext, outcome: BundleOutcome) -> list[str]:
        """The policy's annotations: in the signed payload, or (cosign >= 3.0.3) on the statement's subject."""
        if not ctx.policy.annotations:
            return []
        carried = self.optional
        if outcome.statement is not None:
            carried = _subject_annotations(outcome.statement, ctx.digest)
        line = check_annotations(carried, ctx.policy.annotations)
        return [line] if line else []


def _subject_annotations(statement: Mapping[str, Any], digest: str) -> Mapping[str, Any] | None:
    """The annotations of the statement's subject entry for ``digest`` (where cosign 3 writes ``-a``)."""
    algorithm, _, value = digest.partition(":")
    for entry in statement.get("subject") or ():
        digests = entry.get("digest") if isinstance(entry, dict) else None
        if isinstance(digests, dict) and digests.get(algorithm) == value:
            annotations = entry.get("annotations")
            return annotations if isinstance(annotations, dict) else None
    return None


def _attestation(
    rules: StatementRules, outcome: BundleOutcome, ctx: VerificationContext
) -> tuple[dict[str, Any], list[str]]:
    if outcome.statement is None:
        raise Failure(
            FailureReason.NOT_AN_ATTESTATION, "a message-signature bundle is a signature, not an attestation"
        )
    _, lines = rules.check(outcome.statement, ctx.subject)
    return dict(outcome.statement), lines


@attrs.frozen
class BundleFormat:
    """Each Sigstore bundle layer is one signature (or, with ``rules``, one attestation)."""

    rules: StatementRules | None = None

    def signature_layers(self, layers: Sequence[SignatureLayer]) -> Sequence[SignatureLayer]:
        found = [layer for layer in layers if layer.media_type in SIGSTORE_BUNDLE_TYPES]
        if not found:
            raise Failure(FailureReason.MALFORMED, "the bundle referrer has no Sigstore bundle layer")
        return found

    def load(
        self, ctx: VerificationContext, layer: SignatureLayer, layers: Sequence[SignatureLayer]
    ) -> BundleSignature:
        bundle = BUNDLES.get(layer.digest) or BUNDLES(
            layer.digest, ctx.fetch_blob(layer.digest, layer.size, MAX_BUNDLE_SIZE, "Sigstore bundle")
        )
        if isinstance(bundle.content, DsseEnvelope):
            return BundleSignature(bundle, Artifact.from_digest(ctx.digest), rules=self.rules)
        if self.rules is not None:
            raise Failure(
                FailureReason.NOT_AN_ATTESTATION,
                "a message-signature bundle is a signature, not an attestation",
            )
        payload, claims = _signed_payload(ctx, bundle, layers)
        return BundleSignature(bundle, Artifact.from_bytes(payload), claims.optional)


def _signed_payload(
    ctx: VerificationContext, bundle: SigstoreBundle, layers: Sequence[SignatureLayer]
) -> tuple[bytes, SimpleSigningPayload]:
    assert not isinstance(bundle.content, DsseEnvelope)
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
            return payload, claims
    raise Failure(
        FailureReason.SUBJECT_MISMATCH,
        "the bundle's message signature signs a payload that is not in the referrer manifest",
    )


BUNDLE_FORMAT = BundleFormat()
BUNDLES = DigestMemo(SigstoreBundle.from_json)
