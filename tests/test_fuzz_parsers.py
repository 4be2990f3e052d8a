"""Every parser of outside bytes raises only our errors, and never hangs (property tests).

"Our errors" are :class:`CosignVerifyError` and its subclasses (``Failure``,
``StoreError``, ``ConfigError``, ``InvalidReferenceError``,
``UnsupportedKeyError``). Each parser gets random bytes or text, and
structure-aware inputs: a real document (see ``fuzz_seeds.py``) with one
value replaced by another JSON value, a number no float or int64 holds, deep
nesting or a very long string. Every call must end within ``CALL_LIMIT``
seconds. Inputs that once broke a parser stay as explicit examples.

``FUZZ_EXAMPLES`` (an environment variable) sets how many examples each
property tries (default 60; those that try 200 by default try at least that):
``FUZZ_EXAMPLES=20000 pytest tests/test_fuzz_parsers.py`` runs a long fuzz.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cosign_verify import ConfigError, CosignVerifyError, Reference, TrustedRoot, load_config, verify_bundle
from cosign_verify._internal.bundle_model import SigstoreBundle
from cosign_verify._internal.log_entry import check_entry
from cosign_verify._internal.referrer_work import layer_predicate_hints
from cosign_verify._internal.rekor import verify_checkpoint, verify_cosign_bundle
from cosign_verify._internal.simple_signing import (
    SignatureLayer,
    load_signature,
    parse_signature_manifest,
    parse_simple_signing,
)
from cosign_verify._internal.strict_json import loads_strict
from cosign_verify._internal.timestamp import decode_cosign_timestamp
from cosign_verify._internal.tlog import verify_api_entry
from cosign_verify.bundles import BundleVerificationResult
from cosign_verify.keys.loading import load_public_key, load_public_keys
from cosign_verify.mediatypes import ANNOTATION_LAYER_PREDICATE_TYPES, COSIGN_ATTESTATION_ARTIFACT_TYPE
from cosign_verify.scope import Scope
from cosign_verify.store import Descriptor
from cosign_verify.store.auth import parse_challenge
from cosign_verify.store.http import retry_after
from cosign_verify.store.oci import descriptors, next_link

from .fuzz_seeds import seeds
from .hostile_server import Raw, dumps, json_paths, set_path

# Seconds for one call of one parser on one input: quadratic behaviour on these inputs takes far longer, and a
# busy CI machine (the suite runs registries and servers beside it) must not make a linear parse look slow.
CALL_LIMIT = 3.0
HANG_GUARD = 20  # seconds: a call still running then is interrupted (a hang, not a slow call)

T = TypeVar("T")
SEEDS = seeds()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))  # per property; raise it for a long run
FAST = settings(
    deadline=None,
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


class HungError(Exception):
    """A parser ran for ``HANG_GUARD`` seconds."""


@contextmanager
def hang_guard(seconds: int = HANG_GUARD) -> Iterator[None]:
    def interrupt(signum: int, frame: Any) -> None:
        raise HungError(f"still running after {seconds}s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def bounded(parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | CosignVerifyError:
    """``parse(*args)``: its result or our error; anything else propagates. Fails if it took too long."""
    started = time.perf_counter()
    with hang_guard():
        try:
            result: T | CosignVerifyError = parse(*args, **kwargs)
        except CosignVerifyError as exc:
            result = exc
    elapsed = time.perf_counter() - started
    assert elapsed < CALL_LIMIT, f"{getattr(parse, '__qualname__', parse)} took {elapsed:.2f}s"
    return result


# --- strategies ----------------------------------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
# Values a JSON parser finds hard: numbers no float or int64 holds, deep nesting, very long strings.
odd_values = st.sampled_from(
    [
        Raw("1e400"),
        Raw("-1e400"),
        Raw("1" * 65),
        Raw("9" * 400),
        Raw("1e-400"),
        Raw("-0"),
        Raw("0.1e99999999999"),
        Raw("NaN"),
        Raw("-Infinity"),
        Raw("[" * 50_000 + "]" * 50_000),
        Raw('{"a":' * 5_000 + "1" + "}" * 5_000),
        Raw('"\\ud800"'),
        "A" * (1 << 20),
        "é" * 1000,
        9223372036854775808,
        -9223372036854775809,
    ]
)
any_value = json_values | odd_values


def _parsed(template: Any) -> Any:
    try:
        return json.loads(template) if isinstance(template, bytes | str) else template
    except ValueError:  # a malformed seed (a conformance case) is a seed, not a template
        return None


def mutated(templates: tuple[Any, ...]) -> st.SearchStrategy[bytes]:
    """A template (bytes of JSON, or a JSON value) with the value at one path replaced."""
    parsed = [d for d in map(_parsed, templates) if d is not None]

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        document = draw(st.sampled_from(parsed))
        path = draw(st.sampled_from([(), *json_paths(document)]))
        return dumps(set_path(document, path, draw(any_value)))

    return build()


def documents(templates: tuple[Any, ...]) -> st.SearchStrategy[bytes]:
    """Random bytes, random JSON, the templates themselves, or one of them mutated."""
    whole = [
        t if isinstance(t, bytes) else (t.encode() if isinstance(t, str) else dumps(t)) for t in templates
    ]
    return st.one_of(
        st.binary(max_size=300),
        json_values.map(dumps),
        st.sampled_from(whole),
        mutated(templates),
        mutated(templates),
    )


def spliced(templates: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A template with a slice of it replaced by random text (or repeated, up to 20 kB)."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        template = draw(st.sampled_from(templates))
        start = draw(st.integers(0, len(template)))
        end = draw(st.integers(start, len(template)))
        # Repeated, a slice makes a long input, kept under 20 kB: a parser's time is bounded per call, and
        # PyYAML reads well under 1 MB/s (a 4 MiB configuration, the size cap, takes seconds, but linearly).
        middle = draw(st.text(max_size=40) | st.just((template[start:end] * 200)[:20_000]))
        return template[:start] + middle + template[end:]

    return build()


def text(templates: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Random text, a template, a template spliced, or (for JSON templates) one mutated."""
    options = [st.text(max_size=300), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))]
    if templates:
        options += [st.sampled_from(templates), spliced(templates)]
        if any(_parsed(t) is not None for t in templates):
            options.append(mutated(templates).map(lambda b: b.decode("utf-8", "surrogatepass")))
    return st.one_of(*options)


