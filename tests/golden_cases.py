"""A catalogue of verifications that covers every outcome, for the golden reports in ``tests/golden/``.

Each case builds its own store, signs as the case needs, verifies, and
returns the Ratify-shaped JSON. Values that change from run to run (digests
of random signatures, signatures, key ids, times, temporary paths, ports)
are replaced by numbered placeholders in order of appearance, so the golden
files pin every message, every field and the shape byte for byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from cosign_verify import (
    ConfigPolicy,
    CosignVerifier,
    Executor,
    ExecutorOptions,
    InlineKeyProvider,
    Keyless,
    KeyProviders,
    KeyRef,
    MemoryStore,
    Reference,
    TrustPolicy,
    VerifierReport,
)
from cosign_verify.mediatypes import COSIGN_SIGNATURE_ARTIFACT_TYPE as SIG
from cosign_verify.mediatypes import SIGSTORE_BUNDLE_V03 as BUNDLE
from cosign_verify.report import ReportShape
from cosign_verify.store import Descriptor, cosign_signature_tag
from cosign_verify.testing import (
    FakeSigstore,
    KeyPair,
    RekorServer,
    SignOptions,
    generate_key_pair,
    make_payload,
    make_statement,
    push_image,
    sign_image,
)

IDENTITY, ISSUER = "builder@example.com", "https://issuer.example"
SCOPE = "registry.example/team/*"
Case = Callable[["Bench"], Any]
CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    CASES[function.__name__] = function
    return function


class Bench:
    """What every case shares: keys, a fake Sigstore with its trusted root, a temporary directory."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.keys = {
            name: generate_key_pair(name) for name in ("ecdsa-p256", "ecdsa-p384", "rsa-2048", "ed25519")
        }
        self.other = generate_key_pair("ecdsa-p256")
        self.fake = FakeSigstore()
        self.root = self.fake.write_trusted_root(tmp / "trusted_root.json")
        self.stranger = FakeSigstore()  # a Sigstore deployment nobody trusts
        self.unreachable = "http://127.0.0.1:9"  # the discard port: nothing answers Rekor there

    @property
    def key(self) -> KeyPair:
        return self.keys["ecdsa-p256"]

    def providers(self, *pairs: KeyPair) -> KeyProviders:
        return KeyProviders([InlineKeyProvider("kp", "".join(p.public_pem() for p in pairs or (self.key,)))])

    def key_policy(self, **fields: Any) -> TrustPolicy:
        defaults: dict[str, Any] = {"name": "team", "scopes": [SCOPE], "keys": [KeyRef(provider="kp")]}
        defaults["tlog_verify"] = False
        return TrustPolicy(**{**defaults, **fields})

    def keyless_policy(self, tlog: bool = True, **keyless: Any) -> TrustPolicy:
        fields = {"certificate_identity": IDENTITY, "certificate_oidc_issuer": ISSUER, **keyless}
        return TrustPolicy(
            name="keyless",
            scopes=[SCOPE],
            keyless=Keyless(**fields),
            trusted_root=str(self.root),
            tlog_verify=tlog,
            rekor_url=self.unreachable,
        )

    def run(
        self,
        store: MemoryStore,
        subject: Reference | str,
        *policies: TrustPolicy,
        providers: KeyProviders | None = None,
        rules: dict[str, str] | None = None,
        namespace: str | None = None,
        **verifier: Any,
    ) -> dict[str, Any]:
        verifier.setdefault("artifact_types", (SIG, BUNDLE))
        cosign = CosignVerifier(
            policies, providers if providers is not None else self.providers(), **verifier
        )
        result = Executor(store, [cosign], ConfigPolicy(rules or {})).verify(subject, namespace=namespace)
        return result.to_dict()

    def image(self, store: MemoryStore, name: str = "app") -> Reference:
        return push_image(store, f"registry.example/team/{name}:v1")


def sig_tag(image: Reference) -> Reference:
    assert image.digest
    return Reference(
        registry=image.registry, repository=image.repository, tag=cosign_signature_tag(image.digest)
    )


# --- key-based, cosign .sig tag and OCI referrer ----------------------------------


