"""``FakeTimestampAuthority``: RFC 3161 timestamps for tests, from a private TSA root."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import _der

SHA256 = _der.sequence(_der.oid("2.16.840.1.101.3.4.2.1"))
ECDSA_SHA256 = _der.sequence(_der.oid("1.2.840.10045.4.3.2"))
ID_CT_TSTINFO = _der.oid("1.2.840.113549.1.9.16.1.4")
ID_SIGNED_DATA = _der.oid("1.2.840.113549.1.7.2")
ATTR_CONTENT_TYPE = _der.oid("1.2.840.113549.1.9.3")
ATTR_MESSAGE_DIGEST = _der.oid("1.2.840.113549.1.9.4")
ATTR_SIGNING_CERTIFICATE_V2 = _der.oid("1.2.840.113549.1.9.16.2.47")
TSA_POLICY = _der.oid("1.3.6.1.4.1.57264.2")


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "cosign-verify test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class FakeTimestampAuthority:
    """A TSA root and a time-stamping certificate that signs RFC 3161 responses (SHA-256, ECDSA P-256)."""

    def __init__(self, *, valid_from: datetime | None = None) -> None:
        start = valid_from or datetime.now(timezone.utc) - timedelta(days=1)
        self.root_key = ec.generate_private_key(ec.SECP256R1())
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.root = (
            x509.CertificateBuilder()
            .subject_name(_name("fake-tsa-root"))
            .issuer_name(_name("fake-tsa-root"))
            .public_key(self.root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.root_key.public_key()), critical=False
            )
            .sign(self.root_key, hashes.SHA256())
        )
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("fake-tsa"))
            .issuer_name(self.root.subject)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + timedelta(days=3650))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.root_key.public_key()), critical=False
            )
            .sign(self.root_key, hashes.SHA256())
        )
        self._serial = 0

    def timestamp(self, message: bytes, *, at: datetime | None = None) -> bytes:
        """A DER TimeStampResp (granted) over ``message``, stating ``at`` (default now)."""
        self._serial += 1
        moment = (at or datetime.now(timezone.utc)).astimezone(timezone.utc)
        tst_info = _der.sequence(
            _der.integer(1),
            TSA_POLICY,
            _der.sequence(SHA256, _der.octet_string(hashlib.sha256(message).digest())),
            _der.integer(self._serial),
            _der.tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode()),
        )
        certificate_der = self.certificate.public_bytes(serialization.Encoding.DER)
        attributes = _der.set_of(
            _der.sequence(ATTR_CONTENT_TYPE, _der.set_of(ID_CT_TSTINFO)),
            _der.sequence(
                ATTR_MESSAGE_DIGEST, _der.set_of(_der.octet_string(hashlib.sha256(tst_info).digest()))
            ),
            _der.sequence(
                ATTR_SIGNING_CERTIFICATE_V2,
                _der.set_of(
                    _der.sequence(
                        _der.sequence(
                            _der.sequence(_der.octet_string(hashlib.sha256(certificate_der).digest()))
                        )
                    )
                ),
            ),
        )
        signature = self.key.sign(attributes, ec.ECDSA(hashes.SHA256()))
        signer_info = _der.sequence(
            _der.integer(1),
            _der.sequence(
                self.certificate.issuer.public_bytes(), _der.integer(self.certificate.serial_number)
            ),
            SHA256,
            b"\xa0" + attributes[1:],  # the signed attributes, [0] IMPLICIT
            ECDSA_SHA256,
            _der.octet_string(signature),
        )
        signed_data = _der.sequence(
            _der.integer(3),
            _der.set_of(SHA256),
            _der.sequence(ID_CT_TSTINFO, _der.explicit(0, _der.octet_string(tst_info))),
            _der.explicit(0, certificate_der),
            _der.set_of(signer_info),
        )
        token = _der.sequence(ID_SIGNED_DATA, _der.explicit(0, signed_data))
        return _der.sequence(_der.sequence(_der.integer(0)), token)