# --- JSON and cosign's simple signing ------------------------------------------------------------------------


@FAST
@given(data=documents(SEEDS.manifests) | st.binary())
@example(data=b"[" * 100_000)
@example(data=b'{"a":1,"a":2}')
@example(data=b"\xff\xfe")
def test_loads_strict(data: bytes) -> None:
    bounded(loads_strict, data, "fuzz")
    bounded(loads_strict, data.decode("utf-8", "replace"), "fuzz")


@FAST
@given(data=documents(SEEDS.manifests))
@example(data=b'{"schemaVersion": 2, "layers": [{"digest": "sha256:' + b"0" * 64 + b'", "size": 1e400}]}')
def test_parse_signature_manifest(data: bytes) -> None:
    bounded(parse_signature_manifest, data)


def _layers() -> st.SearchStrategy[SignatureLayer]:
    """Layers as a manifest's parse gives them, or with any annotations at all."""
    random_layers = st.builds(
        SignatureLayer,
        digest=st.just("sha256:" + "0" * 64),
        size=st.integers(0, 10),
        media_type=st.sampled_from(["application/vnd.dev.cosign.simplesigning.v1+json", "", "x"]) | st.text(),
        annotations=st.dictionaries(st.text(max_size=40), st.text(max_size=200), max_size=5)
        | st.builds(lambda s: {"dev.cosignproject.cosign/signature": s}, st.text(max_size=300)),
    )

    def parsed(data: bytes) -> list[SignatureLayer]:
        try:
            return parse_signature_manifest(data)
        except CosignVerifyError:
            return []

    from_manifests = documents(SEEDS.manifests).map(parsed).filter(bool).map(lambda layers: layers[0])
    return random_layers | from_manifests


