"""The provider's WSGI application called directly (no HTTP server in between, which might hide a fault).

Verify and mutate answer Gatekeeper in time when the registry does not (a
hostile loopback registry whose manifests never come); request bodies a
front server would refuse are refused here too.
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

if os.environ.get("CI") == "true":
    import prometheus_client  # noqa: F401  # in CI the server extra is installed: never skip
else:
    pytest.importorskip("prometheus_client", reason="the provider needs the 'server' extra")

from cosign_verify import (
    CosignVerifier,
    Executor,
    ExecutorOptions,
    InlineKeyProvider,
    KeyProviders,
    KeyRef,
    TrustPolicy,
)
from cosign_verify.server import MUTATE_PATH, VERIFY_PATH
from cosign_verify.server.app import ProviderApp, ServerOptions
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import KeyPair, generate_key_pair, push_image, sign_image

from .hostile_server import HostileServer, stall

TIMEOUT = 0.6


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return generate_key_pair()


@pytest.fixture
def registry(pair: KeyPair) -> Iterator[tuple[HostileServer, list[str]]]:
    """A registry with two signed images, tagged, whose manifests then stall."""
    with HostileServer(give_up=6.0) as server:
        images = []
        for name in ("one", "two"):
            image = push_image(server.store, f"{server.registry}/team/{name}:v1")
            sign_image(server.store, image, pair)
            images.append(f"{server.registry}/team/{name}:v1")
        yield server, images


def provider(pair: KeyPair) -> ProviderApp:
    policy = TrustPolicy(name="p", scopes=["*"], keys=[KeyRef(provider="kp")], tlog_verify=False)
    verifier = CosignVerifier([policy], KeyProviders([InlineKeyProvider("kp", pair.public_pem())]))

    def build() -> Executor:
        return Executor(OCIRegistryStore(), [verifier], options=ExecutorOptions(deadline=TIMEOUT))

    return ProviderApp(build, ServerOptions(timeout=TIMEOUT, workers=4))


def call(
    app: ProviderApp, path: str, keys: list[str], content_length: str | None = None
) -> tuple[str, dict[str, Any], float]:
    body = json.dumps(
        {
            "apiVersion": "externaldata.gatekeeper.sh/v1beta1",
            "kind": "ProviderRequest",
            "request": {"keys": keys},
        }
    ).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "CONTENT_LENGTH": str(len(body)) if content_length is None else content_length,
        "wsgi.input": io.BytesIO(body),
    }
    status: list[str] = []
    started = time.monotonic()
    chunks = app(environ, lambda s, headers: status.append(s))
    elapsed = time.monotonic() - started
    return status[0], json.loads(b"".join(chunks)), elapsed


def test_verify_answers_within_the_timeout_when_the_registry_stalls(
    registry: tuple[HostileServer, list[str]], pair: KeyPair
) -> None:
    server, images = registry
    app = provider(pair)
    status, answer, _ = call(app, VERIFY_PATH, images)  # warm: the tags resolve, then stall what is left
    assert status == "200 OK" and all(item["value"]["isSuccess"] for item in answer["response"]["items"])

    server.misbehave(r"/manifests/", stall())
    cold = provider(pair)
    status, answer, elapsed = call(cold, VERIFY_PATH, images)
    assert status == "200 OK"
    assert elapsed < TIMEOUT + 1.0, elapsed  # Gatekeeper waits 3 s
    items = answer["response"]["items"]
    assert [item["key"] for item in items] == images
    for item in items:
        assert item["value"]["isSuccess"] is False
        assert item["value"]["reason"] == "deadline-exceeded", item


def test_mutate_answers_within_the_timeout_when_the_registry_stalls(
    registry: tuple[HostileServer, list[str]], pair: KeyPair
) -> None:
    server, images = registry
    status, answer, _ = call(provider(pair), MUTATE_PATH, images[:1])
    assert status == "200 OK"
    [pinned] = answer["response"]["items"]
    assert pinned["value"].startswith(images[0].rsplit(":", 1)[0] + "@sha256:") and not pinned.get("error")

    server.misbehave(r"/manifests/", stall())
    status, answer, elapsed = call(provider(pair), MUTATE_PATH, images)
    assert status == "200 OK"
    assert elapsed < TIMEOUT + 1.0, elapsed
    for key, item in zip(images, answer["response"]["items"], strict=True):
        assert item["key"] == key and item["value"] == key  # left as it is, with the error beside it
        assert "cannot resolve" in item["error"] and "deadline" in item["error"], item


@pytest.mark.parametrize(("length", "message"), [("-1", "Content-Length is negative"), ("x", "not a number")])
def test_a_bad_content_length_is_a_bad_request(length: str, message: str, pair: KeyPair) -> None:
    status, answer, _ = call(provider(pair), VERIFY_PATH, ["registry.example/app:v1"], content_length=length)
    assert status == "400 Bad Request"
    assert message in answer["response"]["systemError"] and "items" not in answer["response"]
