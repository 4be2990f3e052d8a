"""Bounded under hostile input: a malicious registry, token endpoint and Rekor never crash, hang or exhaust us.

One case per misbehaviour of :class:`~tests.hostile_server.HostileServer`: an
image signed on it is verified through ``OCIRegistryStore`` and the
production verifier with a deadline of ``DEADLINE`` seconds while the server
misbehaves on one route. Every case must end within the deadline plus
``MARGIN``, stay under ``MEMORY_LIMIT`` of traced memory, let no exception
that is not ours cross the store or log seam, log no error with a traceback,
and fail with a reason. Cases marked ``may_pass`` change only what the
verifier rightly ignores (a header nobody reads, the index's own
``schemaVersion``): the genuine signature still verifies, so they may pass.

First the transport cases (slow, endless and bomb bodies, stalls, trickled
headers, retries, redirects, pagination links, huge and many headers, lying
lengths, hostile token challenges, oversized signatures); then one case per
JSON field of every document a registry, token endpoint or Rekor sends (the
referrers list and its descriptors, the signature manifest, the signed
payload, the Sigstore bundle, the token answer, Rekor's search and entry
answers), the field replaced by a value of another JSON type (strings also by
one with a lone surrogate, numbers by ones no float or int64 holds).
Content-addressed documents are changed where
the server stores them, so digests stay consistent and the change reaches
the parsers.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import attrs
import pytest

from cosign_verify import Executor, ExecutorOptions, Reference
from cosign_verify.store import OCIRegistryStore, RegistryOptions
from cosign_verify.testing import (
    FakeSigstore,
    KeyPair,
    SignOptions,
    generate_key_pair,
    make_payload,
    sign_image,
)
from cosign_verify.transparency import RekorLog

from .hostile_scenarios import (
    DEADLINE,
    MARGIN,
    SIGNED_SHAPES,
    Scenario,
    assert_bounded,
    sign,
    templates,
    verifier_for,
    verify_measured,
)
from .hostile_server import (
    Action,
    Answer,
    Connection,
    HostileServer,
    JsonPath,
    Raw,
    Request,
    declared_length,
    dumps,
    endless_body,
    gzip_bomb,
    huge_header,
    json_paths,
    link,
    many_headers,
    mutate_json,
    redirect,
    redirect_loop,
    replace,
    retry_after,
    rewrite,
    send,
    set_path,
    slow_body,
    slow_headers,
    stall,
)

# Routes, as regular expressions over the request path.
RESOLVE = r"/manifests/v1$"  # the subject, by tag
REFERRERS = r"/referrers/"
SIGNATURE_MANIFEST = r"/manifests/sha256"  # by digest (a referrer) or by cosign's .sig tag
BLOB = r"/blobs/"
TOKEN = r"^/token$"
REKOR_SEARCH = r"^/api/v1/index/retrieve$"
REKOR_ENTRY = r"^/api/v1/log/entries/"

# A misbehaviour stops here, so that a verifier that does not stop in time cannot hang the suite.
GIVE_UP = DEADLINE + MARGIN + 0.5


@attrs.frozen(kw_only=True)
class Case:
    """One misbehaviour: ``action`` on ``route`` while verifying an image signed as ``signed``.

    ``prepare`` changes the signed content on the server first; ``payload`` and
    ``bundle`` make the signature's payload or bundle; ``bug`` marks a case
    the package fails today (strict xfail, with what it does wrong).
    """

    id: str
    route: str = ""
    action: Action | None = None
    signed: str = "referrer"
    auth: bool = False
    prepare: Callable[[Scenario], None] | None = None
    payload: Callable[[Reference], bytes] | None = None
    bundle: Callable[[dict[str, Any]], dict[str, Any] | bytes] | None = None
    extra: tuple[tuple[str, Action], ...] = ()
    may_pass: bool = False
    bug: str | None = None

    def param(self) -> Any:
        marks = [pytest.mark.xfail(strict=True, reason=self.bug)] if self.bug else []
        return pytest.param(self, id=self.id, marks=marks)


# --- transport misbehaviours ------------------------------------------------------------------------------


def _to(target: Callable[[Request], str], status: int = 307) -> Action:
    def action(conn: Connection, request: Request, answer: Answer) -> None:
        send(conn, request, Answer(status, [("Location", target(request))]))

    return action


def _port(request: Request) -> str:
    return request.headers.get("host", "").rpartition(":")[2]


def _elsewhere(request: Request) -> str:
    """The same URL on another host (``localhost`` rather than ``127.0.0.1``), under ``/elsewhere``."""
    return f"http://localhost:{_port(request)}/elsewhere{request.target}"


def _back_home(request: Request) -> str:
    return f"http://127.0.0.1:{_port(request)}{request.target.removeprefix('/elsewhere')}"


def _json_body(body: bytes) -> Action:
    return replace(200, [("Content-Type", "application/json")], body)


SLOW = {
    "slow-body-length": slow_body(10, "length"),
    "slow-body-chunked": slow_body(10, "chunked"),
    "slow-body-close": slow_body(10, "close"),
    "endless-slow": endless_body("chunked", rate=50),
    "stall": stall(),
    "slow-headers": slow_headers(20),
    "redirect-to-stalling-host": _to(lambda r: f"http://localhost:{_port(r)}/stall{r.target}"),
    "429-retry-after-garbage": retry_after("soon\x7f, maybe"),  # retried with backoff until the deadline
}
FAST = {
    "endless-close": endless_body("close"),
    "endless-chunked": endless_body("chunked"),
    "endless-length": endless_body("length"),
    "gzip-bomb-length": gzip_bomb(),
    "gzip-bomb-close": gzip_bomb(content_length=False),
    "429-retry-after-1e9": retry_after("1000000000"),
    "429-retry-after-1e400": retry_after("1e400"),
    "429-retry-after-far-date": retry_after("Fri, 31 Dec 9999 23:59:59 GMT"),
    "503-retry-after-negative": retry_after("-1e9", status=503),
    "redirect-loop": redirect_loop(),
    "redirect-ping-pong-hosts": _to(_elsewhere),
    "redirect-not-http": redirect("file:///etc/passwd"),
    "redirect-huge-location": redirect("/" + "a" * 60_000),
    "content-length-short": declared_length("10"),
    "content-length-huge": declared_length("99999999999999999999"),
    "content-length-garbage": declared_length("-1"),
}
GARBAGE = {
    "deep-json": _json_body(b"[" * 100_000 + b"]" * 100_000),
    "huge-json": _json_body(json.dumps({"token": "t" * (2 << 20)}).encode()),
    "malformed-json": _json_body(b'{"token": "abc", '),
    "not-json": replace(200, [("Content-Type", "text/html")], b"<html>\x00\xff</html>"),
    "json-string": _json_body(b'"a string"'),
}
# Answers a verifier may rightly accept: the body is the honest one, whatever the header says.
MAY_PASS = {"content-length-garbage"}
# Every follow-up a redirect leads to (the other host's answers), for every case.
FOLLOW_UPS = (
    (r"^/elsewhere/", _to(_back_home)),
    (r"^/stall/", stall()),
)


def _cases(name: str, route: str, actions: dict[str, Action], **fields: Any) -> Iterator[Case]:
    bugs: dict[str, str] = fields.pop("bugs", {})
    for key, action in actions.items():
        yield Case(
            id=f"{name}:{key}",
            route=route,
            action=action,
            may_pass=key in MAY_PASS,
            bug=bugs.get(key),
            extra=FOLLOW_UPS,
            **fields,
        )


def _pick(*names: str) -> dict[str, Action]:
    return {name: SLOW[name] for name in names}


def transport_cases() -> Iterator[Case]:
    # Every route gets every fast misbehaviour; each slow one costs the deadline, so they are spread out
    # over the readers they reach (registry answers, token answers, Rekor answers all share one HTTP client).
    blob_slow = _pick(
        "slow-body-length", "slow-body-chunked", "slow-body-close", "endless-slow", "429-retry-after-garbage"
    )
    yield from _cases("blob", BLOB, {**FAST, **blob_slow}, signed="tag")
    yield from _cases("referrers", REFERRERS, {**FAST, **GARBAGE})
    resolve_slow = _pick("stall", "slow-headers", "redirect-to-stalling-host")
    yield from _cases("resolve", RESOLVE, {**FAST, **resolve_slow})
    yield from _cases("signature-manifest", SIGNATURE_MANIFEST, FAST)
    yield from _cases("sig-tag", SIGNATURE_MANIFEST, FAST, signed="tag")
    # The token endpoint: the registry answers 401 with a Bearer challenge whose realm is the hostile server.
    token = {**FAST, **GARBAGE, **_pick("slow-body-chunked")}
    yield from _cases("token", TOKEN, token, auth=True)
    yield from challenge_cases()
    # Rekor: a key signature without a bundle, looked up online at the hostile server.
    search = {**FAST, **GARBAGE, **_pick("slow-body-close", "slow-headers")}
    yield from _cases("rekor-search", REKOR_SEARCH, search, signed="rekor")
    entry = {**FAST, **GARBAGE, **_pick("stall", "redirect-to-stalling-host")}
    yield from _cases("rekor-entry", REKOR_ENTRY, entry, signed="rekor")
    yield from header_cases()
    yield from signature_cases()


def header_cases() -> Iterator[Case]:
    yield Case(id="referrers:link-60000", route=REFERRERS, action=huge_header("Link", 60_000, "<a>,"))
    yield Case(id="referrers:link-loop", route=REFERRERS, action=link(lambda r: r.target))
    other_host = link("http://evil.example/v2/ns/app/referrers/x")
    yield Case(id="referrers:link-other-host", route=REFERRERS, action=other_host)
    other_repository = link("/v2/other/repo/referrers/x?last=1")
    yield Case(id="referrers:link-other-repo", route=REFERRERS, action=other_repository)
    yield Case(
        id="referrers:link-bad-ipv6",
        route=REFERRERS,
        action=link("http://[::1/v2/ns/app/referrers/x"),
    )
    yield Case(
        id="resolve:redirect-bad-ipv6",
        route=RESOLVE,
        action=redirect("http://[::1/v2/"),
    )
    yield Case(
        id="resolve:header-60000", route=RESOLVE, action=huge_header("X-Filler", 60_000), may_pass=True
    )
    yield Case(id="resolve:header-100000", route=RESOLVE, action=huge_header("X-Filler", 100_000))
    yield Case(id="resolve:10000-headers", route=RESOLVE, action=many_headers(10_000))
    yield Case(id="resolve:digest-header-60000", route=RESOLVE, action=huge_header("Docker-Content-Digest"))
    yield Case(
        id="resolve:content-type-60000", route=RESOLVE, action=huge_header("Content-Type"), may_pass=True
    )


def _challenge(value: str) -> Action:
    def change(answer: Answer) -> Answer:
        if answer.status != 401:
            return answer
        return attrs.evolve(
            answer, headers=[*answer.without("WWW-Authenticate"), ("WWW-Authenticate", value)]
        )

    return rewrite(change)


def challenge_cases() -> Iterator[Case]:
    challenges = {
        "realm-file": 'Bearer realm="file:///etc/passwd",service="x"',
        "realm-plain-http-elsewhere": 'Bearer realm="http://evil.example/token"',
        "realm-closed-port": 'Bearer realm="http://127.0.0.1:9/token"',
        "no-realm": 'Bearer service="x",scope="y"',
        "huge": "Bearer " + ",".join(f'k{i}="{"v" * 50}"' for i in range(1000)),
        "garbage": 'Bearer realm="\\\\\\"' + '"' * 5000,
        "unknown-scheme": "Negotiate abc",
        "basic-without-credentials": 'Basic realm="x"',
    }
    for key, value in challenges.items():
        yield Case(id=f"challenge:{key}", route=RESOLVE, action=_challenge(value), auth=True)
    yield Case(
        id="challenge:word-run-25000",
        route=RESOLVE,
        action=_challenge("Bearer " + "a" * 25_000),
        auth=True,
    )
    yield Case(
        id="challenge:realm-bad-ipv6",
        route=RESOLVE,
        action=_challenge('Bearer realm="http://[::1/token"'),
        auth=True,
    )


def signature_cases() -> Iterator[Case]:
    def retag(change: Callable[[dict[str, Any]], None]) -> Callable[[Scenario], None]:
        def prepare(scenario: Scenario) -> None:
            manifest = scenario.signature_manifest()
            change(manifest)
            scenario.retag_signature(manifest)

        return prepare

    def many_layers(manifest: dict[str, Any]) -> None:
        manifest["layers"] = manifest["layers"] * 257

    def huge_size(manifest: dict[str, Any]) -> None:
        manifest["layers"][0]["size"] = 1 << 62

    def huge_annotation(manifest: dict[str, Any]) -> None:
        manifest["layers"][0]["annotations"]["dev.cosignproject.cosign/signature"] = "A" * (3 << 20)

    def huge_manifest(manifest: dict[str, Any]) -> None:
        manifest["annotations"] = {"filler": "x" * (5 << 20)}

    def many_referrers(scenario: Scenario) -> None:
        for _ in range(70):  # more than the 64 referrers an executor verifies per subject
            sign_image(scenario.server.store, scenario.image, scenario.pair, SignOptions(layout="referrer"))

    for name, change in [
        ("257-layers", many_layers),
        ("layer-size-2^62", huge_size),
        ("annotation-3MiB", huge_annotation),
        ("manifest-5MiB", huge_manifest),
    ]:
        yield Case(id=f"signature:{name}", signed="tag", prepare=retag(change))
    yield Case(id="referrers:71-signatures", prepare=many_referrers)
    entry = {"mediaType": "x", "digest": "sha256:" + "0" * 64, "size": 1}
    yield Case(
        id="referrers:10000-entries", route=REFERRERS, action=mutate_json(("manifests",), [entry] * 10_000)
    )
    untyped = [{"digest": f"sha256:{i:064x}", "size": 1} for i in range(100)]
    yield Case(id="referrers:100-untyped", route=REFERRERS, action=mutate_json(("manifests",), untyped))
    not_string = retag(lambda m: m["layers"][0]["annotations"].update({"x": 1}))
    yield Case(id="signature:annotation-not-string", signed="tag", prepare=not_string)

    def lone_surrogate(scenario: Scenario) -> None:
        """JSON may escape a lone surrogate; Python decodes it; UTF-8 cannot encode it."""
        manifest = scenario.signature_manifest()
        manifest["layers"][0]["annotations"]["dev.sigstore.cosign/certificate"] = Raw('"\\ud800"')
        scenario.retag_signature(dumps(manifest))

    yield Case(id="signature:certificate-lone-surrogate", signed="tag", prepare=lone_surrogate)

    def checkpoint_surrogate(bundle: dict[str, Any]) -> bytes:
        proof = bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
        envelope = json.dumps(proof["checkpoint"]["envelope"])
        proof["checkpoint"]["envelope"] = Raw(envelope[:1] + "\\ud800" + envelope[1:])
        return dumps(bundle)

    yield Case(
        id="bundle:checkpoint-lone-surrogate",
        signed="bundle",
        bundle=checkpoint_surrogate,
    )


EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")  # the OID 1.2.840.10045.2.1, DER
PRIME256V1 = bytes.fromhex("06082a8648ce3d030107")  # 1.2.840.10045.3.1.7


def _first_certificate(pem: str) -> str:
    return pem.split("-----END CERTIFICATE-----", maxsplit=1)[0] + "-----END CERTIFICATE-----\n"


def keyless_cases() -> Iterator[Case]:
    """Hostile certificates and chains in a keyless signature's annotations."""

    def annotate(name: str, value: Callable[[str], str]) -> Callable[[Scenario], None]:
        def prepare(scenario: Scenario) -> None:
            manifest = scenario.signature_manifest()
            annotations = manifest["layers"][0]["annotations"]
            annotations[name] = value(annotations[name])
            scenario.retag_signature(manifest)

        return prepare

    def patched(old: bytes, new: bytes) -> Callable[[str], str]:
        def patch(pem: str) -> str:
            from cryptography import x509
            from cryptography.hazmat.primitives import serialization

            der = x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)
            assert old in der
            body = base64.encodebytes(der.replace(old, new, 1)).decode()
            return f"-----BEGIN CERTIFICATE-----\n{body}-----END CERTIFICATE-----\n"

        return patch

    certificate, chain = "dev.sigstore.cosign/certificate", "dev.sigstore.cosign/chain"
    unknown_key_type = patched(EC_PUBLIC_KEY, bytes.fromhex("06072a8648ce3d0209"))
    unknown_curve = patched(PRIME256V1, bytes.fromhex("06082a8648ce3d030109"))
    cases = {
        "certificate-unknown-key-type": (certificate, unknown_key_type, None),
        "certificate-unknown-curve": (certificate, unknown_curve, None),
        "certificate-garbage": (
            certificate,
            lambda _: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            None,
        ),
        "certificate-of-another-key": (certificate, lambda pem: pem.replace("A", "B", 1), None),
        "chain-2000-certificates": (chain, lambda pem: pem * 1000, None),
        "chain-unknown-key-type": (chain, lambda pem: unknown_key_type(_first_certificate(pem)), None),
    }
    for name, (annotation, change, bug) in cases.items():
        # The chain annotation is a hint: the chain is built from the trusted root's CAs.
        may_pass = annotation == chain
        prepare = annotate(annotation, change)
        yield Case(id=f"keyless:{name}", signed="keyless", prepare=prepare, may_pass=may_pass, bug=bug)


