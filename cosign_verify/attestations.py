"""Attestations (``cosign verify-attestation``): in-toto statements signed about an image, verified like signatures.

:class:`AttestationVerifier` takes the same trust policies, keys and keyless
identities as :class:`~cosign_verify.CosignVerifier`, and reads cosign's
``sha256-<hex>.att`` tag (DSSE envelopes as layers, cosign 2) and Sigstore
bundle referrers holding in-toto statements (cosign 3). Only statements of
the wanted predicate types count; each verified statement is in the report
(:attr:`VerifierReport.statements`, and ``statement`` in the JSON) for your
own policy, and ``judge`` may refuse one. An attestation never counts as a
signature, and a signature never as an attestation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from ._internal.attestation_checks import PREDICATE_TYPES, Attestation, Judge, StatementRules, predicate_type
from ._internal.failure import Failure
from ._internal.format_attestation import ANNOTATION_PREDICATE_TYPE, AttestationLayerFormat
from ._internal.format_bundle import BundleFormat
from ._internal.formats import SignatureFormat
from ._internal.referrer_work import bundle_predicate_hint, layer_predicate_hints
from ._internal.simple_signing import SignatureLayer
from .errors import ConfigError, CosignVerifyError, NotFoundError
from .mediatypes import (
    ANNOTATION_LAYER_PREDICATE_TYPES,
    COSIGN_ATTESTATION_ARTIFACT_TYPE,
    SIGSTORE_BUNDLE_TYPES,
    SIGSTORE_BUNDLE_V03,
)
from .reference import Reference
from .store.base import Descriptor, ReferrerStore, check_content
from .verifier import SIGNATURE_MANIFESTS, CosignVerifier


def _layer_hints(store: ReferrerStore, tag: Reference, digest: str) -> dict[str, str]:
    """The predicate types the ``.att`` manifest's layers claim (hints), to route it; nothing when unreadable."""
    try:
        data = check_content(store.fetch_manifest(tag, digest), digest, "attestation manifest")
        layers = SIGNATURE_MANIFESTS(digest, data)
    except (Failure, CosignVerifyError):
        return {}  # the verification fetches it again and says what is wrong
    hints = sorted({layer.annotations.get(ANNOTATION_PREDICATE_TYPE, "") for layer in layers})
    return {ANNOTATION_LAYER_PREDICATE_TYPES: json.dumps(hints)}


def attestation_tag(digest: str) -> str:
    """cosign's attestation tag for a subject digest: ``sha256-<hex>.att``."""
    algorithm, _, encoded = digest.partition(":")
    return f"{algorithm}-{encoded}.att"


class AttestationVerifier(CosignVerifier):
    """Verifies attestations of subjects against trust policies.

    ``predicate_types``: cosign's ``--type`` names or predicate type URIs
    (empty: every attestation; a configuration file must name them). A trust
    policy may not require ``annotations`` (a :class:`ConfigError`): they are
    a signature's, and an attestation has none to check. ``judge(attestation)``
    returns True to accept a verified statement, False or a reason to refuse
    it (anything else refuses, None from a forgotten ``return`` included); it
    runs only on statements whose every check passed. The other arguments are
    :class:`CosignVerifier`'s. Any one accepted attestation passes the
    referrer, as any one valid signature passes a signature referrer.
    """

    type = "cosign-attestation"
    noun = "attestation"

    def __init__(
        self,
        trust_policies: Any,
        key_providers: Any = None,
        *,
        predicate_types: Iterable[str] = (),
        judge: Judge | None = None,
        name: str = "cosign-attestation",
        artifact_types: Iterable[str] = (COSIGN_ATTESTATION_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03),
        **options: Any,
    ) -> None:
        super().__init__(trust_policies, key_providers, name=name, artifact_types=artifact_types, **options)
        for policy in self.matcher.policies:
            if policy.annotations:
                raise ConfigError(
                    f"trust policy {policy.name!r}: annotations are checked on signatures, not on attestations",
                    remediation="put them in a signature verifier's trust policy, or judge the statement",
                )
        self.rules = StatementRules(
            predicate_types=tuple(predicate_type(t) for t in predicate_types), judge=judge
        )
        self._layer_format = AttestationLayerFormat(self.rules)
        self._bundle_format = BundleFormat(self.rules)

    def accepts(self, referrer: Descriptor) -> bool:
        """cosign's ``.att`` manifest, or a bundle referrer whose (unverified) predicate-type hint is wanted."""
        if referrer.artifact_type not in self.artifact_types:
            return False
        if referrer.artifact_type in SIGSTORE_BUNDLE_TYPES:
            hint = bundle_predicate_hint(referrer)
            return hint is not None and self.rules.wants(hint)
        listed = layer_predicate_hints(referrer)
        if listed is None:
            return True  # not read: the verification reports what is wrong with the manifest
        return any(self.rules.wants(hint or None) for hint in listed)

    def report_artifact_type(self, referrer: Descriptor) -> str:
        """Every attestation report, ``.att`` tag or bundle, is decided as one artifact type: cosign attestations."""
        return COSIGN_ATTESTATION_ARTIFACT_TYPE

    def own_referrers(self, store: ReferrerStore, where: Reference) -> list[Descriptor]:
        """cosign's ``sha256-<hex>.att`` manifest of the subject, when there is one (the store lists no tags)."""
        assert where.digest is not None
        tag = Reference(
            registry=where.registry, repository=where.repository, tag=attestation_tag(where.digest)
        )
        try:
            found = store.resolve(tag)
        except NotFoundError:
            return []
        return [
            Descriptor(
                media_type=found.media_type,
                digest=found.digest,
                size=found.size,
                artifact_type=COSIGN_ATTESTATION_ARTIFACT_TYPE,
                annotations=_layer_hints(store, tag, found.digest),
            )
        ]

    def _format_for(self, artifact_type: str | None, layers: Sequence[SignatureLayer]) -> SignatureFormat:
        if artifact_type in SIGSTORE_BUNDLE_TYPES:
            return self._bundle_format
        return self._layer_format


__all__ = ["PREDICATE_TYPES", "Attestation", "AttestationVerifier", "attestation_tag", "predicate_type"]
