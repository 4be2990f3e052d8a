"""``FakeFulcio``: a Fulcio-like certificate authority (root, intermediate, a CT log for SCTs), for tests."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .._internal.certificate import OID_ISSUER_V1, OID_ISSUER_V2
from .._internal.crypto import key_id
from .._internal.fulcio_claims import GITHUB_WORKFLOW_CLAIMS, claim_oid
from . import _der
from .keys import PrivateKey

OID_SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _spki(key: Any) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[no-any-return]


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


class FakeFulcio:
    """A root CA, an intermediate that issues code-signing leaves, and a CT log key for their SCTs."""

    def __init__(self, *, now: Callable[[], datetime], start: datetime) -> None:
        self.now = now
        self.root_key = ec.generate_private_key(ec.SECP384R1())
        self.intermediate_key = ec.generate_private_key(ec.SECP384R1())
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.root = self._ca("fake-sigstore-root", self.root_key, self.root_key, None, start, path_length=1)
        self.intermediate = self._ca(
            "fake-sigstore-intermediate",
            self.intermediate_key,
            self.root_key,
            self.root,
            start,
            path_length=0,
        )
        self.ct_log_id = key_id(self.ct_key.public_key())

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
        extensions: Mapping[str, str] | None = None,
    ) -> tuple[x509.Certificate, PrivateKey]:
        """A Fulcio-like leaf certificate for ``identity`` (an email, or a URI when it has ``://``).

        ``sct``: True embeds a valid SCT, False none, ``"corrupt"`` one whose signature does not verify.
        ``extensions``: more Fulcio claims, by cosign's GitHub names
        (``certificateGithubWorkflowRef``: raw UTF-8, as Fulcio wrote them),
        Fulcio's names (``sourceRepositoryRef``: DER UTF8String) or dotted OID.
        """
        private_key: PrivateKey = key if key is not None else ec.generate_private_key(ec.SECP256R1())
        start = not_before or self.now() - timedelta(seconds=30)
        builder = self._leaf(identity, issuer, private_key, start, lifetime, code_signing)
        for name, value in (extensions or {}).items():
            oid = claim_oid(name, "extensions")
            raw = oid in GITHUB_WORKFLOW_CLAIMS.values()
            encoded = value.encode() if raw else _der.utf8_string(value)
            builder = builder.add_extension(
                x509.UnrecognizedExtension(ObjectIdentifier(oid), encoded), critical=False
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

    def _leaf(
        self,
        identity: str,
        issuer: str,
        private_key: PrivateKey,
        start: datetime,
        lifetime: timedelta,
        code_signing: bool,
    ) -> x509.CertificateBuilder:
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
        return builder

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