@case
def key_tag_ecdsa_p256(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    return b.run(store, image, b.key_policy())


@case
def key_referrer_layout(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(layout="referrer"))
    return b.run(store, image, b.key_policy())


@case
def key_types(b: Bench) -> Any:
    out = {}
    for name in ("ecdsa-p384", "rsa-2048", "ed25519"):
        store = MemoryStore()
        image = b.image(store)
        sign_image(store, image, b.keys[name])
        out[name] = b.run(store, image, b.key_policy(), providers=b.providers(b.keys[name]))
    return out


@case
def key_wrong_key(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.other)
    return b.run(store, image, b.key_policy())


@case
def key_several_keys_one_verifies(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.keys["rsa-2048"])
    return b.run(store, image, b.key_policy(), providers=b.providers(b.key, b.keys["rsa-2048"]))


@case
def key_payload_bytes_swapped(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(sig_tag(image)).digest))
    digest = manifest["layers"][0]["digest"]
    store.put_raw_blob(
        image, digest, store.fetch_blob(image, digest).replace(b"cosign container", b"cosign Container")
    )
    return b.run(store, image, b.key_policy())


@case
def key_payload_rewritten_with_its_digest(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    tag = sig_tag(image)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(tag).digest))
    forged = store.fetch_blob(image, manifest["layers"][0]["digest"]).replace(
        b'"optional":null', b'"optional":{}'
    )
    blob = store.push_blob(image, forged)
    manifest["layers"][0].update(digest=blob.digest, size=blob.size)
    store.push_manifest(image, json.dumps(manifest).encode(), tag=tag.tag)
    return b.run(store, image, b.key_policy())


@case
def key_signature_for_another_digest(b: Bench) -> Any:
    store = MemoryStore()
    image, other = b.image(store), b.image(store, "other")
    assert other.digest
    sign_image(store, image, b.key, SignOptions(payload=make_payload(other.digest, other.name)))
    return b.run(store, image, b.key_policy())


@case
def key_wrong_payload_type(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    assert image.digest
    sign_image(
        store,
        image,
        b.key,
        SignOptions(payload=make_payload(image.digest, image.name, type="something else")),
    )
    return b.run(store, image, b.key_policy())


@case
def key_payload_not_json(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(payload=b'{"critical": '))
    return b.run(store, image, b.key_policy())


@case
def key_payload_duplicate_keys(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    assert image.digest
    payload = make_payload(image.digest, image.name).replace(b'"optional"', b'"critical":{},"optional"', 1)
    sign_image(store, image, b.key, SignOptions(payload=payload))
    return b.run(store, image, b.key_policy())


@case
def key_annotation_not_base64_then_valid(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(annotations={"dev.cosignproject.cosign/signature": "!!"}))
    sign_image(store, image, b.key)
    return b.run(store, image, b.key_policy())


@case
def key_annotation_missing(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(annotations={"dev.cosignproject.cosign/signature": ""}))
    return b.run(store, image, b.key_policy())


@case
def key_two_bad_signatures(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.other)
    sign_image(store, image, b.keys["ed25519"])
    return b.run(store, image, b.key_policy())


@case
def key_copied_signature_manifest(b: Bench) -> Any:
    store = MemoryStore()
    signed = b.image(store)
    unsigned = push_image(store, "registry.example/team/app:v2", content=b"another image")
    descriptor = sign_image(store, signed, b.key)
    store.push_manifest(unsigned, store.fetch_manifest(signed, descriptor.digest), tag=sig_tag(unsigned).tag)
    return b.run(store, unsigned, b.key_policy())


@case
def key_blob_missing(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(sig_tag(image)).digest))
    manifest["layers"][0]["digest"] = "sha256:" + "0" * 64
    store.push_manifest(image, json.dumps(manifest).encode(), tag=sig_tag(image).tag)
    return b.run(store, image, b.key_policy())


@case
def key_oversized_payload_layer(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(sig_tag(image)).digest))
    manifest["layers"][0]["size"] = 5 << 20
    store.push_manifest(image, json.dumps(manifest).encode(), tag=sig_tag(image).tag)
    return b.run(store, image, b.key_policy())


