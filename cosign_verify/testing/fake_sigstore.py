"""``FakeSigstore``: a private Sigstore for tests: Fulcio-like CA, CT log, Rekor log, and its trusted root.

Certificates carry the identity (email or URI SAN), the OIDC issuer
extensions and an embedded SCT, like Fulcio's. Log entries get a
SignedEntryTimestamp, an inclusion proof and a signed checkpoint, like
Rekor v1's. ``trusted_root_json()`` describes it all in Sigstore's
TrustedRoot format, so verifiers can be pointed at it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .._internal.crypto import key_id
from .fake_fulcio import FakeFulcio
from .fake_rekor import FakeRekor, LogRecord
from .fake_tsa import FakeTimestampAuthority
from .keys import PrivateKey, sign_bytes


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _spki(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[no-any-return]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeSigstore:
    """A complete, private Sigstore deployment in memory, for tests.

    ``now`` fixes the clock used for certificates and log entries (default:
    the real time at each call).
    """

    def __init__(self, *, now: datetime | None = None, origin: str = "rekor.fake.test - 1") -> None:
        self._now = now
        self.origin = origin
        start = self.now() - timedelta(days=1)
        self.fulcio = FakeFulcio(now=self.now, start=start)
        self.rekor = FakeRekor(now=self.now, origin=origin)
        self.tsa = FakeTimestampAuthority(valid_from=start)
        # The CA's parts, by the names the trusted root and older tests use.
        self.root, self.intermediate = self.fulcio.root, self.fulcio.intermediate
        self.ct_key, self.ct_log_id = self.fulcio.ct_key, self.fulcio.ct_log_id

    def now(self) -> datetime:
        """The fake's clock."""
        return self._now or datetime.now(timezone.utc)

    # --- the CA ------------------------------------------------------------------

    def issue(
        self, identity: str = "signer@example.com", issuer: str = "https://issuer.example", **options: Any
    ) -> tuple[x509.Certificate, PrivateKey]:
        """A Fulcio-like leaf certificate for ``identity`` (see :meth:`FakeFulcio.issue`)."""
        return self.fulcio.issue(identity, issuer, **options)

    def chain_pem(self) -> bytes:
        """The intermediate and root certificates in PEM, as cosign's chain annotation holds them."""
        return self.fulcio.chain_pem()

    # --- the Rekor log (see FakeRekor) ---------------------------------------------------

    @property
    def rekor_key(self) -> ec.EllipticCurvePrivateKey:
        """The Rekor log's signing key."""
        return self.rekor.key

    @property
    def rekor_log_id(self) -> bytes:
        """The Rekor log's id (SHA-256 of its public key)."""
        return self.rekor.log_id

    @property
    def records(self) -> list[LogRecord]:
        """Every entry logged so far, in log order."""
        return self.rekor.records

    def log(self, payload: bytes, signature: bytes, verifier_pem: bytes, **options: Any) -> LogRecord:
        """Log a hashedrekord entry (see :meth:`FakeRekor.log`)."""
        return self.rekor.log(payload, signature, verifier_pem, **options)

    def log_dsse(self, payload: bytes, signature: bytes, verifier_pem: bytes, **options: Any) -> LogRecord:
        """Log a dsse entry (see :meth:`FakeRekor.log_dsse`)."""
        return self.rekor.log_dsse(payload, signature, verifier_pem, **options)

    def checkpoint(self, tree_size: int | None = None) -> tuple[str, bytes]:
        """A signed checkpoint of the log (see :meth:`FakeRekor.checkpoint`)."""
        return self.rekor.checkpoint(tree_size)

    def entry_document(self, record: LogRecord) -> dict[str, Any]:
        """What Rekor's API answers for ``record`` (see :meth:`FakeRekor.entry_document`)."""
        return self.rekor.entry_document(record)

    # --- signing ------------------------------------------------------------------------

    def sign(
        self,
        payload: bytes,
        *,
        identity: str = "signer@example.com",
        issuer: str = "https://issuer.example",
        bundle: bool = True,
        timestamp: bool | datetime = False,
        **certificate_options: Any,
    ) -> tuple[bytes, dict[str, str]]:
        """Sign ``payload`` keyless: returns the signature and cosign's layer annotations
        (certificate, chain, and, with ``bundle``, the Rekor bundle; the entry is logged either way).

        ``timestamp`` adds an RFC 3161 timestamp over the signature (a datetime: stating that time).
        """
        certificate, private_key = self.issue(identity, issuer, **certificate_options)
        signature = sign_bytes(private_key, payload)
        annotations = {
            "dev.sigstore.cosign/certificate": _pem(certificate).decode(),
            "dev.sigstore.cosign/chain": self.chain_pem().decode(),
        }
        record = self.log(payload, signature, _pem(certificate))
        if bundle:
            annotations["dev.sigstore.cosign/bundle"] = record.cosign_bundle()
        if timestamp is not False:
            at = timestamp if isinstance(timestamp, datetime) else None
            response = self.tsa.timestamp(signature, at=at)
            annotations["dev.sigstore.cosign/rfc3161timestamp"] = json.dumps(
                {"SignedRFC3161Timestamp": base64.b64encode(response).decode()}
            )
        return signature, annotations

    def signer(
        self,
        identity: str = "signer@example.com",
        issuer: str = "https://issuer.example",
        *,
        bundle: bool = True,
        timestamp: bool | datetime = False,
        **certificate_options: Any,
    ) -> KeylessSigner:
        """A keyless signer for :func:`~cosign_verify.testing.sign_image`: certificates for ``identity``.

        ``bundle`` attaches the Rekor bundle to legacy signatures (the entry
        is logged either way); ``timestamp`` adds an RFC 3161 timestamp;
        ``certificate_options`` go to :meth:`issue` (``sct=False``,
        ``lifetime=...``, ``code_signing=False``...).
        """
        return KeylessSigner(
            sigstore=self,
            identity=identity,
            issuer=issuer,
            bundle=bundle,
            timestamp=timestamp,
            certificate_options=certificate_options,
        )

    def sigstore_bundle(
        self,
        payload: bytes,
        signature: bytes,
        certificate: x509.Certificate | None,
        record: LogRecord,
        *,
        payload_type: str | None = None,
        public_key: Any = None,
        message_hash: str = "sha256",
    ) -> dict[str, Any]:
        """A Sigstore bundle v0.3 for a logged signature, with its SET, inclusion proof and checkpoint.

        ``message_hash`` is the digest a message-signature bundle states (``sha256``, ``sha384``, ``sha512``).

        With ``payload_type`` the bundle holds a DSSE envelope (``payload`` is
        the envelope's payload); otherwise a message signature over ``payload``.
        Without a ``certificate``, ``public_key`` gives the verification
        material's key hint.
        """
        document = self.entry_document(record)[record.uuid]
        proof = document["verification"]["inclusionProof"]

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode()

        if certificate is not None:
            material: dict[str, Any] = {
                "certificate": {"rawBytes": b64(certificate.public_bytes(serialization.Encoding.DER))}
            }
        else:
            material = {"publicKey": {"hint": b64(hashlib.sha256(_spki(public_key)).digest())}}
        material["tlogEntries"] = [_tlog_entry(record, proof)]
        bundle: dict[str, Any] = {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": material,
        }
        if payload_type is not None:
            bundle["dsseEnvelope"] = {
                "payload": b64(payload),
                "payloadType": payload_type,
                "signatures": [{"sig": b64(signature), "keyid": ""}],
            }
        else:
            bundle["messageSignature"] = {
                "messageDigest": {
                    "algorithm": "SHA2_" + message_hash.removeprefix("sha"),
                    "digest": b64(hashlib.new(message_hash, payload).digest()),
                },
                "signature": b64(signature),
            }
        return bundle

    # --- the trusted root -------------------------------------------------------------------

    def trusted_root_json(self, *, ct_logs: bool = True, ca_valid_from: datetime | None = None) -> str:
        """This deployment in Sigstore's TrustedRoot JSON."""
        start = _rfc3339(ca_valid_from or self.root.not_valid_before_utc)

        def log(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, Any]:
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": base64.b64encode(_spki(key.public_key())).decode(),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": base64.b64encode(key_id(key.public_key())).decode()},
            }

        document = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [log(self.rekor_key, "https://rekor.fake.test")],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "cosign-verify test", "commonName": "fake-sigstore"},
                    "uri": "https://fulcio.fake.test",
                    "certChain": {
                        "certificates": [
                            {
                                "rawBytes": base64.b64encode(
                                    c.public_bytes(serialization.Encoding.DER)
                                ).decode()
                            }
                            for c in (self.intermediate, self.root)
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [log(self.ct_key, "https://ctfe.fake.test")] if ct_logs else [],
            "timestampAuthorities": [
                {
                    "subject": {"organization": "cosign-verify test", "commonName": "fake-tsa"},
                    "uri": "https://tsa.fake.test",
                    "certChain": {
                        "certificates": [
                            {
                                "rawBytes": base64.b64encode(
                                    c.public_bytes(serialization.Encoding.DER)
                                ).decode()
                            }
                            for c in (self.tsa.certificate, self.tsa.root)
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
        }
        return json.dumps(document, indent=2)

    def write_trusted_root(self, path: str | Path, **options: Any) -> Path:
        """Write :meth:`trusted_root_json` to ``path``; returns it."""
        target = Path(path)
        target.write_text(self.trusted_root_json(**options))
        return target


@attrs.frozen(kw_only=True)
class KeylessSigner:
    """Signs as a keyless cosign client does, with a :class:`FakeSigstore`: see :meth:`FakeSigstore.signer`."""

    sigstore: FakeSigstore
    identity: str
    issuer: str
    bundle: bool = True
    timestamp: bool | datetime = False
    certificate_options: Mapping[str, Any] = attrs.field(factory=dict)

    def sign(self, payload: bytes) -> tuple[bytes, dict[str, str]]:
        """A legacy signature over ``payload`` and cosign's layer annotations."""
        return self.sigstore.sign(
            payload,
            identity=self.identity,
            issuer=self.issuer,
            bundle=self.bundle,
            timestamp=self.timestamp,
            **self.certificate_options,
        )

    def sign_bundle(self, statement: bytes) -> dict[str, Any]:
        """A Sigstore bundle v0.3 with ``statement`` in a DSSE envelope, logged as a ``dsse`` entry."""
        from .._internal.log_entry import IN_TOTO_PAYLOAD_TYPE, pae

        certificate, private_key = self.sigstore.issue(self.identity, self.issuer, **self.certificate_options)
        signature = sign_bytes(private_key, pae(IN_TOTO_PAYLOAD_TYPE, statement))
        record = self.sigstore.log_dsse(
            statement, signature, certificate.public_bytes(serialization.Encoding.PEM)
        )
        return self.sigstore.sigstore_bundle(
            statement, signature, certificate, record, payload_type=IN_TOTO_PAYLOAD_TYPE
        )


def _tlog_entry(record: LogRecord, proof: dict[str, Any]) -> dict[str, Any]:
    """A bundle's ``tlogEntries[]`` item for ``record``, with its SET and inclusion proof."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "logIndex": str(record.log_index),
        "logId": {"keyId": b64(bytes.fromhex(record.log_id))},
        "kindVersion": {"kind": record.kind, "version": "0.0.1"},
        "integratedTime": str(record.integrated_time),
        "inclusionPromise": {"signedEntryTimestamp": record.signed_entry_timestamp},
        "inclusionProof": {
            "logIndex": str(record.log_index),
            "rootHash": b64(bytes.fromhex(proof["rootHash"])),
            "treeSize": str(proof["treeSize"]),
            "hashes": [b64(bytes.fromhex(h)) for h in proof["hashes"]],
            "checkpoint": {"envelope": proof["checkpoint"]},
        },
        "canonicalizedBody": record.body,
    }
