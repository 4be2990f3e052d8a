"""``cosign-verify`` as a cosign user runs it: a subprocess, cosign's flags, docker-registry, no config file.

Every run here goes through ``python -m cosign_verify`` and must print no traceback.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cosign_verify import Reference
from cosign_verify.store import OCIRegistryStore
from cosign_verify.testing import KeyPair, SignOptions, push_image, sign_image
from cosign_verify.testing.docker_registry import DockerRegistryProcess

from .conftest import IN_CI, _require_docker_registry
from .tls import local_non_loopback_address, self_signed

pytestmark = pytest.mark.integration

IGNORE_TLOG_WARNING = (
    "warning: trust policy 'command-line': tLogVerify is false: "
    "signatures are accepted without transparency-log proof"
)


def cli(
    *argv: str, cwd: Path, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m cosign_verify ARGV`` in ``cwd``, with an empty Docker configuration."""
    env = {**os.environ, "DOCKER_CONFIG": str(cwd / "docker-config")}
    result = subprocess.run(
        [sys.executable, "-m", "cosign_verify", *argv],
        capture_output=True,
        text=True,
        input=stdin,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def write_key(directory: Path) -> None:
    """a.pub: a key to verify with where no signature will be found."""
    from cosign_verify.testing import generate_key_pair

    (directory / "a.pub").write_text(generate_key_pair("ecdsa-p256").public_pem())


def pinned(image: Reference) -> str:
    assert image.digest
    return str(image.with_digest(image.digest))


@pytest.fixture
def images(docker_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> dict[str, str]:
    """A signed image per layout, one signed with another key, one unsigned; a.pub and b.pub in tmp_path."""
    a, b = key_pair("ecdsa-p256", 0), key_pair("ecdsa-p256", 1)
    (tmp_path / "a.pub").write_text(a.public_pem())
    (tmp_path / "b.pub").write_text(b.public_pem())
    store = OCIRegistryStore()
    base = f"{docker_registry}/flags{tmp_path.name[-8:]}"
    made = {name: push_image(store, f"{base}/{name}:v1") for name in ("tag", "referrer", "other", "unsigned")}
    sign_image(store, made["tag"], a)
    sign_image(store, made["referrer"], a, SignOptions(layout="referrer"))
    sign_image(store, made["other"], b)
    return {name: pinned(image) for name, image in made.items()} | {"tagged": f"{base}/tag:v1"}


def test_key_flag_verifies_both_layouts(images: dict[str, str], tmp_path: Path) -> None:
    result = cli("verify", images["tag"], "--key", "a.pub", "--insecure-ignore-tlog", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["subject"] == images["tag"] and report["isSuccess"] is True
    assert report["verifierReports"][0]["extensions"]["trustPolicy"] == "command-line"
    assert result.stderr.splitlines() == [IGNORE_TLOG_WARNING]

    result = cli(
        "verify",
        images["tag"],
        images["referrer"],
        "--key",
        "a.pub",
        "--insecure-ignore-tlog",
        "-q",
        cwd=tmp_path,
    )
    assert result.returncode == 0 and result.stderr == ""
    assert [r["subject"] for r in json.loads(result.stdout)] == [images["tag"], images["referrer"]]


def test_wrong_key_unsigned_and_tag_subjects(images: dict[str, str], tmp_path: Path) -> None:
    result = cli(
        "verify", images["other"], images["unsigned"], images["tagged"],
        "--key", "a.pub", "--insecure-ignore-tlog", "--output", "text", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"FAIL {images['other']}"
    assert "not verified under trust policy 'command-line': no valid signatures found" in lines[2]
    assert f"FAIL {images['unsigned']}" in lines
    assert (
        f"  no signatures found for {images['unsigned']} (looked for the cosign .sig tag and OCI referrers)"
        in lines
    )
    assert f"PASS {images['tag']}" in lines  # the tag resolved to the signed digest
    # a second key that does verify makes the other image pass
    result = cli(
        "verify", images["other"], "--key", "a.pub", "--key", "b.pub", "--insecure-ignore-tlog", cwd=tmp_path
    )
    assert result.returncode == 0


def test_tag_subject_warns_once(images: dict[str, str], tmp_path: Path) -> None:
    result = cli("verify", images["tagged"], "--key", "a.pub", "--insecure-ignore-tlog", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.count("is given by tag") == 1
    assert all(line.startswith("warning: ") for line in result.stderr.splitlines())


def test_without_insecure_ignore_tlog_a_signature_without_log_entry_fails(
    images: dict[str, str], tmp_path: Path
) -> None:
    result = cli("verify", images["tag"], "--key", "a.pub", "--rekor-url", "http://127.0.0.1:9", cwd=tmp_path)
    assert result.returncode == 1
    assert "Rekor" in json.loads(result.stdout)["verifierReports"][0]["errorReason"]


def test_jsonl_from_a_subjects_file_on_stdin(images: dict[str, str], tmp_path: Path) -> None:
    listing = (
        f"# images to check\n{images['tag']}\n\n{images['referrer']}  # a referrer\n{images['unsigned']}\n"
    )
    result = cli(
        "verify", "--subjects-file", "-", "--key", "a.pub", "--insecure-ignore-tlog",
        "--output", "jsonl", "--workers", "3", "-q",
        cwd=tmp_path, stdin=listing,
    )  # fmt: skip
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["subject"]: r["isSuccess"] for r in lines} == {
        images["tag"]: True,
        images["referrer"]: True,
        images["unsigned"]: False,
    }
    assert [r["reason"] for r in lines if not r["isSuccess"]] == ["no-signatures"]


def test_table_output_and_subject_flag(images: dict[str, str], tmp_path: Path) -> None:
    result = cli(
        "verify", "--subject", images["tag"], "--key", "a.pub", "--insecure-ignore-tlog", "--output", "table",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0
    header, row = result.stdout.splitlines()
    assert header.split() == ["SUBJECT", "RESULT", "ARTIFACT", "TYPE", "REFERRER", "DETAIL"]
    assert row.startswith(images["tag"]) and row.split()[1] == "PASS"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "error: nothing says who signed"),
        (
            ("--key", "kms://projects/p/keys/k"),
            "error: --key kms://projects/p/keys/k: only key files are read",
        ),
        (("--key", "a.pub", "--certificate-identity", "x"), "cannot be combined"),
        (("--certificate-identity", "x"), "a keyless identity needs --certificate-oidc-issuer"),
        (
            (
                "--certificate-identity",
                "x",
                "--certificate-identity-regexp",
                "y",
                "--certificate-oidc-issuer",
                "z",
            ),
            "give --certificate-identity or --certificate-identity-regexp, not both",
        ),
        (
            ("--certificate-identity-regexp", "(a", "--certificate-oidc-issuer", "z"),
            "'(a' is not a regular expression RE2 (Go's regexp, as cosign uses) accepts",
        ),
        (("--key", "missing.pub"), "cannot read key file"),
        (("--key", "a.pub", "--config", "c.json"), "--key cannot be combined with --config"),
        (("--key", "a.pub", "--timeout", "0"), "is not a positive number of seconds"),
        (("--key", "a.pub", "--frobnicate"), "usage: cosign-verify verify"),
    ],
)
def test_usage_errors_exit_2(
    images: dict[str, str], tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    (tmp_path / "c.json").write_text("{}")
    result = cli("verify", images["tag"], *argv, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert result.stdout == ""


def test_a_bad_line_in_a_subjects_file_is_named(tmp_path: Path) -> None:
    write_key(tmp_path)
    (tmp_path / "images.txt").write_text("registry.example/app@sha256:" + "a" * 64 + "\nNot A Reference!\n")
    result = cli("verify", "--subjects-file", "images.txt", "--key", "a.pub", cwd=tmp_path)
    assert result.returncode == 2
    assert "error: images.txt line 2: invalid reference 'Not A Reference!'" in result.stderr


def test_help_documents_exit_codes_and_examples(tmp_path: Path) -> None:
    result = cli("verify", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for expected in (
        "exit codes:",
        "examples:",
        "--certificate-identity-regexp",
        "--subjects-file",
        "--timeout",
    ):
        assert expected in result.stdout
    assert cli("--version", cwd=tmp_path).stdout.startswith("cosign-verify ")


# --- registries that fail ----------------------------------------------------------------


def test_connection_refused_is_one_line_with_detail_behind_verbose(tmp_path: Path) -> None:
    write_key(tmp_path)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    subject = f"127.0.0.1:{port}/app@sha256:{'a' * 64}"
    result = cli("verify", subject, "--key", "a.pub", "--output", "text", "-q", cwd=tmp_path)
    assert result.returncode == 1
    message = result.stdout.splitlines()[1]
    assert "connection refused" in message and len(message) < 200, message
    verbose = cli("verify", subject, "--key", "a.pub", "--output", "text", "-v", cwd=tmp_path)
    assert any(line.startswith("debug: ") and "Errno 111" in line for line in verbose.stderr.splitlines())


def test_unknown_host_is_one_line(tmp_path: Path) -> None:
    write_key(tmp_path)
    result = cli(
        "verify",
        f"registry.invalid/app@sha256:{'a' * 64}",
        "--key",
        "a.pub",
        "--output",
        "text",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "cannot resolve host name" in result.stdout or "name" in result.stdout.splitlines()[1]


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_timeout_bounds_a_registry_that_never_answers(silent_server: str, tmp_path: Path) -> None:
    write_key(tmp_path)
    started = time.monotonic()
    result = cli(
        "verify", f"{silent_server}/app@sha256:{'a' * 64}", "--key", "a.pub", "--timeout", "1", cwd=tmp_path
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert json.loads(result.stdout)["reason"] == "deadline-exceeded"
    assert elapsed < 8, elapsed  # 1 s of deadline, plus the interpreter's start


def test_ctrl_c_exits_130_quietly(silent_server: str, tmp_path: Path) -> None:
    write_key(tmp_path)
    process = subprocess.Popen(
        [sys.executable, "-m", "cosign_verify", "verify", f"{silent_server}/app@sha256:{'a' * 64}",
         f"{silent_server}/other@sha256:{'b' * 64}", "--key", "a.pub", "--timeout", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    time.sleep(2.0)  # well into the requests
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert time.monotonic() - started < 5
    assert err.strip() == "interrupted" and out == ""


def test_a_closed_pipe_ends_quietly(images: dict[str, str], tmp_path: Path) -> None:
    many = "\n".join([images["tag"]] * 200)
    process = subprocess.Popen(
        [sys.executable, "-m", "cosign_verify", "verify", "--subjects-file", "-", "--key", "a.pub",
         "--insecure-ignore-tlog", "--output", "jsonl", "--workers", "2", "-q"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )  # fmt: skip
    assert process.stdin and process.stdout and process.stderr
    process.stdin.write(many.encode())
    process.stdin.close()
    first = process.stdout.readline()
    assert json.loads(first)["isSuccess"] is True
    process.stdout.close()  # as `| head -1` does
    err = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert err == ""


def test_credentials_hint_on_401(docker_registry_basic: str, tmp_path: Path) -> None:
    write_key(tmp_path)
    result = cli(
        "verify",
        f"{docker_registry_basic}/private/app:v1",
        "--key",
        "a.pub",
        "--output",
        "text",
        cwd=tmp_path,
    )
    assert result.returncode == 1
    text = result.stdout
    assert "requires basic authentication and no credentials are configured" in text, text
    assert "docker login" in text


def test_unknown_tag_is_a_404_with_a_hint(images: dict[str, str], tmp_path: Path) -> None:
    missing = images["tagged"].replace(":v1", ":no-such-tag")
    result = cli("verify", missing, "--key", "a.pub", "--output", "text", "-q", cwd=tmp_path)
    assert result.returncode == 1
    assert "HTTP 404" in result.stdout and "check the repository name and the tag or digest" in result.stdout


@pytest.fixture(scope="module")
def https_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """docker-registry over HTTPS with a self-signed certificate, on this machine's non-loopback address."""
    _require_docker_registry()
    address = local_non_loopback_address()
    if address is None:
        if IN_CI:
            pytest.fail("no non-loopback IPv4 address to serve HTTPS from; CI must run this test")
        pytest.skip("no non-loopback IPv4 address to serve HTTPS from")
    assert address is not None
    directory = tmp_path_factory.mktemp("docker-tls")
    cert, key = self_signed(directory, address)
    with DockerRegistryProcess(directory, host=address, tls=(cert, key)) as registry:
        yield registry.registry, cert


def test_tls_failure_and_allow_insecure_registry(
    https_registry: tuple[str, Path], tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    from cosign_verify.store import RegistryOptions

    registry, cert = https_registry
    pair = key_pair("ecdsa-p256", 0)
    (tmp_path / "a.pub").write_text(pair.public_pem())
    store = OCIRegistryStore(RegistryOptions(ca_bundle=str(cert)))
    image = push_image(store, f"{registry}/tls/app:v1")
    sign_image(store, image, pair)

    refused = cli(
        "verify",
        pinned(image),
        "--key",
        "a.pub",
        "--insecure-ignore-tlog",
        "--output",
        "text",
        "-q",
        cwd=tmp_path,
    )
    assert refused.returncode == 1
    assert "TLS" in refused.stdout and "certificate" in refused.stdout, refused.stdout

    allowed = cli(
        "verify", pinned(image), "--key", "a.pub", "--insecure-ignore-tlog", "--allow-insecure-registry",
        cwd=tmp_path,
    )  # fmt: skip
    assert allowed.returncode == 0, allowed.stdout
    assert "warning: --allow-insecure-registry: registry TLS certificates are not checked" in allowed.stderr
    assert "InsecureRequestWarning" not in allowed.stderr


def test_progress_bar_only_on_a_terminal(images: dict[str, str], tmp_path: Path) -> None:
    import fcntl
    import pty
    import struct
    import termios

    argv = [sys.executable, "-m", "cosign_verify", "verify", images["tag"], images["referrer"], "--key", "a.pub",
            "--insecure-ignore-tlog", "--output", "jsonl"]  # fmt: skip
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a terminal's size
    try:
        process = subprocess.run(
            argv, stdout=subprocess.PIPE, stderr=terminal, cwd=tmp_path, timeout=60, check=False
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal's other end is closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(controller)
    assert process.returncode == 0
    assert b"/2 [" in shown and b"image/s]" in shown, shown  # tqdm's counter, drawn on the terminal
    assert len(process.stdout.splitlines()) == 2
    piped = cli(*argv[3:], cwd=tmp_path)  # stderr a pipe: warnings only, no bar
    assert piped.returncode == 0 and piped.stderr.splitlines() == [IGNORE_TLOG_WARNING]
    quiet = cli(*argv[3:], "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_forbidden_is_one_line_with_a_credentials_hint(tmp_path: Path) -> None:
    from cosign_verify.testing import RegistryServer

    write_key(tmp_path)
    with RegistryServer() as server:
        push_image(OCIRegistryStore(), f"{server.registry}/team/app:v1")
        server.fail("/manifests/", status=403, times=100)
        result = cli(
            "verify", f"{server.registry}/team/app:v1", "--key", "a.pub", "--output", "text", cwd=tmp_path
        )
    assert result.returncode == 1
    message = result.stdout.splitlines()[1]
    assert "HTTP 403" in message and "docker login" in message and "must allow pulling" in message, message


@pytest.fixture(scope="module")
def http_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """docker-registry over plain HTTP on this machine's non-loopback address (loopback is always HTTP)."""
    _require_docker_registry()
    address = local_non_loopback_address()
    if address is None:
        if IN_CI:
            pytest.fail("no non-loopback IPv4 address to serve plain HTTP from; CI must run this test")
        pytest.skip("no non-loopback IPv4 address to serve plain HTTP from")
    assert address is not None
    with DockerRegistryProcess(tmp_path_factory.mktemp("docker-http"), host=address) as registry:
        yield registry.registry


def test_allow_http_registry(http_registry: str, tmp_path: Path, key_pair: Callable[..., KeyPair]) -> None:
    from cosign_verify.store import RegistryOptions

    pair = key_pair("ecdsa-p256", 0)
    (tmp_path / "a.pub").write_text(pair.public_pem())
    store = OCIRegistryStore(RegistryOptions(use_http=True))
    image = push_image(store, f"{http_registry}/plain/app:v1")
    sign_image(store, image, pair)
    flags = ("verify", pinned(image), "--key", "a.pub", "--insecure-ignore-tlog", "--output", "text", "-q")
    refused = cli(*flags, cwd=tmp_path)  # HTTPS to a plain-HTTP registry
    assert refused.returncode == 1 and "TLS" in refused.stdout, refused.stdout
    assert cli(*flags, "--allow-http-registry", cwd=tmp_path).returncode == 0


def test_namespace_decides_which_keys_may_be_used(
    images: dict[str, str], tmp_path: Path, key_pair: Callable[..., KeyPair]
) -> None:
    """--namespace: a namespaced key provider's keys serve verifications for that namespace only."""
    pair = key_pair("ecdsa-p256", 0)
    config = {
        "store": {"plugins": [{"name": "oras", "cosignEnabled": True}]},
        "keyManagementProviders": [
            {
                "name": "dev/keys",
                "type": "inline",
                "parameters": {"contentType": "key", "value": pair.public_pem()},
            }
        ],
        "verifier": {
            "plugins": [
                {
                    "name": "cosign",
                    "artifactTypes": "application/vnd.dev.cosign.artifact.sig.v1+json",
                    "trustPolicies": [
                        {
                            "name": "all",
                            "scopes": ["*"],
                            "keys": [{"provider": "dev/keys"}],
                            "tLogVerify": False,
                        }
                    ],
                }
            ]
        },
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    flags = ("verify", images["tag"], "--config", "config.json", "--output", "jsonl", "-q")
    assert cli(*flags, "--namespace", "dev", cwd=tmp_path).returncode == 0
    denied = cli(*flags, "--namespace", "prod", cwd=tmp_path)
    assert denied.returncode == 1
    assert json.loads(denied.stdout)["verifierReports"][0]["reason"] == "key-access-denied"