TRANSPORT_CASES = [case.param() for case in (*transport_cases(), *keyless_cases())]


# --- one field at a time ---------------------------------------------------------------------------------------


def wrong_values(value: Any) -> dict[str, Any]:
    """Values of other JSON types than ``value``'s (for a string, also one with a lone surrogate); for a
    number (or protobuf's int64-as-string), also numbers no float, int or int64 holds."""
    out: dict[str, Any] = {}
    if value is not None:
        out["null"] = None
    if isinstance(value, bool) or not isinstance(value, int):
        out["int"] = 7
    if not isinstance(value, str):
        out["string"] = "7"
    else:  # a string JSON may hold and Python decodes, but UTF-8 cannot encode
        out["lone-surrogate"] = Raw('"\\ud800"')
    if not isinstance(value, list):
        out["array"] = ["x"]
    if not isinstance(value, dict):
        out["object"] = {"x": "y"}
    number = isinstance(value, int) and not isinstance(value, bool)
    if number or (isinstance(value, str) and value.isdigit()):
        out.update({"true": True, "-1": -1, "1e400": Raw("1e400"), "10^400": Raw("1" + "0" * 400)})
    return out


def _mutation_paths(document: Any) -> list[JsonPath]:
    """The document itself, then every member and the first item of every array."""
    paths = [p for p in json_paths(document) if all(not isinstance(k, int) or k == 0 for k in p)]
    return [(), *paths]


