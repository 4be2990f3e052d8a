"""Fulcio's certificate extensions are read only in the encodings Fulcio writes: DER, nothing looser."""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cosign_verify._internal.certificate import OID_ISSUER_V1, OID_ISSUER_V2, fulcio_issuer
from cosign_verify._internal.fulcio_claims import der_utf8

LONG = "https://token.actions.githubusercontent.com/" + "x" * 200


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        (b"\x0c\x03abc", "abc"),
        (b"\x0c\x00", ""),
        (b"\x0c\x81\xf4" + LONG.encode(), LONG),  # long form where the short one cannot say it
        (b"\x0c\x81\x03abc", None),  # long form for a length the short form says
        (b"\x0c\x82\x00\x03abc", None),  # a leading zero in the length
        (b"\x0c\x80abc\x00\x00", None),  # indefinite length
        (b"\x0c\x82\x01", None),  # the length's bytes cut short
        (b"\x0c\x04abc", None),  # shorter than it says
        (b"\x0c\x02abc", None),  # longer than it says
        (b"\x13\x03abc", None),  # a PrintableString, not a UTF8String
        (b"\x0c\x02\xc3\x28", None),  # not UTF-8
    ],
)
def test_der_utf8(encoded: bytes, expected: str | None) -> None:
    assert der_utf8(encoded) == expected


def certificate(*extensions: tuple[x509.ObjectIdentifier, bytes]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(minutes=10))
    )
    for oid, value in extensions:
        builder = builder.add_extension(x509.UnrecognizedExtension(oid, value), critical=False)
    return builder.sign(key, hashes.SHA256())


def test_the_issuer_comes_from_v2_and_v1_only_without_v2() -> None:
    good, other = "https://accounts.example", "https://attacker.example"
    assert fulcio_issuer(certificate((OID_ISSUER_V2, b"\x0c\x18" + good.encode()))) == good
    assert fulcio_issuer(certificate((OID_ISSUER_V1, good.encode()))) == good
    both = certificate((OID_ISSUER_V2, b"\x0c\x18" + good.encode()), (OID_ISSUER_V1, other.encode()))
    assert fulcio_issuer(both) == good
    # a malformed v2 is no issuer at all: never the deprecated v1's value in its place
    malformed = certificate((OID_ISSUER_V2, b"\x0c\x80" + good.encode()), (OID_ISSUER_V1, other.encode()))
    assert fulcio_issuer(malformed) is None
    assert fulcio_issuer(certificate()) is None
