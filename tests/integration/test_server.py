"""``cosign-verify serve`` over real HTTP and TLS: Gatekeeper's requests, as Gatekeeper sends them."""

from __future__ import annotations

import datetime
import http.client
import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import KeyPair, RegistryServer, push_image, sign_image
from cosign_verify.testing.docker_registry import free_port

pytestmark = pytest.mark.integration

VERIFY = "/ratify/gatekeeper/v1/verify"
MUTATE = "/ratify/gatekeeper/v1/mutate"


@attrs.frozen
class Images:
    registry: str
    signed: str  # by digest
    signed_tag: str
    unsigned: str


@pytest.fixture(scope="module")
def images(key_pair: Callable[..., KeyPair]) -> Iterator[Images]:
    with RegistryServer() as server:
        store = OCIRegistryStore()
        signed = push_image(store, f"{server.registry}/org/app:v1")
        sign_image(store, signed, key_pair())
        unsigned = push_image(store, f"{server.registry}/org/unsigned:v1")
        assert signed.digest and unsigned.digest
        yield Images(
            registry=server.registry,
            signed=str(signed.with_digest(signed.digest)),
            signed_tag=f"{server.registry}/org/app:v1",
            unsigned=str(unsigned.with_digest(unsigned.digest)),
        )


def write_config(directory: Path, pair: KeyPair) -> Path:
    (directory / "k.pub").write_text(pair.public_pem())
    policy = {"name": "org", "scopes": ["*"], "keys": [{"file": "k.pub"}], "tLogVerify": False}
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": "application/vnd.dev.cosign.artifact.sig.v1+json",
                    "trustPolicies": [policy],
                }
            ]
        },
    }
    path = directory / "config.json"
    path.write_text(json.dumps(config))
    return path


@attrs.frozen
class Server:
    port: int
    process: subprocess.Popen[str]
    context: ssl.SSLContext | None = None
    probe_port: int = 0

    def probe(self, path: str) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.probe_port, timeout=10)
        try:
            connection.request("GET", path)
            answer = connection.getresponse()
            return answer.status, answer.read().decode()
        finally:
            connection.close()

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
        connection: http.client.HTTPConnection
        if self.context is not None:
            connection = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=10)
        else:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        try:
            return answer.status, json.loads(data)
        except ValueError:
            return answer.status, data.decode()

    def provider(self, path: str, *keys: str) -> tuple[int, Any]:
        request = {
            "apiVersion": "externaldata.gatekeeper.sh/v1beta1",
            "kind": "ProviderRequest",
            "request": {"keys": list(keys)},
        }
        return self.request("POST", path, json.dumps(request).encode())


def start(config: Path, *extra: str, context: ssl.SSLContext | None = None) -> Server:
    port, probe_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "cosign_verify", "serve", "--config", str(config), "--host", "127.0.0.1",
         "--port", str(port), "--probe-port", str(probe_port), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=config.parent,
        env={**os.environ, "DOCKER_CONFIG": str(config.parent)},
    )  # fmt: skip
    server = Server(port, process, context, probe_port)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited {process.returncode}: {process.communicate()[1]}")
        try:
            if server.probe("/readyz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the provider did not become ready")


def stop(server: Server) -> str:
    server.process.terminate()
    _, err = server.process.communicate(timeout=20)
    assert "Traceback" not in err, err
    return err


@pytest.fixture(scope="module")
def server(
    images: Images, tmp_path_factory: pytest.TempPathFactory, key_pair: Callable[..., KeyPair]
) -> Iterator[Server]:
    running = start(write_config(tmp_path_factory.mktemp("serve"), key_pair()), "--processes", "2")
    yield running
    stop(running)


