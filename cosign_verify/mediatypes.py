"""Media types, artifact types and annotation keys, named once."""

from __future__ import annotations

OCI_IMAGE_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_IMAGE_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST_V2 = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"

COSIGN_SIGNATURE_ARTIFACT_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json"
COSIGN_SIMPLESIGNING_LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"
# Our label for cosign attestations: the artifact type of cosign's sha256-<hex>.att tag when it is
# listed as a referrer (the tag has none, and cosign writes none), and the one under which every
# attestation report is decided, bundle referrers' included (so that a configPolicy can require an
# attestation in either layout). The name is ours (cosign-verify's), not cosign's.
COSIGN_ATTESTATION_ARTIFACT_TYPE = "application/vnd.cosign-verify.attestation.v1+json"
DSSE_ENVELOPE_LAYER = "application/vnd.dsse.envelope.v1+json"
# Our note on a listed .att manifest: the predicate types its layers claim (hints, for routing only).
ANNOTATION_LAYER_PREDICATE_TYPES = "dev.cosign-verify.layerPredicateTypes"

SIGSTORE_BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
SIGSTORE_BUNDLE_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle+json;version=0.1",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        SIGSTORE_BUNDLE_V03,
    }
)
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"
ANNOTATION_BUNDLE_CONTENT = "dev.sigstore.bundle.content"
ANNOTATION_BUNDLE_PREDICATE_TYPE = "dev.sigstore.bundle.predicateType"
