"""Signed images on a :class:`HostileServer`, verified as production does, with everything measured.

A scenario is one signed image on the hostile server, in one of the
shapes ``SIGNED_SHAPES``: a key signature as an OCI 1.1 referrer (listed by
the referrers API, or by the referrers tag schema's index on a server
without that API) or under cosign's ``.sig`` tag (transparency log off), a
key signature without a
Rekor bundle whose entry the server's Rekor serves (``tLogVerify`` on, the
hostile server as ``rekorURL``), a key-based Sigstore bundle (cosign v3), or
a keyless signature (the fake's Fulcio certificate and Rekor bundle under
the ``.sig`` tag, a keyless trust policy over the fake's trusted root).
:func:`verify_measured` verifies it through ``OCIRegistryStore`` and the
production verifier within a deadline and returns the result with its wall
time, peak traced memory, log records and every exception that crossed a
seam (store, transparency log) without being one of ours.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import attrs

from cosign_verify import (
    CosignVerifier,
    CosignVerifyError,
    Executor,
    ExecutorOptions,
    FailureReason,
    InlineKeyProvider,
    Keyless,
    KeyProviders,
    KeyRef,
    Reference,
    TrustedRoot,
    TrustPolicy,
    VerificationResult,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE, OCI_IMAGE_INDEX, SIGSTORE_BUNDLE_V03
from cosign_verify.store import OCIRegistryStore, RegistryOptions
from cosign_verify.store.base import Descriptor, cosign_signature_tag
from cosign_verify.store.memory import MemoryStore
from cosign_verify.store.oci import referrers_tag
from cosign_verify.testing import (
    FakeSigstore,
    KeyPair,
    SignOptions,
    attach_bundle,
    generate_key_pair,
    make_statement,
    push_image,
    sign_image,
)
from cosign_verify.transparency import LogEntry, RekorLog, SignedContent, TransparencyLog

from .hostile_server import HostileServer, Request

# The verifications' budget: every case must end within DEADLINE + MARGIN seconds.
DEADLINE = 1.0
MARGIN = 1.5
MEMORY_LIMIT = 64 << 20

SIGNED_SHAPES = ("referrer", "tag-schema", "tag", "rekor", "bundle", "keyless")
# The Fulcio identity keyless scenarios sign as, and their trust policy trusts.
IDENTITY, ISSUER = "builder@example.com", "https://issuer.example"


# --- watching the seams ------------------------------------------------------------------------------


class Watched:
    """Remembers every exception not ours that a wrapped object's methods raise (and raises it on)."""

    def __init__(self, inner: Any, what: str) -> None:
        self.inner = inner
        self.what = what
        self.foreign: list[BaseException] = []

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.inner, method)(*args, **kwargs)
        except CosignVerifyError:
            raise
        except Exception as exc:
            self.foreign.append(exc)
            raise


class WatchedStore(Watched):
    """A :class:`ReferrerStore` that watches another."""

    def resolve(self, reference: Reference) -> Descriptor:
        return self._call("resolve", reference)  # type: ignore[no-any-return]

    def list_referrers(self, subject: Reference) -> Sequence[Descriptor]:
        return self._call("list_referrers", subject)  # type: ignore[no-any-return]

    def fetch_manifest(self, repository: Reference, digest: str) -> bytes:
        return self._call("fetch_manifest", repository, digest)  # type: ignore[no-any-return]

    def fetch_blob(self, repository: Reference, digest: str) -> bytes:
        return self._call("fetch_blob", repository, digest)  # type: ignore[no-any-return]