def _label(path: JsonPath) -> str:
    return ".".join(str(k) for k in path) or "(document)"


# Fields (``path`` for any value, ``path=kind`` for one) whose change a verifier may rightly ignore: the
# genuine signature still verifies, and what changed carries no trust.
IGNORED: dict[str, set[str]] = {
    # The index's own fields; a descriptor's media type defaults to the image manifest's, and an entry
    # without an artifact type has it read from the manifest itself.
    "referrers": {
        "schemaVersion",
        "mediaType",
        "manifests.0.mediaType=null",
        "manifests.0.mediaType=lone-surrogate",
        "manifests.0.artifactType=null",
    },
    "tag-schema-index": {
        "schemaVersion",
        "mediaType",
        "manifests.0.mediaType=null",
        "manifests.0.mediaType=lone-surrogate",
        "manifests.0.artifactType=null",
    },
    "signature-manifest": {"config", "config.mediaType", "config.digest", "config.size"},
    # cosign's optional section may be any object; the docker-reference is not checked (as in cosign).
    "payload": {"optional=object", "critical.identity.docker-reference=lone-surrogate"},
    # A hint and a key id name a key; the trusted keys are the policy's, whatever they say.
    "bundle": {"verificationMaterial.publicKey.hint", "dsseEnvelope.signatures.0.keyid"},
    # A token's lifetime: absent or null means 60 s, a whole number of seconds is kept (at most a day),
    # anything else is refused.
    "token": {"expires_in"},
}

