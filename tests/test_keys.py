from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa, x25519
from cryptography.x509.oid import NameOID

from cosign_verify import (
    ConfigError,
    FileKeyProvider,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    TrustPolicy,
)
from cosign_verify._internal.policy_keys import PolicyKeys
from cosign_verify.errors import ForbiddenError, UnsupportedKeyError
from cosign_verify.keys import describe_key, load_public_key, load_public_keys
from cosign_verify.testing import ALGORITHMS, KeyPair


def spki(key: object) -> str:
    return key.public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def certificate_pem(private_key: object, public_key: object) -> str:
    import datetime

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(private_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_accepted_key_types_load(algorithm: str, key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair(algorithm)
    key = load_public_key(pair.public_pem())
    assert describe_key(key) == algorithm


def test_pkcs1_rsa_and_certificate(key_pair: Callable[..., KeyPair]) -> None:
    pair = key_pair("rsa-2048")
    pkcs1 = pair.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.PKCS1
    ).decode()
    assert "BEGIN RSA PUBLIC KEY" in pkcs1
    assert describe_key(load_public_key(pkcs1)) == "rsa-2048"
    ec_pair = key_pair("ecdsa-p384")
    cert = certificate_pem(ec_pair.private_key, ec_pair.public_key)
    assert describe_key(load_public_key(cert)) == "ecdsa-p384"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: rsa.generate_private_key(65537, 1024).public_key(), "RSA-1024 keys are not accepted"),
        (lambda: rsa.generate_private_key(65537, 2560).public_key(), "RSA-2560 keys are not accepted"),
        (lambda: ec.generate_private_key(ec.SECP224R1()).public_key(), "curve secp224r1 is not accepted"),
        (lambda: ec.generate_private_key(ec.SECP256K1()).public_key(), "curve secp256k1 is not accepted"),
        (lambda: dsa.generate_private_key(2048).public_key(), "DSA keys are not accepted"),
        (lambda: x25519.X25519PrivateKey.generate().public_key(), "X25519 keys are not accepted"),
        (lambda: ed448.Ed448PrivateKey.generate().public_key(), "Ed448 keys are not accepted"),
    ],
)
def test_refused_key_types(make: Callable[[], object], message: str) -> None:
    with pytest.raises(UnsupportedKeyError, match=message):
        load_public_key(spki(make()), source="test key")


def test_refused_certificate_key() -> None:
    weak = rsa.generate_private_key(65537, 1024)
    with pytest.raises(UnsupportedKeyError, match="RSA-1024"):
        load_public_key(certificate_pem(weak, weak.public_key()))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no PEM block found"),
        ("not a key", "no PEM block found"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "cannot read PUBLIC KEY"),
        ("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", "that is a private key"),
        ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "cannot read CERTIFICATE"),
    ],
)
def test_unreadable_keys(text: str, message: str) -> None:
    with pytest.raises(UnsupportedKeyError, match=message):
        load_public_key(text)


def test_one_key_expected_but_bundle_allowed(key_pair: Callable[..., KeyPair]) -> None:
    two = key_pair("ecdsa-p256").public_pem() + key_pair("ed25519").public_pem()
    with pytest.raises(UnsupportedKeyError, match="expected one PEM block, found 2"):
        load_public_key(two)
    assert [describe_key(k) for k in load_public_keys(two)] == ["ecdsa-p256", "ed25519"]


def test_inline_provider_forms(key_pair: Callable[..., KeyPair]) -> None:
    a, b = key_pair("ecdsa-p256"), key_pair("ecdsa-p256", 1)
    single = InlineKeyProvider("kp", a.public_pem())
    assert [(k.name, k.version) for k in single.keys()] == [("kp", "")]
    bundle = InlineKeyProvider("kp", a.public_pem() + b.public_pem())
    assert [k.name for k in bundle.keys()] == ["kp-0", "kp-1"]
    named = InlineKeyProvider(
        "kp", {"key-1": {"v1": a.public_pem(), "v2": b.public_pem()}, "key-2": a.public_pem()}
    )
    assert [(k.name, k.version) for k in named.keys()] == [("key-1", "v1"), ("key-1", "v2"), ("key-2", "")]
    cert = certificate_pem(a.private_key, a.public_key)
    assert len(InlineKeyProvider("certs", cert, content_type="certificate").keys()) == 1
    with pytest.raises(UnsupportedKeyError, match="contentType 'certificate' needs a PEM CERTIFICATE"):
        InlineKeyProvider("certs", a.public_pem(), content_type="certificate")
    with pytest.raises(UnsupportedKeyError, match="contentType 'key' needs PEM public keys"):
        InlineKeyProvider("kp", cert)
    with pytest.raises(ConfigError, match="contentType must be"):
        InlineKeyProvider("kp", a.public_pem(), content_type="blob")
    with pytest.raises(ConfigError, match="has no keys"):
        InlineKeyProvider("kp", {})