_SIGNED_LAYER = SignatureLayer(
    digest="sha256:" + "0" * 64,
    size=1,
    media_type="application/vnd.dev.cosign.simplesigning.v1+json",
    annotations={"dev.cosignproject.cosign/signature": "AAAA", "dev.sigstore.cosign/certificate": "\ud800"},
)


@FAST
@given(layer=_layers(), payload=st.binary(max_size=100))
@example(layer=_SIGNED_LAYER, payload=b"{}")
def test_load_signature(layer: SignatureLayer, payload: bytes) -> None:
    bounded(load_signature, layer, payload)


@FAST
@given(data=documents(SEEDS.payloads))
@example(data=b"{" * 10 + b"}" * 10)
@example(data=b" " * (1 << 20) + b"{}")
def test_parse_simple_signing(data: bytes) -> None:
    bounded(parse_simple_signing, data)


# --- Sigstore bundles, Rekor -------------------------------------------------------------------------------------

_BUNDLE = json.loads(SEEDS.bundles[0])


def _bundle_with(path: tuple[Any, ...], value: Any) -> bytes:
    return dumps(set_path(_BUNDLE, path, value))


@FAST
@given(data=documents(SEEDS.bundles))
@example(data=_bundle_with(("verificationMaterial", "tlogEntries"), 7))
@example(data=_bundle_with(("verificationMaterial", "timestampVerificationData"), ["x"]))
@example(data=_bundle_with(("verificationMaterial", "timestampVerificationData"), {"rfc3161Timestamps": 7}))
@example(data=_bundle_with(("verificationMaterial", "tlogEntries", 0, "logIndex"), Raw("1e400")))
def test_sigstore_bundle_from_json(data: bytes) -> None:
    bounded(SigstoreBundle.from_json, data)
    bounded(SigstoreBundle.from_json, data.decode("utf-8", "replace"))


@FAST
@given(data=documents(SEEDS.bundles[:1]))
@example(data=SEEDS.bundles[0])
@example(data=_bundle_with(("dsseEnvelope", "payloadType"), Raw('"\\ud800"')))
@example(data=_bundle_with(("verificationMaterial", "tlogEntries"), 7))
def test_verify_bundle(data: bytes) -> None:
    """The public API on a hostile bundle, with everything the caller passes right: a result, never an error."""
    result = bounded(verify_bundle, data, SEEDS.bundle_subject, keys=[SEEDS.key_pem], trusted_root=SEEDS.root)
    assert isinstance(result, BundleVerificationResult), result
    if data == SEEDS.bundles[0]:
        assert result.is_success, result.reasons


@FAST
@given(bundle=text(SEEDS.cosign_bundles))
def test_verify_cosign_bundle(bundle: str) -> None:
    bounded(verify_cosign_bundle, bundle, SEEDS.root)


def _checkpoint_variants() -> st.SearchStrategy[str]:
    [checkpoint] = SEEDS.checkpoints
    lines = checkpoint.split("\n")

    @st.composite
    def build(draw: st.DrawFn) -> str:
        changed = list(lines)
        index = draw(st.integers(0, len(changed) - 1))
        changed[index] = draw(
            st.text(max_size=100) | st.sampled_from(["9" * 5000, "-1", "\u2014 x", "\u2014 " + "A" * 10_000])
        )
        return "\n".join(changed)

    return st.one_of(text(), st.sampled_from(SEEDS.checkpoints), build())


@FAST
@given(envelope=_checkpoint_variants(), log_id=st.sampled_from([SEEDS.log_id, b"", b"\x00" * 32]))
@example(envelope="\ud800" + SEEDS.checkpoints[0], log_id=SEEDS.log_id)
def test_verify_checkpoint(envelope: str, log_id: bytes) -> None:
    bounded(verify_checkpoint, envelope, SEEDS.root, log_id)