@case
def key_manifest_malformed(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    store.push_manifest(image, b'{"schemaVersion": 1}', tag=sig_tag(image).tag)
    return b.run(store, image, b.key_policy())


@case
def subject_outside_every_scope(b: Bench) -> Any:
    store = MemoryStore()
    image = push_image(store, "other.example/team/app:v1")
    sign_image(store, image, b.key)
    return b.run(store, image, b.key_policy())


@case
def subject_unsigned(b: Bench) -> Any:
    store = MemoryStore()
    return b.run(store, b.image(store), b.key_policy())


@case
def subject_without_digest_when_tags_are_not_resolved(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    verifier = CosignVerifier([b.key_policy()], b.providers())
    executor = Executor(store, [verifier], options=ExecutorOptions(resolve_tags=False))
    return executor.verify(
        Reference(registry=image.registry, repository=image.repository, tag="v1")
    ).to_dict()


@case
def subject_tag_unknown(b: Bench) -> Any:
    store = MemoryStore()
    return b.run(store, "registry.example/team/nothing:v1", b.key_policy())


class _FailingStore(MemoryStore):
    def list_referrers(self, subject: Reference) -> Sequence[Descriptor]:
        raise RuntimeError("registry exploded")


@case
def store_cannot_list_referrers(b: Bench) -> Any:
    store = _FailingStore()
    return b.run(store, b.image(store), b.key_policy())


class _BrokenVerifier:
    name, type = "broken", "cosign"
    artifact_types: tuple[str, ...] = (SIG,)

    def verify(
        self, subject: Reference, referrer: Descriptor, store: Any, *, namespace: str | None = None
    ) -> VerifierReport:
        raise KeyError("bug")


@case
def verifier_raises(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    return Executor(store, [_BrokenVerifier()]).verify(image).to_dict()


@case
def namespace_denied(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    providers = KeyProviders()
    providers.add(InlineKeyProvider("kp", b.key.public_pem()), namespace="ns1")
    policy = b.key_policy(keys=[KeyRef(provider="ns1/kp")])
    return {ns: b.run(store, image, policy, providers=providers, namespace=ns) for ns in ("ns1", "ns2")}


@case
def tlog_required_rekor_unreachable(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    return b.run(store, image, b.key_policy(tlog_verify=True, rekor_url=b.unreachable))


@case
def tlog_key_with_rekor_bundle(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(rekor=b.fake))
    policy = b.key_policy(tlog_verify=True, trusted_root=str(b.root), rekor_url=b.unreachable)
    return b.run(store, image, policy)


@case
def tlog_bundle_of_another_signature(b: Bench) -> Any:
    store = MemoryStore()
    image, other = b.image(store), b.image(store, "other")
    sign_image(store, other, b.key, SignOptions(rekor=b.fake))
    manifest = json.loads(store.fetch_manifest(other, store.resolve(sig_tag(other)).digest))
    stolen = manifest["layers"][0]["annotations"]["dev.sigstore.cosign/bundle"]
    sign_image(store, image, b.key, SignOptions(annotations={"dev.sigstore.cosign/bundle": stolen}))
    policy = b.key_policy(tlog_verify=True, trusted_root=str(b.root), rekor_url=b.unreachable)
    return b.run(store, image, policy)


@case
def tlog_online_lookup(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER, bundle=False))
    with RekorServer(b.fake) as rekor:
        policy = TrustPolicy(
            name="keyless",
            scopes=[SCOPE],
            keyless=Keyless(certificate_identity=IDENTITY, certificate_oidc_issuer=ISSUER),
            trusted_root=str(b.root),
            rekor_url=rekor.url,
        )
        return b.run(store, image, policy)


# --- keyless ----------------------------------------------------------------------


@case
def keyless_valid(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER))
    return b.run(store, image, b.keyless_policy())


@case
def keyless_regexps(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    workflow = "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main"
    sign_image(store, image, b.fake.signer(workflow, ISSUER))
    policy = b.keyless_policy(
        certificate_identity=None,
        certificate_identity_regexp=r"https://github\.com/org/repo/.*",
        certificate_oidc_issuer=None,
        certificate_oidc_issuer_regexp=r"https://issuer\.example",
    )
    partial = b.keyless_policy(certificate_identity=None, certificate_identity_regexp="github")
    return {"whole": b.run(store, image, policy), "partial": b.run(store, image, partial)}


@case
def keyless_wrong_identity_and_issuer(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER))
    return {
        "identity": b.run(store, image, b.keyless_policy(certificate_identity="someone@example.com")),
        "issuer": b.run(store, image, b.keyless_policy(certificate_oidc_issuer="https://other.example")),
    }


@case
def keyless_untrusted_ca(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.stranger.signer(IDENTITY, ISSUER))
    return b.run(store, image, b.keyless_policy(tlog=False))


@case
def keyless_sct(b: Bench) -> Any:
    out = {}
    for name, sct, ct_log_verify in (
        ("missing", False, True),
        ("corrupt", "corrupt", True),
        ("off", False, False),
    ):
        store = MemoryStore()
        image = b.image(store)
        sign_image(store, image, b.fake.signer(IDENTITY, ISSUER, sct=sct))
        out[name] = b.run(store, image, b.keyless_policy(ct_log_verify=ct_log_verify))
    return out


@case
def keyless_not_code_signing(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER, code_signing=False))
    return b.run(store, image, b.keyless_policy())


@case
def keyless_without_tlog_and_timestamp(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER, bundle=False))
    return {
        "tlog-off": b.run(store, image, b.keyless_policy(tlog=False)),
        "rekor-unreachable": b.run(store, image, b.keyless_policy(tlog=True)),
    }


@case
def keyless_rfc3161_timestamp(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER, bundle=False, timestamp=True))
    return b.run(store, image, b.keyless_policy(tlog=False))