def test_file_provider(tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    (tmp_path / "team-a.pub").write_text(key_pair("ecdsa-p256").public_pem())
    (tmp_path / "team-b.pem").write_text(key_pair("rsa-2048").public_pem())
    (tmp_path / "notes.txt").write_text("ignored")
    provider = FileKeyProvider("dir", tmp_path)
    assert [k.name for k in provider.keys()] == ["team-a", "team-b"]
    assert [k.name for k in FileKeyProvider("one", tmp_path / "team-b.pem").keys()] == ["team-b"]
    with pytest.raises(ConfigError, match="does not exist"):
        FileKeyProvider("x", tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"no \.pub or \.pem files"):
        FileKeyProvider("x", empty)
    (tmp_path / "bad.pub").write_text("garbage")
    with pytest.raises(UnsupportedKeyError, match=r"bad.pub"):
        FileKeyProvider("x", tmp_path)


def test_namespace_access_rule(key_pair: Callable[..., KeyPair]) -> None:
    pem = key_pair().public_pem()
    providers = KeyProviders([InlineKeyProvider("shared", pem)])
    providers.add(InlineKeyProvider("kp", pem), namespace="ns1")
    assert providers.names() == ["ns1/kp", "shared"]
    assert providers.get("shared").name == "shared"
    assert providers.get("shared", namespace="ns1").name == "shared"
    assert providers.get("ns1/kp", namespace="ns1").name == "kp"
    with pytest.raises(ForbiddenError, match="namespace 'ns2' may not use key management provider 'ns1/kp'"):
        providers.get("ns1/kp", namespace="ns2")
    with pytest.raises(ForbiddenError, match="a cluster-wide verifier may not use"):
        providers.get("ns1/kp")
    with pytest.raises(ConfigError, match="'nope' is not defined"):
        providers.get("nope")
    with pytest.raises(ConfigError, match="registered twice"):
        providers.add(InlineKeyProvider("shared", pem))
    with pytest.raises(ConfigError, match="invalid key provider name"):
        providers.add(InlineKeyProvider("a/b", pem), namespace="ns")


def policy_with(*keys: KeyRef) -> TrustPolicy:
    return TrustPolicy(name="p", scopes=["*"], keys=keys)


def test_policy_key_resolution(tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    a, b, c = (key_pair("ecdsa-p256", i) for i in range(3))
    providers = KeyProviders(
        [
            InlineKeyProvider(
                "kp", {"key-1": {"v1": a.public_pem(), "v2": b.public_pem()}, "key-2": c.public_pem()}
            )
        ]
    )
    (tmp_path / "local.pub").write_text(c.public_pem())

    def resolved(*refs: KeyRef) -> list[tuple[str, str, str]]:
        keys = PolicyKeys(policy_with(*refs), providers, base_dir=tmp_path).for_namespace(None)
        return [(k.provider, k.name, k.version) for k in keys]

    assert resolved(KeyRef(provider="kp")) == [
        ("kp", "key-1", "v1"),
        ("kp", "key-1", "v2"),
        ("kp", "key-2", ""),
    ]
    assert resolved(KeyRef(provider="kp", name="key-1")) == [("kp", "key-1", "v2")]  # latest
    assert resolved(KeyRef(provider="kp", name="key-1", version="v1")) == [("kp", "key-1", "v1")]
    assert resolved(KeyRef(file="local.pub")) == [("file", "local.pub", "")]
    with pytest.raises(ConfigError, match="trust policy 'p': key management provider 'other' is not defined"):
        resolved(KeyRef(provider="other"))
    with pytest.raises(ConfigError, match="key 'key-3' not found in key management provider 'kp'"):
        resolved(KeyRef(provider="kp", name="key-3"))
    with pytest.raises(ConfigError, match="version 'v9' of key 'key-1' not found"):
        resolved(KeyRef(provider="kp", name="key-1", version="v9"))
    with pytest.raises(UnsupportedKeyError, match="trust policy 'p': cannot read key file"):
        resolved(KeyRef(file="missing.pub"))