# Cases the package fails today (strict xfail, with what it does wrong), by id: none.
MUTATION_BUGS: dict[str, str] = {}


def _payload_mutation(path: JsonPath, value: Any, image: Reference) -> bytes:
    assert image.digest is not None
    document = json.loads(make_payload(image.digest, image.name))
    return dumps(set_path(document, path, value))


def _manifest_mutation(path: JsonPath, value: Any, scenario: Scenario) -> None:
    scenario.retag_signature(dumps(set_path(scenario.signature_manifest(), path, value)))


def _index_mutation(path: JsonPath, value: Any, scenario: Scenario) -> None:
    scenario.write_referrers_index(dumps(set_path(scenario.referrers_index(), path, value)))


def _bundle_mutation(path: JsonPath, value: Any, bundle: dict[str, Any]) -> bytes:
    return dumps(set_path(bundle, path, value))


def mutation_cases() -> Iterator[Case]:
    documents = templates()
    documents["tag-schema-index"] = documents["referrers"]  # the same document, tagged instead of served
    for name, document in documents.items():
        for path in _mutation_paths(document):
            for kind, value in wrong_values(_value_at(document, path)).items():
                fields = _mutation_fields(name, path, value)
                ignored = IGNORED.get(name, set())
                may_pass = _label(path) in ignored or f"{_label(path)}={kind}" in ignored
                case_id = f"{name}:{_label(path)}={kind}"
                yield Case(id=case_id, may_pass=may_pass, bug=MUTATION_BUGS.get(case_id), **fields)


