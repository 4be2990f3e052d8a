"""What a transparency-log entry must say: this very signature, artifact (or DSSE envelope) and verifier.

One check for every entry kind we read, used by legacy cosign signatures
(``hashedrekord`` / ``rekord`` 0.0.1) and by Sigstore bundles (also
``hashedrekord`` 0.0.2, ``dsse`` 0.0.1 and ``intoto`` 0.0.2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import attrs

from .b64 import decode
from .crypto import spki_of_der_certificate, spki_of_pem
from .failure import Failure, FailureReason
from .strict_json import loads_strict

IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding (a payload type that is not Unicode text is a :class:`Failure`)."""
    try:
        kind = payload_type.encode()
    except UnicodeEncodeError:
        raise Failure(
            FailureReason.MALFORMED, "DSSE payload type is not Unicode text (it holds a lone surrogate)"
        ) from None
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@attrs.frozen(kw_only=True)
class SignedContent:
    """What the entry must describe: the signature, its verifier, and what was signed.

    ``artifact_sha256`` for a message signature (the signed bytes' digest),
    and ``artifact`` (the bytes), when known, for entries that record a
    SHA-384 or SHA-512 digest; ``envelope`` (payload type, payload) for a
    DSSE envelope.
    """

    signature: bytes = attrs.field(repr=False)
    verifier_spki: bytes = attrs.field(repr=False)
    artifact_sha256: bytes | None = None
    artifact: bytes | None = attrs.field(default=None, repr=False)
    envelope: tuple[str, bytes] | None = attrs.field(default=None, repr=False)

    def artifact_digest(self, algorithm: str) -> bytes | None:
        """The artifact's (or the DSSE envelope's) digest with ``algorithm``: sha256, sha384 or sha512."""
        if algorithm not in _ENTRY_HASHES:
            return None
        if self.envelope is not None:
            return hashlib.new(algorithm, pae(*self.envelope)).digest()
        if algorithm == "sha256" and self.artifact_sha256 is not None:
            return self.artifact_sha256
        return hashlib.new(algorithm, self.artifact).digest() if self.artifact is not None else None


_ENTRY_HASHES = ("sha256", "sha384", "sha512")
# Rekor v2 (and bundles) name hash algorithms as protobuf's HashAlgorithm does.
PROTOBUF_HASHES = {"SHA2_256": "sha256", "SHA2_384": "sha384", "SHA2_512": "sha512"}


def _mismatch(what: str) -> Failure:
    return Failure(FailureReason.TLOG_INVALID, f"log entry records another {what}")


def _b64(value: Any, what: str) -> bytes:
    return decode(value, f"log entry {what}", FailureReason.TLOG_INVALID)


def _same(value: bytes, expected: bytes | None, what: str) -> None:
    if expected is None or value != expected:
        raise _mismatch(what)


def _hashedrekord_v1(spec: Any, content: SignedContent) -> None:
    if content.envelope is not None:
        raise Failure(
            FailureReason.TLOG_INVALID, "a hashedrekord 0.0.1 entry must go with a message signature"
        )
    logged = spec["data"]["hash"]
    algorithm = logged.get("algorithm") if isinstance(logged, dict) else None
    expected = content.artifact_digest(str(algorithm))
    if expected is None or logged.get("value") != expected.hex():
        raise _mismatch("artifact hash")
    _same(_b64(spec["signature"]["content"], "signature"), content.signature, "signature")
    logged_key = _b64(spec["signature"]["publicKey"]["content"], "public key")
    _same(spki_of_pem(logged_key, "log entry's verifier"), content.verifier_spki, "certificate or key")


def _hashedrekord_v2(spec: Any, content: SignedContent) -> None:
    rekord = spec["hashedRekordV002"]
    expected = content.artifact_digest(PROTOBUF_HASHES.get(rekord["data"]["algorithm"], ""))
    _same(_b64(rekord["data"]["digest"], "digest"), expected, "artifact (or envelope) digest")
    _same(_b64(rekord["signature"]["content"], "signature"), content.signature, "signature")
    verifier = rekord["signature"]["verifier"]
    if "x509Certificate" in verifier:
        der = _b64(verifier["x509Certificate"]["rawBytes"], "certificate")
        logged = spki_of_der_certificate(der, "log entry's verifier")
    else:
        logged = _b64(verifier["publicKey"]["rawBytes"], "public key")
    _same(logged, content.verifier_spki, "certificate or key")