def test_verify_answers_each_key(server: Server, images: Images) -> None:
    status, body = server.provider(VERIFY, images.signed, images.unsigned, images.signed_tag, "Not A Ref")
    assert status == 200
    assert body["apiVersion"] == "externaldata.gatekeeper.sh/v1beta1" and body["kind"] == "ProviderResponse"
    assert body["response"]["idempotent"] is False and "systemError" not in body["response"]
    items = {item["key"]: item for item in body["response"]["items"]}
    assert list(items) == [images.signed, images.unsigned, images.signed_tag, "Not A Ref"]
    assert items[images.signed]["value"]["isSuccess"] is True and "error" not in items[images.signed]
    assert items[images.signed]["value"]["subject"] == images.signed
    assert items[images.signed]["value"]["verifierReports"][0]["extensions"]["trustPolicy"] == "org"
    assert items[images.unsigned]["value"]["isSuccess"] is False
    assert items[images.unsigned]["value"]["reason"] == "no-signatures"
    assert items[images.signed_tag]["value"]["isSuccess"] is True  # resolved, then verified by digest
    assert (
        items["Not A Ref"]["value"]["isSuccess"] is False
        and "invalid reference" in items["Not A Ref"]["error"]
    )


def test_v1alpha1_requests_are_answered_in_kind(server: Server, images: Images) -> None:
    request = {
        "apiVersion": "externaldata.gatekeeper.sh/v1alpha1",
        "kind": "ProviderRequest",
        "request": {"keys": [images.signed]},
    }
    status, body = server.request("POST", VERIFY, json.dumps(request).encode())
    assert status == 200 and body["apiVersion"] == "externaldata.gatekeeper.sh/v1alpha1"


def test_mutate_pins_tags_to_digests(server: Server, images: Images) -> None:
    missing = f"{images.registry}/org/app:no-such-tag"
    status, body = server.provider(MUTATE, images.signed_tag, images.signed, missing, "Not A Ref")
    assert status == 200 and body["response"]["idempotent"] is True
    items = {item["key"]: item for item in body["response"]["items"]}
    assert items[images.signed_tag]["value"] == images.signed.replace(":v1@", "@")
    assert items[images.signed]["value"] == images.signed.replace(":v1@", "@")
    assert items[missing]["value"] == missing and "not found" in items[missing]["error"]
    assert items["Not A Ref"]["error"].startswith("invalid image reference")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", VERIFY, b"not json", 400, "request body is not JSON"),
        ("POST", VERIFY, b"[]", 400, "not a ProviderRequest object"),
        ("POST", VERIFY, b'{"kind": "Pod", "request": {"keys": []}}', 400, "kind is 'Pod'"),
        ("POST", VERIFY, b'{"request": {"keys": "img"}}', 400, "request.keys must be a list"),
        ("POST", VERIFY, b'{"apiVersion": "v9", "request": {"keys": []}}', 400, "unsupported apiVersion"),
        ("POST", VERIFY, b"[" * 100_000, 400, "request body is not JSON"),
        ("POST", MUTATE, b"{}", 400, "request.keys must be a list"),
        ("POST", VERIFY, b" " * (2 << 20), 400, "request body is"),
        ("GET", VERIFY, None, 405, "takes POST"),
        ("POST", "/healthz", b"", 405, "takes GET"),
        ("GET", "/nowhere", None, 404, "no endpoint"),
    ],
)
def test_malformed_requests_get_a_clear_4xx(
    server: Server, method: str, path: str, body: bytes | None, status: int, message: str
) -> None:
    got, answer = server.request(method, path, body)
    assert got == status
    assert message in json.dumps(answer)


def test_health_readiness_and_metrics(server: Server, images: Images) -> None:
    assert server.request("GET", "/healthz") == (200, {"status": "ok"})
    assert server.request("GET", "/readyz") == (200, {"status": "ready"})
    assert server.probe("/readyz") == (200, '{"status":"ready"}')
    server.provider(VERIFY, images.signed, images.unsigned)
    status, text = server.probe("/metrics")  # every worker's counts, from the master
    assert status == 200
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert samples['cosign_verify_verifications_total{outcome="success",reason="none"}'] >= 1
    assert samples['cosign_verify_verifications_total{outcome="failure",reason="no-signatures"}'] >= 1
    assert any(key.startswith("cosign_verify_request_duration_seconds_count{") for key in samples)
    assert any(key.startswith("cosign_verify_cache_lookups_total") for key in samples)
    assert samples.get("cosign_verify_registry_requests_total", 0) >= 1