@FAST
@given(body=documents(SEEDS.entry_bodies), dsse=st.booleans())
@example(body=b'{"kind": [], "apiVersion": "0.0.1", "spec": {}}', dsse=False)
def test_check_entry(body: bytes, dsse: bool) -> None:
    bounded(check_entry, body, SEEDS.dsse_content if dsse else SEEDS.content)


_RECORD = SEEDS.rekor_records[0]


def _record_with(path: tuple[Any, ...], value: Any) -> bytes:
    return dumps(set_path(_RECORD, path, value))


@FAST
@given(record=documents(SEEDS.rekor_records), dsse=st.booleans())
@example(record=_record_with(("verification", "inclusionProof", "treeSize"), Raw("1e400")), dsse=False)
@example(record=_record_with(("verification", "inclusionProof", "checkpoint"), 7), dsse=False)
def test_verify_api_entry(record: bytes, dsse: bool) -> None:
    try:  # as RekorLog reads an answer (its own json.loads is exercised by the fault matrix)
        document = json.loads(record)
    except (ValueError, RecursionError):
        return
    bounded(verify_api_entry, document, SEEDS.dsse_content if dsse else SEEDS.content, SEEDS.root)


@FAST
@given(annotation=text(SEEDS.timestamps))
@example(annotation='{"SignedRFC3161Timestamp": ' + "[" * 100_000)
def test_decode_cosign_timestamp(annotation: str) -> None:
    bounded(decode_cosign_timestamp, annotation)


@FAST
@given(noted=text(('["https://slsa.dev/provenance/v1", ""]',)) | st.text(max_size=200))
@example(noted="[" * 100_000)
@example(noted='["a", ' + "1" * 100 + "]")
def test_layer_predicate_hints(noted: str) -> None:
    """A registry may list a descriptor carrying our note on .att manifests: read as outside JSON."""
    referrer = Descriptor(
        digest="sha256:" + "0" * 64,
        media_type="application/vnd.oci.image.manifest.v1+json",
        size=1,
        artifact_type=COSIGN_ATTESTATION_ARTIFACT_TYPE,
        annotations={ANNOTATION_LAYER_PREDICATE_TYPES: noted},
    )
    hints = bounded(layer_predicate_hints, referrer)
    assert hints is None or (isinstance(hints, list) and all(isinstance(h, str) for h in hints))


_TRUSTED_ROOT = json.loads(SEEDS.trusted_roots[0])


def _unknown_curve_log_key() -> bytes:
    spki = base64.b64decode(_TRUSTED_ROOT["tlogs"][0]["publicKey"]["rawBytes"])
    prime256v1, unknown = bytes.fromhex("06082a8648ce3d030107"), bytes.fromhex("06082a8648ce3d030109")
    assert prime256v1 in spki
    patched = base64.b64encode(spki.replace(prime256v1, unknown, 1)).decode()
    return dumps(set_path(_TRUSTED_ROOT, ("tlogs", 0, "publicKey", "rawBytes"), patched))


@FAST
@given(data=documents(SEEDS.trusted_roots))
@example(data=dumps(set_path(_TRUSTED_ROOT, ("tlogs", 0, "publicKey", "validFor", "start"), 5)))
@example(data=dumps(set_path(_TRUSTED_ROOT, ("tlogs", 0, "logId"), "abc")))
@example(data=_unknown_curve_log_key())
def test_trusted_root_from_json(data: bytes) -> None:
    bounded(TrustedRoot.from_json, data)


# --- registry answers ---------------------------------------------------------------------------------------------


@FAST
@given(
    header=text(('Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"',))
)
@example(header="Bearer " + "a" * 20_000)
def test_parse_challenge(header: str) -> None:
    bounded(parse_challenge, header)


