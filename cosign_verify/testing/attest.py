"""Attesting test images as cosign does: ``cosign attest`` (the ``.att`` tag) and cosign 3 (a bundle referrer)."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs
from cryptography.hazmat.primitives import serialization

from .._internal.attestation_checks import IN_TOTO_STATEMENT_V01
from .._internal.log_entry import pae
from .._internal.simple_signing import ANNOTATION_BUNDLE, ANNOTATION_CERTIFICATE, ANNOTATION_CHAIN
from ..attestations import attestation_tag, predicate_type
from ..mediatypes import DSSE_ENVELOPE_LAYER, IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1
from ..reference import Reference
from ..store.base import Descriptor
from .fake_sigstore import FakeSigstore, KeylessSigner
from .keys import KeyPair
from .profiles import DEFAULT_PROFILE
from .profiles import profile as find_profile
from .signer import PushTarget, Signer, _as_reference, _bundle, append_to_tag, attach_bundle


@attrs.frozen(kw_only=True)
class AttestOptions:
    """How :func:`attest_image` writes an attestation.

    - ``predicate_type``: a predicate type URI or cosign's ``--type`` name.
    - ``layout``: ``"tag"`` adds a DSSE layer to the ``sha256-<hex>.att``
      manifest (cosign 2, statements ``https://in-toto.io/Statement/v0.1``);
      ``"bundle"`` attaches a Sigstore bundle referrer (cosign 3, statements
      ``v1``).
    - ``rekor``: log a key-based attestation in this fake Sigstore (a keyless
      one is logged in its signer's).
    - ``statement``: sign these bytes instead, to attest something else on purpose.
    - ``signature_repository``: write into this repository instead of the subject's.
    """

    predicate_type: str = "slsaprovenance1"
    layout: Literal["tag", "bundle"] = "tag"
    rekor: FakeSigstore | None = None
    statement: bytes | None = None
    signature_repository: str | None = None
    profile: str = DEFAULT_PROFILE


def make_attestation(
    digest: str, name: str, predicate_type: str, predicate: Any, *, statement_type: str = IN_TOTO_STATEMENT_V1
) -> bytes:
    """An in-toto statement about an image digest."""
    algorithm, _, encoded = digest.partition(":")
    document = {
        "_type": statement_type,
        "subject": [{"name": name, "digest": {algorithm: encoded}}],
        "predicateType": predicate_type,
        "predicate": predicate,
    }
    return json.dumps(document, separators=(",", ":")).encode()


def attest_image(
    store: PushTarget,
    subject: str | Reference,
    signer: Signer,
    predicate: Any = None,
    options: AttestOptions | None = None,
) -> Descriptor:
    """Attest ``predicate`` about ``subject`` and write it as cosign does; returns the manifest's descriptor."""
    options = options or AttestOptions()
    ref = _as_reference(subject)
    found = store.resolve(ref)
    target = _as_reference(options.signature_repository) if options.signature_repository else ref
    kind = predicate_type(options.predicate_type)
    statement_type = IN_TOTO_STATEMENT_V01 if options.layout == "tag" else IN_TOTO_STATEMENT_V1
    statement = options.statement or make_attestation(
        found.digest,
        ref.name,
        kind,
        predicate if predicate is not None else {},
        statement_type=statement_type,
    )
    if options.layout == "bundle":
        bundle = _bundle(statement, signer, options.rekor, find_profile(options.profile))
        return attach_bundle(store, ref, bundle, predicate_type=kind, at=target, found=found)
    envelope, annotations = _envelope(statement, signer, options.rekor, options.profile)
    blob = store.push_blob(target, envelope)
    layer = {
        "mediaType": DSSE_ENVELOPE_LAYER,
        "digest": blob.digest,
        "size": len(envelope),
        "annotations": {"predicateType": kind, **annotations},
    }
    return append_to_tag(store, target, attestation_tag(found.digest), layer)


def _envelope(
    statement: bytes, signer: Signer, rekor: FakeSigstore | None, profile: str
) -> tuple[bytes, Mapping[str, str]]:
    """The DSSE envelope cosign writes as a layer, and the layer's certificate and Rekor annotations."""
    to_sign = pae(IN_TOTO_PAYLOAD_TYPE, statement)
    annotations: dict[str, str] = {}
    if isinstance(signer, KeylessSigner):
        sigstore: FakeSigstore | None = signer.sigstore
        certificate, key = signer.sigstore.issue(signer.identity, signer.issuer, **signer.certificate_options)
        verifier = certificate.public_bytes(serialization.Encoding.PEM)
        annotations[ANNOTATION_CERTIFICATE] = verifier.decode()
        annotations[ANNOTATION_CHAIN] = signer.sigstore.chain_pem().decode()
    else:
        sigstore = rekor
        key = signer.private_key if isinstance(signer, KeyPair) else signer
        verifier = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    signature = find_profile(profile).sign(key, to_sign)
    if sigstore is not None:
        annotations[ANNOTATION_BUNDLE] = sigstore.log_dsse(statement, signature, verifier).cosign_bundle()
    envelope = {
        "payloadType": IN_TOTO_PAYLOAD_TYPE,
        "payload": base64.b64encode(statement).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
    }
    return json.dumps(envelope, separators=(",", ":")).encode(), annotations