@case
def keyless_policy_key_signature(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    return b.run(store, image, b.keyless_policy())


@case
def keyless_tampered_rekor_bundle(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER))
    tag = sig_tag(image)
    manifest = json.loads(store.fetch_manifest(image, store.resolve(tag).digest))
    annotations = manifest["layers"][0]["annotations"]
    bundle = json.loads(annotations["dev.sigstore.cosign/bundle"])
    bundle["Payload"]["integratedTime"] += 1
    annotations["dev.sigstore.cosign/bundle"] = json.dumps(bundle)
    store.push_manifest(image, json.dumps(manifest).encode(), tag=tag.tag)
    return b.run(store, image, b.keyless_policy())


# --- Sigstore bundles (cosign v3) --------------------------------------------------


@case
def bundle_keyless(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle"))
    return b.run(store, image, b.keyless_policy())


@case
def bundle_key_based(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(rekor=b.fake, format="bundle"))
    return b.run(store, image, b.key_policy(trusted_root=str(b.root)))


@case
def bundle_wrong_identity(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.fake.signer("someone@example.com", ISSUER), SignOptions(format="bundle"))
    return b.run(store, image, b.keyless_policy())


@case
def bundle_attestation_is_not_a_signature(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(
        store,
        image,
        b.fake.signer(IDENTITY, ISSUER),
        SignOptions(format="bundle", predicate_type="https://slsa.dev/provenance/v1"),
    )
    return b.run(store, image, b.keyless_policy())


@case
def bundle_for_another_digest(b: Bench) -> Any:
    store = MemoryStore()
    image, other = b.image(store), b.image(store, "other")
    assert other.digest
    statement = make_statement(other.digest, other.name)
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER), SignOptions(format="bundle", payload=statement))
    return b.run(store, image, b.keyless_policy())


@case
def bundle_key_based_wrong_key(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.other, SignOptions(rekor=b.fake, format="bundle"))
    return b.run(store, image, b.key_policy(trusted_root=str(b.root)))


@case
def bundle_not_json(b: Bench) -> Any:
    from cosign_verify.testing import attach_bundle

    store = MemoryStore()
    image = b.image(store)
    attach_bundle(store, image, b"{not json")
    return b.run(store, image, b.keyless_policy())


# --- the config policy and the legacy shape ----------------------------------------