@FAST
@given(header=text(('</v2/a/referrers/sha256:0?last=x>; rel="next"',)) | st.just('<a>; rel="next",' * 500))
@example(header="<" * 8192)
@example(header=",;" * 4096)
def test_next_link(header: str) -> None:
    bounded(next_link, header)


_INDEX = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [
        {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + "a" * 64,
            "size": 10,
            "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
            "annotations": {"k": "v"},
        }
    ],
}


@FAST
@given(index=documents((_INDEX,)))
def test_descriptors(index: bytes) -> None:
    from cosign_verify.store.oci import parse_json

    document = bounded(parse_json, index, "fuzz")
    if not isinstance(document, CosignVerifyError):
        bounded(lambda: list(descriptors(document, "fuzz")))


@FAST
@given(value=st.none() | text(("120", "Fri, 31 Dec 9999 23:59:59 GMT", "1e400", "nan")))
def test_retry_after(value: str | None) -> None:
    seconds = bounded(retry_after, value)
    assert seconds is None or (isinstance(seconds, float) and seconds >= 0)


# --- operator input: keys, references, scopes, configurations -------------------------------------------------


def _pem_variants() -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        pem = draw(st.sampled_from(SEEDS.keys))
        lines = pem.split(b"\n")
        index = draw(st.integers(0, len(lines) - 1))
        lines[index] = draw(st.binary(max_size=80))
        return b"\n".join(lines)

    return st.one_of(
        st.binary(max_size=300),
        st.sampled_from(SEEDS.keys),
        build(),
        st.sampled_from(SEEDS.keys).map(lambda k: k * 3),
    )


@FAST
@given(data=_pem_variants())
@example(data=b"-----BEGIN PUBLIC KEY-----\n" * 5000)
def test_load_public_keys(data: bytes) -> None:
    bounded(load_public_key, data)
    bounded(load_public_keys, data)
    bounded(load_public_key, data.decode("latin-1"))


@settings(FAST, max_examples=max(200, EXAMPLES))
@given(value=text(("registry.example:5000/team/app:v1@sha256:" + "0" * 64, "[::1]:5000/a", "nginx")))
@example(value="a" * 4096)
@example(value="a." * 2000 + "!")
@example(value="a-" * 2000 + "/b")
@example(value="0x" + "f" * 4000 + "/a")
def test_reference_parse(value: str) -> None:
    bounded(Reference.parse, value)


@settings(FAST, max_examples=max(200, EXAMPLES))
@given(
    value=text(("registry.example/team/*", "*", "registry.example/app@*", "r.example/a@sha256:" + "0" * 64))
)
@example(value="a" * 100_000 + "*")
@example(value="[" * 5000 + "*")
def test_scope_parse(value: str) -> None:
    bounded(Scope.parse, value)


def _config_documents() -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        template = draw(st.sampled_from(SEEDS.configs))
        path = draw(st.sampled_from([(), *json_paths(template)]))
        return json.loads(dumps(set_path(template, path, draw(json_values))))

    return st.one_of(json_values, st.sampled_from(SEEDS.configs), build())


@FAST
@given(document=_config_documents())
def test_load_config_dict(document: Any) -> None:
    if isinstance(document, dict):
        bounded(load_config, document)


@pytest.fixture(scope="module")
def config_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-config-") as name:
        yield Path(name)


def _yaml_variants() -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        lines = draw(st.sampled_from(SEEDS.yaml_configs)).split("\n")
        index = draw(st.integers(0, len(lines) - 1))
        lines[index] = draw(
            st.text(max_size=60)
            | st.sampled_from(
                ["a: &a [*a]", "? [a]: b", "1.5: x", "2024-01-01: x", "x: !!binary AAAA", "{" * 300]
            )
        )
        return "\n".join(lines)

    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(10)
    )
    # Nesting stays under PyYAML's recursion depth here: past it, refusing a file takes 1 to 2.5 s (see
    # test_deep_yaml_is_refused_in_bounded_time), too close to CALL_LIMIT for a stable property.
    deep = "a: " + "[" * 300 + "]" * 300
    return st.one_of(text(SEEDS.yaml_configs), build(), st.just(bomb), st.just(deep))