def _envelope(content: SignedContent, kind: str) -> tuple[str, bytes]:
    if content.envelope is None:
        raise Failure(FailureReason.TLOG_INVALID, f"a {kind} entry must go with a DSSE envelope")
    return content.envelope


def _one(signatures: Any) -> Any:
    if len(signatures) != 1:
        raise _mismatch("set of signatures")
    return signatures[0]


def _dsse_v1(spec: Any, content: SignedContent) -> None:
    _, payload = _envelope(content, "dsse")
    logged = spec["payloadHash"]
    if logged["algorithm"] != "sha256" or logged["value"] != hashlib.sha256(payload).hexdigest():
        raise _mismatch("DSSE payload")
    signature = _one(spec["signatures"])
    _same(_b64(signature["signature"], "signature"), content.signature, "signature")
    verifier = spki_of_pem(_b64(signature["verifier"], "verifier"), "log entry's verifier")
    _same(verifier, content.verifier_spki, "certificate or key")


def _intoto_v2(spec: Any, content: SignedContent) -> None:
    payload_type, payload = _envelope(content, "intoto")
    envelope = spec["content"]["envelope"]
    if spec["content"]["payloadHash"]["value"] != hashlib.sha256(payload).hexdigest():
        raise _mismatch("DSSE payload")
    _same(_b64(_b64(envelope["payload"], "payload").decode(), "payload"), payload, "DSSE payload")
    if envelope["payloadType"] != payload_type:
        raise _mismatch("DSSE payload type")
    signature = _one(envelope["signatures"])
    _same(_b64(_b64(signature["sig"], "signature").decode(), "signature"), content.signature, "signature")
    verifier = spki_of_pem(_b64(signature["publicKey"], "public key"), "log entry's verifier")
    _same(verifier, content.verifier_spki, "certificate or key")


_KINDS: dict[tuple[str, str], Callable[[Any, SignedContent], None]] = {
    ("hashedrekord", "0.0.1"): _hashedrekord_v1,
    ("rekord", "0.0.1"): _hashedrekord_v1,
    ("hashedrekord", "0.0.2"): _hashedrekord_v2,
    ("dsse", "0.0.1"): _dsse_v1,
    ("intoto", "0.0.2"): _intoto_v2,
}


def check_entry(body: bytes, content: SignedContent, *, declared: tuple[str, str] | None = None) -> str:
    """Raise :class:`Failure` unless the entry ``body`` describes ``content``; returns the entry's kind.

    ``declared``: the kind and version the bundle states, which the body must agree with.
    """
    try:
        document = loads_strict(body, "log entry body")
    except Failure as exc:
        raise Failure(
            FailureReason.MALFORMED, f"log entry body is not a Rekor entry: {exc.message}"
        ) from None
    if not isinstance(document, dict) or not all(key in document for key in ("kind", "apiVersion", "spec")):
        raise Failure(
            FailureReason.MALFORMED, "log entry body is not a Rekor entry: no kind, apiVersion and spec"
        )
    kind, version, spec = document["kind"], document["apiVersion"], document["spec"]
    if not isinstance(kind, str) or not isinstance(version, str):
        raise Failure(
            FailureReason.MALFORMED,
            "log entry body is not a Rekor entry: kind and apiVersion must be strings",
        )
    if declared is not None and (kind, version) != declared:
        raise Failure(
            FailureReason.TLOG_INVALID,
            f"log entry body is {kind} {version}, but the bundle says {declared[0]} {declared[1]}",
        )
    check = _KINDS.get((kind, version))
    if check is None:
        raise Failure(FailureReason.UNSUPPORTED, f"unsupported log entry kind {kind} {version}")
    try:
        check(spec, content)
    except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise Failure(
            FailureReason.MALFORMED, f"log entry body is malformed: {type(exc).__name__}: {exc}"
        ) from None
    return str(kind)
