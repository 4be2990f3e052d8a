"""The Kubernetes manifests in docs/deploy fit together and fit the provider."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from cosign_verify import load_config
from cosign_verify.cli.parser import build_parser
from cosign_verify.server import VERIFY_PATH

from .conftest import ROOT

DEPLOY = ROOT / "docs" / "deploy"


def documents(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]


def one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for path in sorted(DEPLOY.glob("*.yaml"))
        for d in documents(path.name)
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, (kind, name, len(found))
    return found[0]


def test_the_configuration_loads(tmp_path: Path) -> None:
    data = one("ConfigMap", "cosign-verify-config")["data"]["config.yaml"]
    path = tmp_path / "config.yaml"
    path.write_text(data)
    config = load_config(path)
    assert config.store.cosign_enabled and [p.name for p in config.verifiers[0].trust_policies] == [
        "releases"
    ]


def test_the_provider_runs_replicas_with_mtls_and_probes() -> None:
    deployment = one("Deployment", "cosign-verify")
    assert deployment["spec"]["replicas"] >= 2
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    args = build_parser().parse_args(container["args"])
    assert args.command == "serve" and args.tls_cert and args.tls_key and args.client_ca
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    for path in (args.config[0], args.tls_cert, args.client_ca):
        assert any(path.startswith(mount) for mount in mounts), path
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["provider"] == args.port and ports["probes"] == args.probe_port
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "probes"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "probes"}
    assert args.timeout < one("Provider")["spec"]["timeout"]


def test_gatekeeper_calls_the_service_on_the_verify_path() -> None:
    provider = one("Provider")
    url = urlsplit(provider["spec"]["url"])
    service = one("Service", "cosign-verify")
    assert url.scheme == "https" and url.path == VERIFY_PATH
    assert url.hostname == f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc"
    assert url.port == service["spec"]["ports"][0]["port"]
    rego = one("ConstraintTemplate")["spec"]["targets"][0]["rego"]
    assert f'"provider": "{provider["metadata"]["name"]}"' in rego
    for checked in ("verified.system_error", "verified.errors", "not answer[1].isSuccess"):
        assert checked in rego
    constraint = one("VerifiedImages")
    assert constraint["spec"]["enforcementAction"] == "deny"


def test_the_replicas_share_the_redis_of_the_manifests(tmp_path: Path, monkeypatch: Any) -> None:
    from cosign_verify.wiring import build_cache

    path = tmp_path / "config.yaml"
    path.write_text(one("ConfigMap", "cosign-verify-config")["data"]["config.yaml"])
    config = load_config(path)
    assert config.store.cache.type == "redis"
    redis = one("Service", "cosign-verify-redis")
    host = f"{redis['metadata']['name']}.{redis['metadata']['namespace']}.svc:{redis['spec']['ports'][0]['port']}"
    assert config.store.cache.url is not None and host in config.store.cache.url
    [container] = one("Deployment", "cosign-verify")["spec"]["template"]["spec"]["containers"]
    assert config.store.cache.secret_env in {variable["name"] for variable in container["env"]}
    monkeypatch.setenv(str(config.store.cache.secret_env), "0123456789abcdef0123456789abcdef")
    assert type(build_cache(config)).__name__ == "RedisCache"