class WatchedLog(Watched):
    """A :class:`TransparencyLog` that watches another."""

    def entry_from_bundle(self, bundle: str, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        return self._call("entry_from_bundle", bundle, content, trusted_root)  # type: ignore[no-any-return]

    def lookup(self, payload: bytes, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        return self._call("lookup", payload, content, trusted_root)  # type: ignore[no-any-return]


# --- signing on the hostile server ---------------------------------------------------------------------


@attrs.define
class Scenario:
    """One image signed on ``server`` in the shape ``signed``; ``subject`` is what is verified (a tag)."""

    server: HostileServer
    fake: FakeSigstore
    pair: KeyPair
    signed: str
    image: Reference

    @property
    def subject(self) -> str:
        return f"{self.image.registry}/{self.image.repository}:{self.image.tag}"

    @property
    def digest(self) -> str:
        assert self.image.digest is not None
        return self.image.digest

    def public_pem(self) -> bytes:
        return self.pair.public_pem().encode()

    def signature_manifest(self) -> dict[str, Any]:
        """The ``.sig`` tag's manifest (shape ``tag`` or ``rekor``)."""
        tag = cosign_signature_tag(self.digest)
        found = self.server.store.resolve(attrs.evolve(self.image, tag=tag, digest=None))
        return json.loads(self.server.store.fetch_manifest(self.image, found.digest))  # type: ignore[no-any-return]

    def referrers_index(self) -> dict[str, Any]:
        """The referrers tag schema's index of the subject (shape ``tag-schema``), as the server stores it."""
        found = self.server.store.resolve(
            attrs.evolve(self.image, tag=referrers_tag(self.digest), digest=None)
        )
        return json.loads(self.server.store.fetch_manifest(self.image, found.digest))  # type: ignore[no-any-return]

    def write_referrers_index(self, index: dict[str, Any] | bytes) -> None:
        """Tag ``index`` as the subject's referrers index (``sha256-<hex>``), as clients without the API do."""
        data = index if isinstance(index, bytes) else json.dumps(index).encode()
        self.server.store.push_manifest(self.image, data, OCI_IMAGE_INDEX, tag=referrers_tag(self.digest))

    def retag_signature(self, manifest: dict[str, Any] | bytes) -> None:
        """Point the ``.sig`` tag at ``manifest`` (digests stay consistent: the server serves what it holds)."""
        data = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        self.server.store.push_manifest(self.image, data, tag=cosign_signature_tag(self.digest))


def new_image(server: HostileServer, name: str = "ns/app") -> Reference:
    return push_image(server.store, f"{server.registry}/{name}:v1")


def sign(
    server: HostileServer,
    fake: FakeSigstore,
    pair: KeyPair,
    signed: str = "referrer",
    *,
    payload: Callable[[Reference], bytes] | None = None,
    bundle: Callable[[dict[str, Any]], dict[str, Any] | bytes] | None = None,
) -> Scenario:
    """Push an image to ``server`` and sign it in the shape ``signed`` (see :data:`SIGNED_SHAPES`).

    ``payload`` makes the simple-signing payload for the image (signed as
    given); ``bundle`` rewrites the Sigstore bundle before it is attached.
    """
    if signed not in SIGNED_SHAPES:
        raise ValueError(signed)
    image = new_image(server)
    scenario = Scenario(server=server, fake=fake, pair=pair, signed=signed, image=image)
    if signed == "bundle":
        made = _bundle_for(scenario)
        attach_bundle(server.store, image, bundle(made) if bundle is not None else made)
        return scenario
    if signed == "keyless":
        sign_image(server.store, image, fake.signer(IDENTITY, ISSUER))
        return scenario
    layout = "referrer" if signed in ("referrer", "tag-schema") else "tag"
    options = SignOptions(layout=layout, payload=payload(image) if payload is not None else None)  # type: ignore[arg-type]
    sign_image(server.store, image, pair, options)
    if signed == "tag-schema":  # what a client pushing to a registry without the referrers API adds
        listed = server.store.list_referrers(image)
        entries = [d.to_dict() for d in sorted(listed, key=lambda d: d.digest)]
        scenario.write_referrers_index(
            {"schemaVersion": 2, "mediaType": OCI_IMAGE_INDEX, "manifests": entries}
        )
    if signed == "rekor":  # log the signature, but attach no bundle: the verifier must ask Rekor
        [layer] = scenario.signature_manifest()["layers"]
        signature = base64.b64decode(layer["annotations"]["dev.cosignproject.cosign/signature"])
        data = server.store.fetch_blob(image, layer["digest"])
        fake.log(data, signature, scenario.public_pem())
    return scenario


def _bundle_for(scenario: Scenario) -> dict[str, Any]:
    """The bundle ``sign_image`` would attach for the scenario's image (key-based, DSSE, logged in the fake)."""
    scratch = MemoryStore()
    image = push_image(scratch, "registry.example/scratch/app:v1")
    statement = make_statement(scenario.digest, scenario.image.name)
    options = SignOptions(format="bundle", rekor=scenario.fake, payload=statement)
    descriptor = sign_image(scratch, image, scenario.pair, options)
    manifest = json.loads(scratch.fetch_manifest(image, descriptor.digest))
    return json.loads(scratch.fetch_blob(image, manifest["layers"][0]["digest"]))  # type: ignore[no-any-return]


# --- verifying, measured ---------------------------------------------------------------------------------


@attrs.frozen(kw_only=True)
class Outcome:
    """What one verification did."""

    result: VerificationResult
    elapsed: float
    peak: int
    records: tuple[logging.LogRecord, ...]
    foreign: tuple[BaseException, ...]

    def reasons(self) -> list[FailureReason]:
        """Every reason set anywhere in the result."""
        found = [self.result.reason]
        for report in self.result.verifier_reports:
            found.append(report.reason)
            for signature in report.signatures:
                found.append(signature.reason)
                found.extend(v.reason for v in signature.verifications)
        return [r for r in found if r is not None]

    def tracebacks(self) -> list[logging.LogRecord]:
        """Records at ERROR or above, or with an exception attached."""
        return [r for r in self.records if r.levelno >= logging.ERROR or r.exc_info]

    def summary(self) -> str:
        data = self.result.to_dict()
        return json.dumps(data)[:1500]


def fake_root(fake: FakeSigstore) -> TrustedRoot:
    return TrustedRoot.from_json(fake.trusted_root_json(), source="fake")


def verifier_for(scenario: Scenario, log: TransparencyLog) -> CosignVerifier:
    """The cosign verifier a deployment trusting this key (and, for logged shapes, the fake's root) has."""
    tlog = scenario.signed in ("rekor", "bundle", "keyless")
    trust: dict[str, Any] = (
        {"keyless": Keyless(certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER)}
        if scenario.signed == "keyless"
        else {"keys": [KeyRef(provider="keys")]}
    )
    policy = TrustPolicy(
        name="hostile", scopes=["*"], tlog_verify=tlog, rekor_url=scenario.server.url, **trust
    )
    return CosignVerifier(
        [policy],
        KeyProviders([InlineKeyProvider("keys", scenario.pair.public_pem())]),
        artifact_types=(COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGSTORE_BUNDLE_V03),
        trusted_root=fake_root(scenario.fake) if tlog else None,
        transparency_log=log,
    )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def verify_measured(
    scenario: Scenario,
    options: RegistryOptions | None = None,
    deadline: float = DEADLINE,
) -> Outcome:
    """Verify ``scenario.subject`` through ``OCIRegistryStore`` within ``deadline``, watching everything."""
    store = WatchedStore(OCIRegistryStore(options or RegistryOptions()), "store")
    log = WatchedLog(RekorLog(scenario.server.url), "Rekor")
    executor = Executor(store, [verifier_for(scenario, log)], options=ExecutorOptions(deadline=deadline))
    handler = _Collect()
    root = logging.getLogger("cosign_verify")
    root.addHandler(handler)
    tracemalloc.start()
    try:
        started = time.monotonic()
        result = executor.verify(scenario.subject)
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        root.removeHandler(handler)
    return Outcome(
        result=result,
        elapsed=elapsed,
        peak=peak,
        records=tuple(handler.records),
        foreign=(*store.foreign, *log.foreign),
    )


def assert_bounded(outcome: Outcome, *, may_pass: bool = False, deadline: float = DEADLINE) -> None:
    """The verification ended in time and memory, raised nothing foreign, logged no traceback, and failed
    with a reason (``may_pass``: or passed, because the genuine signature still verifies)."""
    detail = outcome.summary()
    assert outcome.elapsed < deadline + MARGIN, f"took {outcome.elapsed:.2f}s: {detail}"
    assert outcome.peak < MEMORY_LIMIT, f"peak traced memory {outcome.peak >> 20} MiB: {detail}"
    assert not outcome.foreign, f"exceptions not ours crossed a seam: {outcome.foreign!r}: {detail}"
    tracebacks = [(r.levelname, r.getMessage(), r.exc_info) for r in outcome.tracebacks()]
    assert not tracebacks, f"logged: {tracebacks}: {detail}"
    if may_pass and outcome.result.is_success:
        return
    assert not outcome.result.is_success, f"passed: {detail}"
    assert outcome.reasons(), f"failed without a reason: {detail}"


# --- the documents a registry, token endpoint and Rekor send, for field-by-field mutation ----------------


def templates() -> dict[str, Any]:
    """One real instance of every JSON document the verifier reads from outside, by name.

    ``referrers``: the referrers API's index; ``signature-manifest``: a ``.sig``
    manifest; ``payload``: the simple-signing payload; ``bundle``: a key-based
    Sigstore bundle; ``token``: a token endpoint's answer; ``rekor-search`` and
    ``rekor-entry``: Rekor's answers (the entry under the key ``"*"``: its UUID).
    """
    with HostileServer(sigstore=FakeSigstore()) as server:
        assert server.sigstore is not None
        pair = generate_key_pair()
        referrer = sign(server, server.sigstore, pair, "referrer")
        listed = server.answer(_get(f"/v2/ns/app/referrers/{referrer.digest}"))
        tagged = sign(server, server.sigstore, pair, "rekor")
        for index in range(3):
            server.sigstore.log(b"noise %d" % index, b"signature", tagged.public_pem())
        [record] = [r for r in server.sigstore.records if r.kind == "hashedrekord"][:1]
        entry = server.sigstore.entry_document(record)
        bundled = _bundle_for(tagged)
        payload = server.store.fetch_blob(tagged.image, tagged.signature_manifest()["layers"][0]["digest"])
    return {
        "referrers": json.loads(listed.body),
        "signature-manifest": tagged.signature_manifest(),
        "payload": json.loads(payload),
        "bundle": bundled,
        "token": {"token": "abc", "expires_in": 300},
        "rekor-search": [record.uuid],
        "rekor-entry": {"*": next(iter(entry.values()))},
    }


def _get(target: str) -> Request:
    return Request(method="GET", target=target, headers={}, body=b"")
