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
import struct
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .._internal.certificate import OID_ISSUER_V1, OID_ISSUER_V2
from .._internal.crypto import key_id
from .._internal.rekor import leaf_hash, node_hash
from . import _der
from .fake_tsa import FakeTimestampAuthority
from .keys import PrivateKey, sign_bytes

OID_SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _spki(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[no-any-return]


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def merkle_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of already-hashed leaves."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    return node_hash(merkle_root(leaves[:split]), merkle_root(leaves[split:]))


def inclusion_path(index: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 audit path for leaf ``index``."""
    if len(leaves) <= 1:
        return []
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    if index < split:
        return [*inclusion_path(index, leaves[:split]), merkle_root(leaves[split:])]
    return [*inclusion_path(index - split, leaves[split:]), merkle_root(leaves[:split])]


@attrs.frozen(kw_only=True)
class LogRecord:
    """One fake Rekor entry, with what a cosign bundle and the v1 API need."""

    uuid: str
    body: str
    integrated_time: int
    log_index: int
    log_id: str
    signed_entry_timestamp: str
    payload_sha256: str
    kind: str = "hashedrekord"

    def cosign_bundle(self) -> str:
        """The ``dev.sigstore.cosign/bundle`` annotation for this entry."""
        return json.dumps(
            {
                "SignedEntryTimestamp": self.signed_entry_timestamp,
                "Payload": {
                    "body": self.body,
                    "integratedTime": self.integrated_time,
                    "logIndex": self.log_index,
                    "logID": self.log_id,
                },
            },
            separators=(",", ":"),
        )


class FakeSigstore:
    """A complete, private Sigstore deployment in memory, for tests.

    ``now`` fixes the clock used for certificates and log entries (default:
    the real time at each call).
    """

    def __init__(self, *, now: datetime | None = None, origin: str = "rekor.fake.test - 1") -> None:
        self._now = now
        self.origin = origin
        start = self.now() - timedelta(days=1)
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.intermediate_key = ec.generate_private_key(ec.SECP384R1())
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor_key = ec.generate_private_key(ec.SECP256R1())
        self.root = self._ca("fake-sigstore-root", self.root_key, self.root_key, None, start, path_length=1)
        self.intermediate = self._ca(
            "fake-sigstore-intermediate",
            self.intermediate_key,
            self.root_key,
            self.root,
            start,
            path_length=0,
        )
        self.rekor_log_id = key_id(self.rekor_key.public_key())
        self.ct_log_id = key_id(self.ct_key.public_key())
        self.tsa = FakeTimestampAuthority(valid_from=start)
        self.records: list[LogRecord] = []
        self._leaves: list[bytes] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The fake's clock."""
        return self._now or datetime.now(timezone.utc)

    # --- the CA ------------------------------------------------------------------

    def _ca(
        self,
        name: str,
        key: ec.EllipticCurvePrivateKey,
        signer: ec.EllipticCurvePrivateKey,
        issuer: x509.Certificate | None,
        start: datetime,
        *,
        path_length: int,
    ) -> x509.Certificate:
        subject = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cosign-verify test"),
                x509.NameAttribute(NameOID.COMMON_NAME, name),
            ]
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
            ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        return builder.sign(signer, hashes.SHA384())

    def issue(
        self,
        identity: str = "signer@example.com",
        issuer: str = "https://issuer.example",
        *,
        key: PrivateKey | None = None,
        not_before: datetime | None = None,
        lifetime: timedelta = timedelta(minutes=10),
        sct: bool | str = True,
        code_signing: bool = True,
    ) -> tuple[x509.Certificate, PrivateKey]:
        """A Fulcio-like leaf certificate for ``identity`` (an email, or a URI when it has ``://``).

        ``sct``: True embeds a valid SCT, False none, ``"corrupt"`` one whose signature does not verify.
        """
        private_key: PrivateKey = key if key is not None else ec.generate_private_key(ec.SECP256R1())
        start = not_before or self.now() - timedelta(seconds=30)
        name: x509.GeneralName = (
            x509.UniformResourceIdentifier(identity) if "://" in identity else x509.RFC822Name(identity)
        )
        usages = [ExtendedKeyUsageOID.CODE_SIGNING if code_signing else ExtendedKeyUsageOID.CLIENT_AUTH]
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate.subject)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + lifetime)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.intermediate_key.public_key()),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName([name]), critical=True)
            .add_extension(x509.UnrecognizedExtension(OID_ISSUER_V1, issuer.encode()), critical=False)
            .add_extension(
                x509.UnrecognizedExtension(OID_ISSUER_V2, _der.utf8_string(issuer)), critical=False
            )
        )
        if not sct:
            return builder.sign(self.intermediate_key, hashes.SHA384()), private_key
        precertificate = builder.sign(self.intermediate_key, hashes.SHA384())
        sct_list = self._sct_list(precertificate.tbs_certificate_bytes, start, corrupt=sct == "corrupt")
        certificate = builder.add_extension(
            x509.UnrecognizedExtension(OID_SCT_LIST, _der.octet_string(sct_list)), critical=False
        ).sign(self.intermediate_key, hashes.SHA384())
        assert certificate.tbs_precertificate_bytes == precertificate.tbs_certificate_bytes
        return certificate, private_key

    def _sct_list(self, tbs: bytes, when: datetime, *, corrupt: bool = False) -> bytes:
        timestamp = (when - _EPOCH) // timedelta(milliseconds=1)
        issuer_key_hash = hashlib.sha256(_spki(self.intermediate_key.public_key())).digest()
        signed = (
            struct.pack(">BBQH", 0, 0, timestamp, 1)
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack(">H", 0)
        )
        signature = self.ct_key.sign(signed + (b"x" if corrupt else b""), ec.ECDSA(hashes.SHA256()))
        sct = (
            bytes([0])
            + self.ct_log_id
            + struct.pack(">Q", timestamp)
            + struct.pack(">H", 0)
            + bytes([4, 3])
            + struct.pack(">H", len(signature))
            + signature
        )
        item = struct.pack(">H", len(sct)) + sct
        return struct.pack(">H", len(item)) + item

    def chain_pem(self) -> bytes:
        """The ``dev.sigstore.cosign/chain`` annotation: intermediate, then root."""
        return _pem(self.intermediate) + _pem(self.root)

    # --- the Rekor log ---------------------------------------------------------------

    def log(
        self,
        payload: bytes,
        signature: bytes,
        verifier_pem: bytes,
        *,
        integrated_time: datetime | None = None,
    ) -> LogRecord:
        """Append a hashedrekord entry for ``signature`` over ``payload`` and sign its SET."""
        digest = hashlib.sha256(payload).hexdigest()
        entry = {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": digest}},
                "signature": {
                    "content": base64.b64encode(signature).decode(),
                    "publicKey": {"content": base64.b64encode(verifier_pem).decode()},
                },
            },
        }
        return self._append(entry, digest, integrated_time)

    def log_dsse(
        self,
        payload: bytes,
        signature: bytes,
        verifier_pem: bytes,
        *,
        integrated_time: datetime | None = None,
    ) -> LogRecord:
        """Append a dsse 0.0.1 entry for a DSSE envelope's ``payload`` and ``signature``."""
        digest = hashlib.sha256(payload).hexdigest()
        entry = {
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "payloadHash": {"algorithm": "sha256", "value": digest},
                "signatures": [
                    {
                        "signature": base64.b64encode(signature).decode(),
                        "verifier": base64.b64encode(verifier_pem).decode(),
                    }
                ],
            },
        }
        return self._append(entry, digest, integrated_time)

    def _append(
        self, entry: dict[str, Any], payload_sha256: str, integrated_time: datetime | None
    ) -> LogRecord:
        import rfc8785

        body_bytes = json.dumps(entry, separators=(",", ":")).encode()
        body = base64.b64encode(body_bytes).decode()
        moment = int((integrated_time or self.now()).timestamp())
        with self._lock:
            index = len(self._leaves)
            self._leaves.append(leaf_hash(body_bytes))
            fields: dict[str, str | int] = {
                "body": body,
                "integratedTime": moment,
                "logIndex": index,
                "logID": self.rekor_log_id.hex(),
            }
            set_signature = self.rekor_key.sign(rfc8785.dumps(fields), ec.ECDSA(hashes.SHA256()))
            record = LogRecord(
                uuid=leaf_hash(body_bytes).hex(),
                body=body,
                integrated_time=moment,
                log_index=index,
                log_id=self.rekor_log_id.hex(),
                signed_entry_timestamp=base64.b64encode(set_signature).decode(),
                payload_sha256=payload_sha256,
                kind=str(entry["kind"]),
            )
            self.records.append(record)
        return record

    def checkpoint(self, tree_size: int | None = None) -> tuple[str, bytes]:
        """A signed-note checkpoint for the log at ``tree_size`` (default: now); returns it and the root."""
        with self._lock:
            leaves = self._leaves[: tree_size if tree_size is not None else len(self._leaves)]
        root = merkle_root(leaves)
        body = f"{self.origin}\n{len(leaves)}\n{base64.b64encode(root).decode()}\n"
        signature = self.rekor_key.sign(body.encode(), ec.ECDSA(hashes.SHA256()))
        note = base64.b64encode(self.rekor_log_id[:4] + signature).decode()
        signer = self.origin.split(" ")[0]  # like Rekor: the key's name is the host, without the tree id
        return f"{body}\n\u2014 {signer} {note}\n", root

    def entry_document(self, record: LogRecord) -> dict[str, Any]:
        """What Rekor's ``GET /api/v1/log/entries/{uuid}`` answers for ``record``."""
        with self._lock:
            leaves = list(self._leaves)
        checkpoint, root = self.checkpoint(len(leaves))
        return {
            record.uuid: {
                "body": record.body,
                "integratedTime": record.integrated_time,
                "logID": record.log_id,
                "logIndex": record.log_index,
                "verification": {
                    "signedEntryTimestamp": record.signed_entry_timestamp,
                    "inclusionProof": {
                        "checkpoint": checkpoint,
                        "hashes": [h.hex() for h in inclusion_path(record.log_index, leaves)],
                        "logIndex": record.log_index,
                        "rootHash": root.hex(),
                        "treeSize": len(leaves),
                    },
                },
            }
        }

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
    ) -> dict[str, Any]:
        """A Sigstore bundle v0.3 for a logged signature, with its SET, inclusion proof and checkpoint.

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
        material["tlogEntries"] = [
            {
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
        ]
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
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64(hashlib.sha256(payload).digest())},
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