def _value_at(document: Any, path: JsonPath) -> Any:
    for key in path:
        document = document[key]
    return document


def _mutation_fields(name: str, path: JsonPath, value: Any) -> dict[str, Any]:
    if name == "referrers":
        return {"route": REFERRERS, "action": mutate_json(path, value)}
    if name == "tag-schema-index":
        return {"signed": "tag-schema", "prepare": partial(_index_mutation, path, value)}
    if name == "signature-manifest":
        return {"signed": "tag", "prepare": partial(_manifest_mutation, path, value)}
    if name == "payload":
        return {"signed": "tag", "payload": partial(_payload_mutation, path, value)}
    if name == "bundle":
        return {"signed": "bundle", "bundle": partial(_bundle_mutation, path, value)}
    if name == "token":
        return {"route": TOKEN, "action": mutate_json(path, value), "auth": True}
    route = REKOR_SEARCH if name == "rekor-search" else REKOR_ENTRY
    return {"route": route, "action": mutate_json(path, value), "signed": "rekor"}


MUTATION_CASES = [case.param() for case in mutation_cases()]


# --- running a case ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fake() -> FakeSigstore:
    sigstore = FakeSigstore()
    noise = generate_key_pair()
    for index in range(5):  # other entries, so that inclusion proofs have hashes
        sigstore.log(b"noise %d" % index, b"signature", noise.public_pem().encode())
    return sigstore


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return generate_key_pair("ecdsa-p256")


