from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cosign_verify.cli import main


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_check_config_describes_the_seed_policies(example_config_path: Path) -> None:
    code, out, err = run("check-config", "--config", str(example_config_path))
    assert code == 0, err
    assert "trust policy 'policy-1' (tLogVerify=true)" in out
    assert "matches: myregistry.io/namespace1/image*" in out
    assert "key: provider=inline-keyprovider" in out
    assert "key: file=keys/namespace2.pub" in out
    assert "trust policy 'policy-3' (keyless, tLogVerify=true, ctLogVerify=true)" in out
    assert "identity: user@example.com  issuer: https://accounts.google.com" in out
    assert out.rstrip().endswith("OK: 1 verifier(s), 3 trust policies, 3 scopes")


def test_check_config_json(example_config_path: Path) -> None:
    code, out, _ = run("check-config", "--config", str(example_config_path), "--output", "json")
    assert code == 0
    data = json.loads(out)
    assert [p["name"] for p in data["verifiers"][0]["trustPolicies"]] == ["policy-1", "policy-2", "policy-3"]


def with_scopes(example_config_path: Path, tmp_path: Path, *scopes: str) -> Path:
    data: dict[str, Any] = json.loads(example_config_path.read_text())
    data["verifier"]["plugins"][0]["trustPolicies"][0]["scopes"] = list(scopes)
    shutil.copytree(example_config_path.parent / "keys", tmp_path / "keys")
    path = tmp_path / "scopes.json"
    path.write_text(json.dumps(data))
    return path


def test_check_config_shows_the_canonical_scopes(example_config_path: Path, tmp_path: Path) -> None:
    config = with_scopes(
        example_config_path, tmp_path, "MyRegistry.IO:443/ns/*", "[0:0:0:0:0:0:0:1]:5000/app@*"
    )
    code, out, err = run("check-config", "--config", str(config))
    assert code == 0, err
    assert (
        "matches: myregistry.io/ns/* (written 'MyRegistry.IO:443/ns/*'), "
        "[::1]:5000/app@* (written '[0:0:0:0:0:0:0:1]:5000/app@*')"
    ) in out
    code, out, _ = run("check-config", "--config", str(config), "--output", "json")
    policy = json.loads(out)["verifiers"][0]["trustPolicies"][0]
    assert policy["scopes"] == ["MyRegistry.IO:443/ns/*", "[0:0:0:0:0:0:0:1]:5000/app@*"]
    assert policy["canonicalScopes"] == ["myregistry.io/ns/*", "[::1]:5000/app@*"]


def test_check_config_refuses_tag_scopes_with_working_ones(example_config_path: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "check-config", "--config", str(with_scopes(example_config_path, tmp_path, "nginx:1.25"))
    )
    assert code == 2
    assert out == ""
    assert (
        "verifier.plugins[0].trustPolicies[0].scopes[0]: trust policy 'policy-1': scope 'nginx:1.25' names a tag"
        in err
    )
    assert "'docker.io/library/nginx@*' for every digest of the repository" in err
    assert "docker.io/library/nginx:1.25" not in err


def overlapping(example_config_path: Path, tmp_path: Path) -> Path:
    data: dict[str, Any] = json.loads(example_config_path.read_text())
    data["verifier"]["plugins"][0]["trustPolicies"][1]["scopes"] = ["myregistry.io/namespace1*"]
    path = tmp_path / "overlap.json"
    path.write_text(json.dumps(data))
    return path


def test_overlapping_scopes_exit_2_naming_both(example_config_path: Path, tmp_path: Path) -> None:
    code, out, err = run("check-config", "--config", str(overlapping(example_config_path, tmp_path)))
    assert code == 2
    assert out == ""
    assert "scope 'myregistry.io/namespace1*' of trust policy 'policy-2'" in err
    assert "scope 'myregistry.io/namespace1/image*' of trust policy 'policy-1'" in err
    assert "verifier.plugins[0].trustPolicies[0].scopes[0]" in err