@case
def config_policy_rules(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    sign_image(store, image, b.other, SignOptions(layout="referrer"))
    policy = b.key_policy()
    return {
        "default-all": b.run(store, image, policy),
        "any": b.run(store, image, policy, rules={SIG: "any"}),
        "required-type-missing": b.run(store, image, policy, rules={SIG: "any", BUNDLE: "all"}),
    }


@case
def legacy_key_shape(b: Bench) -> Any:
    store = MemoryStore()
    image, unsigned = b.image(store), b.image(store, "bad")
    sign_image(store, image, b.key)
    sign_image(store, unsigned, b.other)
    key_file = b.tmp / "legacy.pub"
    key_file.write_text(b.key.public_pem())
    policy = TrustPolicy(name="legacy", scopes=["*"], keys=[KeyRef(file=str(key_file))], tlog_verify=False)
    return {
        "good": b.run(store, image, policy, shape=ReportShape.RATIFY_LEGACY, providers=KeyProviders()),
        "bad": b.run(store, unsigned, policy, shape=ReportShape.RATIFY_LEGACY, providers=KeyProviders()),
    }


# --- policy extensions: annotations, claims, thresholds, another repository, attestations ----------


@case
def policy_annotations(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(payload_annotations={"env": "prod"}))
    return {
        "carried": b.run(store, image, b.key_policy(annotations={"env": "prod"})),
        "other value": b.run(store, image, b.key_policy(annotations={"env": "dev"})),
        "missing": b.run(store, image, b.key_policy(annotations={"ticket": "OPS-1"})),
    }


@case
def policy_certificate_claims(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    claims = {"certificateGithubWorkflowRef": "refs/tags/v1", "sourceRepositoryRef": "refs/tags/v1"}
    sign_image(store, image, b.fake.signer(IDENTITY, ISSUER, extensions=claims))
    return {
        "carried": b.run(store, image, b.keyless_policy(certificate_extensions=claims)),
        "other value": b.run(
            store,
            image,
            b.keyless_policy(certificate_extensions={"certificateGithubWorkflowRef": "refs/heads/x"}),
        ),
        "missing": b.run(store, image, b.keyless_policy(certificate_extensions={"buildTrigger": "push"})),
    }


@case
def policy_threshold(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key)
    providers = KeyProviders(
        [InlineKeyProvider("a", b.key.public_pem()), InlineKeyProvider("b", b.other.public_pem())]
    )
    policy = b.key_policy(keys=[KeyRef(provider="a"), KeyRef(provider="b")], threshold=2)
    not_met = b.run(store, image, policy, providers=providers)
    sign_image(store, image, b.other, SignOptions(layout="referrer"))
    return {"one of two": not_met, "two of two": b.run(store, image, policy, providers=providers)}


@case
def policy_signature_repository(b: Bench) -> Any:
    store = MemoryStore()
    image = b.image(store)
    sign_image(store, image, b.key, SignOptions(signature_repository="registry.example/signatures/app"))
    return {
        "there": b.run(store, image, b.key_policy(signature_repository="registry.example/signatures/app")),
        "elsewhere": b.run(store, image, b.key_policy(signature_repository="registry.example/other")),
    }


@case
def attestation_tag_and_bundle(b: Bench) -> Any:
    from cosign_verify.attestations import AttestationVerifier
    from cosign_verify.testing import AttestOptions, attest_image

    store = MemoryStore()
    image = b.image(store)
    attest_image(
        store, image, b.key, {"builder": {"id": "ci"}}, AttestOptions(predicate_type="slsaprovenance1")
    )
    keyless = b.fake.signer(IDENTITY, ISSUER)
    attest_image(
        store,
        image,
        keyless,
        {"bomFormat": "CycloneDX"},
        AttestOptions(layout="bundle", predicate_type="cyclonedx"),
    )

    def run(policy: TrustPolicy, *types: str) -> Any:
        verifier = AttestationVerifier([policy], b.providers(), predicate_types=types)
        return Executor(store, [verifier]).verify(image).to_dict()

    return {
        "tag": run(b.key_policy(), "slsaprovenance1"),
        "bundle": run(b.keyless_policy(), "cyclonedx"),
        "wrong type": run(b.key_policy(), "spdxjson"),
    }


def build(tmp: Path) -> Iterator[tuple[str, Any]]:
    """Every case's result, in catalogue order (one shared fake Sigstore, so log indexes are stable)."""
    bench = Bench(tmp)
    for name, function in CASES.items():
        yield name, function(bench)


# --- scrubbing -----------------------------------------------------------------------

_PATTERNS = [
    ("digest", re.compile(r"sha(?:256|512):[0-9a-f]{64,128}")),
    ("time", re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:\+00:00|Z)")),
    ("b64", re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")),
    ("hex", re.compile(r"\b[0-9a-f]{16,}\b")),
    ("port", re.compile(r"(?<=127\.0\.0\.1:)\d+")),
    ("entry", re.compile(r"(?<=Rekor entry )\d+|(?<=log entry )\d+")),
]


def scrub(value: Any, tmp: Path) -> Any:
    """``value`` with its run-dependent parts replaced by numbered placeholders (one numbering per value)."""
    seen: dict[tuple[str, str], str] = {}

    def replace(kind: str) -> Callable[[re.Match[str]], str]:
        def sub(match: re.Match[str]) -> str:
            key = (kind, match.group(0))
            if key not in seen:
                seen[key] = f"<{kind}-{sum(1 for k in seen if k[0] == kind) + 1}>"
            return seen[key]

        return sub

    def walk(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        if isinstance(item, str):
            text = item.replace(str(tmp), "<tmp>")
            for kind, pattern in _PATTERNS:
                text = pattern.sub(replace(kind), text)
            return text
        return item

    return walk(value)