def run(case: Case, fake: FakeSigstore, pair: KeyPair) -> None:
    referrers_api = case.signed != "tag-schema"
    with HostileServer(sigstore=fake, auth=case.auth, referrers_api=referrers_api, give_up=GIVE_UP) as server:
        scenario = sign(server, fake, pair, case.signed, payload=case.payload, bundle=case.bundle)
        if case.prepare is not None:
            case.prepare(scenario)
        for route, action in case.extra:  # first: they answer only their own (anchored) paths
            server.misbehave(route, action)
        if case.action is not None:
            server.misbehave(case.route, case.action)
        outcome = verify_measured(scenario)
    assert_bounded(outcome, may_pass=case.may_pass)


@pytest.mark.parametrize("case", TRANSPORT_CASES)
def test_transport_misbehaviour(case: Case, fake: FakeSigstore, pair: KeyPair) -> None:
    run(case, fake, pair)


@pytest.mark.parametrize("case", MUTATION_CASES)
def test_one_field_of_another_type(case: Case, fake: FakeSigstore, pair: KeyPair) -> None:
    run(case, fake, pair)


def test_the_honest_server_passes(fake: FakeSigstore, pair: KeyPair) -> None:
    """Without misbehaviour every shape verifies: the cases above fail because of what they change."""
    for shape in SIGNED_SHAPES:
        with HostileServer(sigstore=fake, referrers_api=shape != "tag-schema") as server:
            outcome = verify_measured(sign(server, fake, pair, shape))
        assert outcome.result.is_success, outcome.summary()
        assert outcome.elapsed < DEADLINE
    with HostileServer(sigstore=fake, auth=True) as server:
        outcome = verify_measured(sign(server, fake, pair, "referrer"))
        assert outcome.result.is_success, outcome.summary()
        assert server.count("GET", "^/token") >= 1


def test_a_shared_store_keeps_each_verifications_deadline(fake: FakeSigstore, pair: KeyPair) -> None:
    """Two verifications of one subject through one store, with deadlines of 4 s and 1 s, while the
    registry sends the signature payload slowly: the second must end within its own deadline."""
    with HostileServer(sigstore=fake, give_up=6.0) as server:
        scenario = sign(server, fake, pair, "tag")
        server.misbehave(BLOB, slow_body(10))
        store = OCIRegistryStore(RegistryOptions())
        verifier = verifier_for(scenario, RekorLog(server.url))
        patient = Executor(store, [verifier], options=ExecutorOptions(deadline=4.0))
        hasty = Executor(store, [verifier], options=ExecutorOptions(deadline=DEADLINE))
        first = threading.Thread(target=patient.verify, args=(scenario.subject,), daemon=True)
        first.start()
        time.sleep(0.3)  # the patient verification is reading the payload now
        started = time.monotonic()
        result = hasty.verify(scenario.subject)
        elapsed = time.monotonic() - started
        first.join(timeout=10)
    assert not result.is_success
    assert elapsed < DEADLINE + MARGIN, f"took {elapsed:.2f}s"
