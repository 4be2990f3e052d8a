"""Which referrers each verifier judges: where signatures are looked up, and which artifacts a verifier takes.

A verifier may keep a subject's signatures in another repository (a trust
policy's ``signatureRepository``): referrers are listed once per distinct
repository, and each verifier sees only those listed where it looks. A
verifier may also refuse referrers of its artifact types that are not for
it (a signature verifier and an attestation bundle), through ``accepts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ..errors import StoreError
from ..mediatypes import (
    ANNOTATION_BUNDLE_PREDICATE_TYPE,
    ANNOTATION_LAYER_PREDICATE_TYPES,
    COSIGN_ATTESTATION_ARTIFACT_TYPE,
    COSIGN_SIGN_PREDICATE,
    SIGSTORE_BUNDLE_TYPES,
)
from ..reference import Reference, check_digest
from ..store.base import Descriptor
from .failure import Failure
from .strict_json import loads_strict


@attrs.define  # not frozen: built per subject, and frozen attrs cost 3x to build
class Lookup:
    """Where referrers are listed (in digest form), and the verifiers that look there."""

    where: Reference
    verifiers: tuple[Any, ...]


def lookups(verifiers: Iterable[Any], subject: Reference) -> list[Lookup]:
    """The repositories to list referrers in, each with its verifiers, the subject's own first."""
    verifiers = tuple(verifiers)
    places = []
    for verifier in verifiers:
        chosen = getattr(verifier, "signature_repository", None)
        places.append((chosen(subject) if chosen is not None else None) or subject)
    if all(where is subject for where in places):  # the usual case: every signature beside the subject
        return [Lookup(subject, verifiers)] if verifiers else []
    grouped: dict[str, tuple[Reference, list[Any]]] = {str(subject): (subject, [])}
    for verifier, where in zip(verifiers, places, strict=True):
        grouped.setdefault(str(where), (where, []))[1].append(verifier)
    return [Lookup(where, tuple(found)) for where, found in grouped.values() if found]


def accepts(verifier: Any, referrer: Descriptor) -> bool:
    """Whether ``verifier`` judges ``referrer``: its own ``accepts``, else by artifact type."""
    chosen = getattr(verifier, "accepts", None)
    if chosen is not None:
        return bool(chosen(referrer))
    return referrer.artifact_type in verifier.artifact_types


def bundle_predicate_hint(referrer: Descriptor) -> str | None:
    """The predicate type a Sigstore bundle referrer's annotations claim (unverified), if any."""
    if referrer.artifact_type not in SIGSTORE_BUNDLE_TYPES:
        return None
    hint = (referrer.annotations or {}).get(ANNOTATION_BUNDLE_PREDICATE_TYPE)
    return hint if isinstance(hint, str) else None


def layer_predicate_hints(referrer: Descriptor) -> list[str] | None:
    """The predicate types an ``.att`` manifest's layers claim (noted when listed; hints), or None if unread."""
    noted = (referrer.annotations or {}).get(ANNOTATION_LAYER_PREDICATE_TYPES)
    try:  # a registry may list a descriptor with this annotation too: parsed as any outside JSON
        hints = loads_strict(noted, "layer predicate types") if isinstance(noted, str) else None
    except Failure:
        return None
    if not isinstance(hints, list) or not all(isinstance(h, str) for h in hints):
        return None
    return hints


def is_attestation_hint(referrer: Descriptor) -> bool:
    """Whether a bundle referrer says it holds an attestation (a predicate other than cosign's signature)."""
    hint = bundle_predicate_hint(referrer)
    return hint is not None and hint != COSIGN_SIGN_PREDICATE


def own_referrers(verifier: Any, store: Any, where: Reference) -> list[Descriptor]:
    """Referrers a verifier finds itself (cosign's ``.att`` tag, which stores do not list)."""
    find = getattr(verifier, "own_referrers", None)
    return checked(find(store, where)) if find is not None else []


def _kind(referrer: Descriptor) -> str:
    if referrer.artifact_type == COSIGN_ATTESTATION_ARTIFACT_TYPE:
        hints = layer_predicate_hints(referrer)
        return f"cosign attestations ({', '.join(h or '(none)' for h in hints) if hints is not None else 'unread'})"
    hint = bundle_predicate_hint(referrer)
    if hint is None:
        return referrer.artifact_type or "(none)"
    return "signature bundle" if hint == COSIGN_SIGN_PREDICATE else f"attestation {hint}"


def checked(referrers: object) -> list[Descriptor]:
    """A store's referrer list, refused whole when any entry is not a well-formed descriptor."""
    if isinstance(referrers, str | bytes) or not hasattr(referrers, "__iter__"):
        raise StoreError(f"store returned {type(referrers).__name__}, not a list of descriptors")
    out = []
    for index, item in enumerate(referrers):
        if not isinstance(item, Descriptor):
            raise StoreError(f"store returned a {type(item).__name__} as referrer {index}, not a Descriptor")
        if not isinstance(item.digest, str) or not isinstance(item.artifact_type, str | None):
            raise StoreError(f"store returned a malformed descriptor as referrer {index}")
        check_digest(item.digest)
        out.append(item)
    return out


def nothing_to_verify(
    subject: Reference,
    listed: Sequence[tuple[Reference, Sequence[Descriptor]]],
    cosign_enabled: bool,
    noun: str = "signatures",
) -> str:
    """Why a subject has nothing to verify: no referrers where we looked, or none a verifier takes."""
    found = [r for _, referrers in listed for r in referrers]
    if found:
        kinds = sorted({_kind(r) for r in found})
        return (
            f"no {noun} found for {subject}: its {len(found)} referrer(s) are of kinds "
            f"no verifier here takes ({', '.join(kinds)})"
        )
    tag = ".att" if noun == "attestations" else ".sig"
    if cosign_enabled or noun == "attestations":
        searched = f"the cosign {tag} tag and OCI referrers"
    else:
        searched = "OCI referrers only; cosign .sig tags are not read, as cosignEnabled is false"
    elsewhere = list(dict.fromkeys(where.name for where, _ in listed if where.name != subject.name))
    if elsewhere:
        searched += f" in {', '.join(elsewhere)}"
    return f"no {noun} found for {subject} (looked for {searched})"
