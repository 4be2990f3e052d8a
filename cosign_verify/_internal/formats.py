"""The signature-format seam: how signatures are written into a referrer's manifest.

A :class:`SignatureFormat` picks its signature layers from a manifest and
loads each into a :class:`LoadedSignature`, which checks itself against one
trusted key or against the policy's keyless identity. The verifier chooses
the format by artifact type and layer media types, and runs the same loop
for every format. Cosign's simple-signing layers (``format_cosign.py``) and
Sigstore bundles (``format_bundle.py``) are the two formats today; a new
format (attestations, say) is one more module and one more line in
:func:`format_for`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..mediatypes import SIGSTORE_BUNDLE_TYPES
from .context import VerificationContext

# The formats, chosen by format_for (imported after the protocols they implement).
from .format_bundle import BUNDLE_FORMAT
from .format_cosign import COSIGN_FORMAT
from .outcomes import Evidence
from .policy_keys import ResolvedKey
from .simple_signing import SignatureLayer


class LoadedSignature(Protocol):
    """One signature, fetched and parsed, ready to be checked."""

    @property
    def encoded(self) -> str:
        """The signature in base64, as reports show it."""
        ...

    def check_key(self, ctx: VerificationContext, key: ResolvedKey) -> Evidence:
        """Raise :class:`Failure` unless this signature verifies with ``key`` and binds the subject."""
        ...

    def check_keyless(self, ctx: VerificationContext) -> Evidence:
        """Raise :class:`Failure` unless this signature verifies under the policy's keyless identity."""
        ...


class SignatureFormat(Protocol):
    """One way of writing signatures into a referrer manifest."""

    def signature_layers(self, layers: Sequence[SignatureLayer]) -> Sequence[SignatureLayer]:
        """The layers that hold signatures (raise :class:`Failure` when there are none to check)."""
        ...

    def load(
        self, ctx: VerificationContext, layer: SignatureLayer, layers: Sequence[SignatureLayer]
    ) -> LoadedSignature:
        """Fetch and parse one signature layer (``layers``: the whole manifest, for formats that need it)."""
        ...


def format_for(artifact_type: str | None, layers: Sequence[SignatureLayer]) -> SignatureFormat:
    """The format of a referrer: a Sigstore bundle by its artifact type or its layers, else cosign's layers."""
    bundle_layers = sum(1 for layer in layers if layer.media_type in SIGSTORE_BUNDLE_TYPES)
    if artifact_type in SIGSTORE_BUNDLE_TYPES or (bundle_layers and bundle_layers == len(layers)):
        return BUNDLE_FORMAT
    return COSIGN_FORMAT