_FLOAT_KEY = """apiVersion: config.ratify.deislabs.io/v1beta1
kind: Policy
metadata:
  name: p
spec:
  type: configpolicy
  parameters:
    artifactVerificationPolicies:
      1.5: nope
"""


@FAST
@given(content=_yaml_variants(), suffix=st.sampled_from([".yaml", ".json"]))
@example(content=_FLOAT_KEY, suffix=".yaml")
def test_load_config_files(config_dir: Path, content: str, suffix: str) -> None:
    path = config_dir / f"config{suffix}"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    bounded(load_config, path)
    bounded(load_config, [path, path])


@pytest.mark.parametrize(
    "content",
    ["{" * 2_000, "[" * 1_000_000, "a: " + "{a: " * 5_000, ("[" * 900 + "]" * 900 + "\n---\n") * 50],
)
def test_deep_yaml_is_refused_in_bounded_time(config_dir: Path, content: str) -> None:
    """Deep flow nesting is a ConfigError in bounded time: libyaml (used where PyYAML has it) stops at 1000
    levels in milliseconds; PyYAML's own scanner, quadratic in the nesting it has seen, takes 1 to 2.5 s
    however large the file (4 MiB at most)."""
    path = config_dir / "deep.yaml"
    path.write_text("# nested\n" + content)
    started = time.perf_counter()
    with (
        hang_guard(),
        pytest.raises(
            ConfigError, match=r"nested too deeply|exceeded maximum nesting depth|not a configuration"
        ),
    ):
        load_config(path)
    assert time.perf_counter() - started < 5.0


# --- operator files that are not what they claim -------------------------------------------------------------


def _readers() -> dict[str, Callable[[Path], object]]:
    from cosign_verify import FileKeyProvider
    from cosign_verify.store import DockerConfigAuthProvider

    return {
        "config": load_config,
        "trusted-root": TrustedRoot.from_file,
        "key-file": lambda path: FileKeyProvider("keys", path),
        "docker-config": DockerConfigAuthProvider,
        "bundle-file": lambda path: verify_bundle(path, "sha256:" + "0" * 64, keys=[SEEDS.key_pem]),
    }


@pytest.mark.parametrize("reader", sorted(_readers()))
@pytest.mark.parametrize("kind", ["fifo", "device", "directory", "oversized", "binary"])
def test_operator_files_are_refused_in_time(reader: str, kind: str, tmp_path: Path) -> None:
    """A FIFO nobody writes to, /dev/zero, a directory, a sparse 1 TiB file, random bytes: a ConfigError
    at once (never a block on the FIFO, never a read of the device or of the whole file); random bytes
    in a bundle file are a bad bundle, so a failed result."""
    import os

    path = tmp_path / "input.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    elif kind == "directory":
        path.mkdir()
        (path / "inner.pub").mkdir()
    elif kind == "oversized":
        with path.open("wb") as sparse:
            sparse.truncate(1 << 40)
    else:
        path.write_bytes(bytes(range(256)) * 16)
    if kind == "binary" and reader == "bundle-file":  # a readable file: a bad bundle, not a bad argument
        result = bounded(_readers()[reader], path)
        assert isinstance(result, BundleVerificationResult) and not result.is_success
        return
    with pytest.raises(ConfigError):
        bounded_raising(_readers()[reader], path)


def bounded_raising(read: Callable[[Path], object], path: Path) -> None:
    """``read(path)`` within ``CALL_LIMIT`` (and the hang guard), letting its error through."""
    started = time.perf_counter()
    with hang_guard(5):
        try:
            read(path)
        finally:
            elapsed = time.perf_counter() - started
            assert elapsed < CALL_LIMIT, f"took {elapsed:.2f}s"
