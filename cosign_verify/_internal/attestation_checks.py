"""What makes a verified DSSE payload an attestation we accept: an in-toto statement for the subject, of a wanted type.

An attestation is never a signature: cosign's signature predicate
(``https://sigstore.dev/cosign/sign/v1``) is refused here, and the
signature verifier refuses every other predicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from ..errors import ConfigError
from ..mediatypes import COSIGN_SIGN_PREDICATE, IN_TOTO_PAYLOAD_TYPE, IN_TOTO_STATEMENT_V1
from ..reference import Reference
from .failure import Failure, FailureReason
from .strict_json import loads_strict

IN_TOTO_STATEMENT_V01 = "https://in-toto.io/Statement/v0.1"  # what cosign 2's attest writes
STATEMENT_TYPES = (IN_TOTO_STATEMENT_V1, IN_TOTO_STATEMENT_V01)


@attrs.frozen(kw_only=True)
class Attestation:
    """A verified in-toto statement about a subject, as a judge or a policy engine sees it."""

    subject: str
    predicate_type: str
    predicate: Any = attrs.field(repr=False)
    statement: Mapping[str, Any] = attrs.field(repr=False)


# cosign's ``--type`` short names and the predicate types they stand for.
PREDICATE_TYPES = {
    "slsaprovenance": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance02": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "link": "https://in-toto.io/Link/v1",
    "spdx": "https://spdx.dev/Document",
    "spdxjson": "https://spdx.dev/Document",
    "cyclonedx": "https://cyclonedx.org/bom",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "openvex": "https://openvex.dev/ns",
    "custom": "https://cosign.sigstore.dev/attestation/v1",
}


def predicate_type(name: str) -> str:
    """The predicate type a cosign ``--type`` name stands for; a URI stays as given."""
    if name in PREDICATE_TYPES:
        return PREDICATE_TYPES[name]
    if "://" in name:
        return name
    raise ConfigError(
        f"unknown predicate type {name!r}",
        remediation=f"use a predicate type URI, or one of cosign's names: {', '.join(PREDICATE_TYPES)}",
    )


# A judge returns True to accept, False or a reason (str) to refuse; anything else (a forgotten
# return's None included) refuses.
Judge = Callable[[Attestation], "bool | str | None"]


@attrs.frozen(kw_only=True)
class StatementRules:
    """The predicate types wanted (empty: any attestation) and the caller's judge, if any."""

    predicate_types: tuple[str, ...] = ()
    judge: Judge | None = attrs.field(default=None, eq=False)

    def wants(self, predicate_type: str | None) -> bool:
        """Whether an attestation of this predicate type is for us (None: not said; a hint only)."""
        if predicate_type == COSIGN_SIGN_PREDICATE:
            return False
        return not self.predicate_types or predicate_type is None or predicate_type in self.predicate_types

    def parse(self, payload_type: str, payload: bytes) -> Mapping[str, Any]:
        """The in-toto statement a verified DSSE payload holds."""
        if payload_type != IN_TOTO_PAYLOAD_TYPE:
            raise Failure(
                FailureReason.NOT_AN_ATTESTATION,
                f"DSSE payload type is {payload_type!r}, not an in-toto statement ({IN_TOTO_PAYLOAD_TYPE})",
            )
        statement = loads_strict(payload, "attestation payload")
        if not isinstance(statement, dict):
            raise Failure(FailureReason.NOT_AN_ATTESTATION, "attestation payload is not a JSON object")
        return statement

    def check(self, statement: Mapping[str, Any], subject: Reference) -> tuple[Attestation, list[str]]:
        """The attestation a statement makes about ``subject``; :class:`Failure` saying why it is not one we take."""
        if statement.get("_type") not in STATEMENT_TYPES:
            raise Failure(
                FailureReason.NOT_AN_ATTESTATION,
                f"statement type is {statement.get('_type')!r}, not an in-toto statement",
            )
        lines = [_names_subject(statement, subject)]
        predicate_type = statement.get("predicateType")
        if not isinstance(predicate_type, str):
            raise Failure(FailureReason.NOT_AN_ATTESTATION, "the statement has no predicateType")
        if predicate_type == COSIGN_SIGN_PREDICATE:
            raise Failure(FailureReason.NOT_AN_ATTESTATION, "a cosign signature, not an attestation")
        if self.predicate_types and predicate_type not in self.predicate_types:
            raise Failure(
                FailureReason.PREDICATE_MISMATCH,
                f"predicate type is {predicate_type!r}, not {' or '.join(map(repr, self.predicate_types))}",
            )
        lines.append(f"attestation of predicate type {predicate_type!r}")
        attestation = Attestation(
            subject=str(subject),
            predicate_type=predicate_type,
            predicate=statement.get("predicate"),
            statement=statement,
        )
        if self.judge is not None:
            lines.append(_judged(self.judge, attestation))
        return attestation, lines


def _names_subject(statement: Mapping[str, Any], subject: Reference) -> str:
    assert subject.digest is not None
    algorithm, _, value = subject.digest.partition(":")
    subjects = statement.get("subject")
    if isinstance(subjects, list):
        for entry in subjects:
            digests = entry.get("digest") if isinstance(entry, dict) else None
            if isinstance(digests, dict) and digests.get(algorithm) == value:
                return f"statement names subject digest {subject.digest}"
    raise Failure(
        FailureReason.SUBJECT_MISMATCH,
        f"the statement does not name the subject digest {subject.digest} "
        "(an attestation for another image?)",
    )


def _judged(judge: Judge, attestation: Attestation) -> str:
    try:
        verdict = judge(attestation)
    except Exception as exc:  # the caller's code: a bug there refuses, it does not pass
        raise Failure(
            FailureReason.ATTESTATION_REJECTED, f"the attestation judge raised {type(exc).__name__}: {exc}"
        ) from None
    if verdict is True:
        return "accepted by the attestation judge"
    if verdict is None:
        reason = "the attestation judge returned None (return True to accept)"
    else:
        reason = verdict if isinstance(verdict, str) and verdict else "refused by the attestation judge"
    raise Failure(FailureReason.ATTESTATION_REJECTED, reason)