def test_schema_errors_are_all_printed(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"store": {"plugins": [{"name": "oras", "useHttp": "no", "ttl": "x"}]}}))
    code, _, err = run("check-config", "--config", str(path))
    assert code == 2
    assert err.splitlines() == [
        f"error: {path}: invalid configuration (2 errors)",
        "  store.plugins[0].ttl: 'x' is not of type 'integer'",
        "  store.plugins[0].useHttp: 'no' is not of type 'boolean'",
    ]


def test_usage_errors_exit_2() -> None:
    assert run()[0] == 2
    assert run("check-config")[0] == 2
    assert run("frobnicate")[0] == 2


def test_console_script_entry_point(example_config_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cosign_verify", "check-config", "--config", str(example_config_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout


def cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "cosign_verify", *argv], capture_output=True, text=True, cwd=cwd, check=False
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


VERIFIER_ONLY = """\
apiVersion: config.ratify.deislabs.io/v1beta1
kind: {kind}
metadata: {{name: verifier-cosign}}
spec:
  name: {name}
  artifactTypes: application/vnd.dev.cosign.artifact.sig.v1+json
  parameters:
    trustPolicies:
      - name: default
        scopes: ["*"]
        keyless:
          certificateIdentity: ci@example.com
          certificateOIDCIssuer: https://accounts.google.com
"""


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.json", "{}", "the configuration has no cosign verifier, so nothing would ever be verified"),
        (
            "key.pem",
            "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n",
            "document 0 is a str, not a configuration or a Ratify resource (it looks like a PEM key",
        ),
        (
            "verifer.yaml",
            VERIFIER_ONLY.format(kind="Verifer", name="cosign"),
            "unknown Ratify kind 'Verifer' (did you mean 'Verifier'?)",
        ),
        (
            "cosgin.yaml",
            VERIFIER_ONLY.format(kind="Verifier", name="cosgin"),
            "unknown verifier plugin 'cosgin' (did you mean 'cosign'?)",
        ),
    ],
)
def test_configs_that_verify_nothing_exit_2(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / name).write_text(content)
    for command in ("check-config", "verify"):
        extra = ["registry.example/app@sha256:" + "a" * 64] if command == "verify" else []
        result = cli(command, "--config", name, *extra, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert message in result.stderr, result.stderr
        assert result.stdout == ""
    result = cli("check-config", "--config", name, "--output", "json", cwd=tmp_path)
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["valid"] is False and message in json.dumps(report["errors"])


def test_a_verifier_without_a_store_says_it_reads_sig_tags(tmp_path: Path) -> None:
    (tmp_path / "verifier.yaml").write_text(VERIFIER_ONLY.format(kind="Verifier", name="cosign"))
    result = cli("check-config", "--config", "verifier.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "store: oras, not configured: its defaults (cosignEnabled=true" in result.stdout
    assert result.stderr.count("warning: no store is configured") == 1
    quiet = cli("check-config", "--config", "verifier.yaml", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
    as_json = json.loads(
        cli("check-config", "--config", "verifier.yaml", "--output", "json", cwd=tmp_path).stdout
    )
    assert as_json["valid"] is True and as_json["store"]["configured"] is False
    assert any("no store is configured" in warning for warning in as_json["warnings"])


def test_legacy_mode_is_shown_as_such(tmp_path: Path, key_pair: Any) -> None:
    (tmp_path / "k.pub").write_text(key_pair().public_pem())
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        "verifier": {
            "plugins": [
                {"name": "notation", "artifactTypes": "application/vnd.cncf.notary.signature"},
                {
                    "name": "cosign",
                    "artifactTypes": "application/vnd.dev.cosign.artifact.sig.v1+json",
                    "key": "k.pub",
                },
            ]
        },
    }
    (tmp_path / "c.json").write_text(json.dumps(config))
    result = cli("check-config", "--config", "c.json", cwd=tmp_path)
    assert "verifier 'cosign' in Ratify's legacy mode (no trust policies)" in result.stdout
    assert "trust policy" not in result.stdout
    config["verifier"]["plugins"][1]["key"] = "missing.pub"  # type: ignore[index]
    (tmp_path / "c.json").write_text(json.dumps(config))
    result = cli("check-config", "--config", "c.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "verifier.plugins[1]" in result.stderr  # counted as the file counts plugins, notation included