def test_bad_configuration_and_flags_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty.json").write_text("{}")
    for argv, message in (
        (["--config", "empty.json"], "no cosign verifier"),
        (["--config", "empty.json", "--tls-cert", "c.pem"], "--tls-cert and --tls-key go together"),
        (["--config", "empty.json", "--client-ca", "ca.pem"], "--client-ca (mTLS) needs --tls-cert"),
        (["--config", "empty.json", "--port", "70000"], "70000 is not a TCP port"),
        (["--config", "empty.json", "--probe-port", "-5"], "-5 is not a TCP port"),
        (["--config", "empty.json", "--threads", "0"], "--threads: 0 is not a positive number"),
        (["--config", "empty.json", "--processes", "0"], "--processes: 0 is not a positive number"),
        (["--config", "empty.json", "--timeout", "0"], "--timeout: 0 is not a positive number of seconds"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "cosign_verify", "serve", *argv],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=30,
            check=False,
        )
        assert result.returncode == 2, result.stderr
        assert message in result.stderr and "Traceback" not in result.stderr


# --- TLS and client certificates (how Gatekeeper calls a provider) ----------------------------------------


@attrs.frozen
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _issue(
    directory: Path, name: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None, usage: Any
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True)
    )
    if usage is not None:
        import ipaddress

        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    certificate = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    (directory / f"{name}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return certificate, key


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca = _issue(directory, "ca", None, None)
    _issue(directory, "server", ca, ExtendedKeyUsageOID.SERVER_AUTH)
    _issue(directory, "client", ca, ExtendedKeyUsageOID.CLIENT_AUTH)
    return Pki(
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server.key",
        directory / "client.pem",
        directory / "client.key",
    )


def test_mutual_tls(images: Images, pki: Pki, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    with_client = ssl.create_default_context(cafile=str(pki.ca))
    with_client.load_cert_chain(str(pki.client_cert), str(pki.client_key))
    running = start(
        write_config(tmp_path, key_pair()),
        "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key), "--client-ca", str(pki.ca),
        "--processes", "1",
        context=with_client,
    )  # fmt: skip
    try:
        status, body = running.provider(VERIFY, images.signed)
        assert status == 200 and body["response"]["items"][0]["value"]["isSuccess"] is True
        # the kubelet and Prometheus present no client certificate: they use the plain probe port
        assert running.probe("/healthz")[0] == 200 and running.probe("/readyz")[0] == 200
        status, text = running.probe("/metrics")
        assert status == 200 and 'cosign_verify_verifications_total{outcome="success",reason="none"}' in text
        anonymous = attrs.evolve(running, context=ssl.create_default_context(cafile=str(pki.ca)))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            anonymous.provider(VERIFY, images.signed)
        plain = attrs.evolve(running, context=None)
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            plain.provider(VERIFY, images.signed)
    finally:
        stop(running)


def test_two_providers_share_one_redis(
    redis_server: Any, tmp_path: Path, key_pair: Callable[..., KeyPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two provider processes behind one Redis: the registry serves each referrer list and manifest about once."""
    pair = key_pair()
    with RegistryServer() as registry:
        store = OCIRegistryStore()
        images = []
        for index in range(20):
            image = push_image(store, f"{registry.registry}/shared/app{index}:v1")
            sign_image(store, image, pair)
            assert image.digest
            images.append(str(image.with_digest(image.digest)))
        config = write_config(tmp_path, pair)
        data = json.loads(config.read_text())
        data["store"]["plugins"][0]["cache"] = {"type": "redis", "url": redis_server.url}
        config.write_text(json.dumps(data))
        registry.clear()
        first = start(config, "--processes", "1")
        second = start(config, "--processes", "1")
        try:
            for server, keys in ((first, images[:10]), (second, images), (first, images[10:])):
                status, body = server.provider(VERIFY, *keys)
                assert status == 200
                assert all(item["value"]["isSuccess"] for item in body["response"]["items"]), body
        finally:
            stop(first)
            stop(second)
    manifests = registry.count("GET", r"/manifests/sha256")
    listed = registry.count("GET", r"/referrers/")
    # 20 images: one signature manifest each, and one referrers listing each; the second provider and the
    # second pass read them from Redis (a tag lookup per image remains: `.sig` tags are resolved by GET).
    assert manifests <= 22, manifests
    assert listed <= 22, listed
