"""The command line's verbs and flags: cosign's names, with Ratify configurations beside them."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .._version import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130
EXIT_CLOSED_PIPE = 141

EXIT_CODES = """\
exit codes:
  0    every subject verified
  1    a verification failed (the output says why)
  2    usage or configuration error (nothing was verified)
  3    internal error (a bug; --verbose shows where)
  130  interrupted (Ctrl-C)"""

VERIFY_EXAMPLES = """\
examples:
  # a cosign key (cosign.pub from `cosign generate-key-pair`)
  cosign-verify verify ghcr.io/org/app@sha256:... --key cosign.pub

  # keyless: the signer's Fulcio identity and OIDC issuer
  cosign-verify verify ghcr.io/org/app:v1 \\
      --certificate-identity-regexp '^https://github.com/org/.+' \\
      --certificate-oidc-issuer https://token.actions.githubusercontent.com

  # Ratify's configuration (CLI JSON or Kubernetes resources), many images
  cosign-verify verify --config ratify.json --subjects-file images.txt --output jsonl
"""

GITHUB_FLAGS = ("trigger", "sha", "name", "repository", "ref")
POLICY_FLAGS = (
    "annotations",
    "certificate_extension",
    *(f"certificate_github_workflow_{name}" for name in GITHUB_FLAGS),
    "key",
    "certificate_identity",
    "certificate_identity_regexp",
    "certificate_oidc_issuer",
    "certificate_oidc_issuer_regexp",
    "trusted_root",
    "rekor_url",
    "insecure_ignore_tlog",
    "insecure_ignore_sct",
)


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=36)


def _identity_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("who signed (a key, or a keyless identity)")
    group.add_argument(
        "--key",
        action="append",
        metavar="FILE",
        help="a PEM public key or certificate; repeat to trust several",
    )
    group.add_argument("--certificate-identity", metavar="ID", help="the signer's identity (exact)")
    group.add_argument(
        "--certificate-identity-regexp", metavar="RE", help="the signer's identity (RE2, whole value)"
    )
    group.add_argument("--certificate-oidc-issuer", metavar="URL", help="the identity's OIDC issuer (exact)")
    group.add_argument(
        "--certificate-oidc-issuer-regexp", metavar="RE", help="the identity's OIDC issuer (RE2, whole value)"
    )
    group.add_argument(
        "--trusted-root",
        metavar="FILE",
        help="Sigstore trusted_root.json (default: the public-good instance)",
    )
    group.add_argument(
        "--insecure-ignore-sct", action="store_true", help="do not require a certificate transparency SCT"
    )
    claims = parser.add_argument_group("Fulcio certificate claims (exact values)")
    for name in GITHUB_FLAGS:
        claims.add_argument(f"--certificate-github-workflow-{name}", metavar="VALUE")
    claims.add_argument(
        "--certificate-extension",
        action="append",
        metavar="NAME=VALUE",
        help="a Fulcio extension by name (sourceRepositoryRef, buildSignerURI, ...) or OID; repeatable",
    )


def _verify_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = commands.add_parser(
        "verify",
        help="verify signatures on images",
        description=(
            "Verify cosign signatures on images: cosign's .sig tags, OCI 1.1 referrers and Sigstore bundles.\n"
            "Either the flags below describe one trust policy for every image (as `cosign verify`),\n"
            "or --config gives Ratify's trust policies; the two cannot be mixed."
        ),
        epilog=f"{EXIT_CODES}\n\n{VERIFY_EXAMPLES}",
        formatter_class=_formatter,
    )
    verify.add_argument("images", nargs="*", metavar="IMAGE", help="image references (by digest, or by tag)")
    verify.add_argument(
        "--subject", action="append", default=[], metavar="IMAGE", help="an image (repeatable)"
    )
    verify.add_argument(
        "--subjects-file", metavar="FILE", help="images, one per line ('-': standard input; '#' comments)"
    )
    verify.add_argument(
        "--config",
        action="append",
        metavar="FILE",
        help="Ratify configuration: CLI JSON or Kubernetes resources (YAML/JSON); repeat to merge files",
    )
    verify.add_argument("--namespace", help="the namespace verifying (for namespaced key providers)")
    _identity_flags(verify)
    verify.add_argument(
        "-a",
        "--annotations",
        action="append",
        metavar="KEY=VALUE",
        help="a signature counts only if its payload carries this annotation; repeatable",
    )
    verify.add_argument(
        "--rekor-url", metavar="URL", help="Rekor to look signatures up in when they carry no bundle"
    )
    verify.add_argument(
        "--insecure-ignore-tlog", action="store_true", help="do not require a transparency log entry"
    )
    _running_flags(verify)


def _attestation_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    attest = commands.add_parser(
        "verify-attestation",
        help="verify attestations on images (as cosign verify-attestation)",
        description=(
            "Verify in-toto attestations on images: cosign's .att tag (cosign 2) and Sigstore bundle\n"
            "referrers (cosign 3), of one predicate type, with a key or a keyless identity.\n"
            "Each verified statement is in the JSON output ('statement'), for your own policy."
        ),
        epilog=(
            f"{EXIT_CODES}\n\nexamples:\n"
            "  cosign-verify verify-attestation ghcr.io/org/app@sha256:... --type slsaprovenance1 --key cosign.pub\n"
            "  cosign-verify verify-attestation ghcr.io/org/app:v1 --type spdxjson \\\n"
            "      --certificate-identity ci@example.com --certificate-oidc-issuer https://accounts.google.com\n"
        ),
        formatter_class=_formatter,
    )
    attest.add_argument("images", nargs="*", metavar="IMAGE", help="image references (by digest, or by tag)")
    attest.add_argument("--subject", action="append", default=[], metavar="IMAGE", help=argparse.SUPPRESS)
    attest.add_argument("--subjects-file", metavar="FILE", help="images, one per line ('-': standard input)")
    attest.add_argument(
        "--type",
        type=_predicate_type_name,
        default="custom",
        help="predicate type: a URI, or cosign's names (slsaprovenance, slsaprovenance1, spdxjson, cyclonedx, "
        "vuln, openvex, custom; default custom)",
    )
    attest.add_argument("--namespace", help=argparse.SUPPRESS)
    _identity_flags(attest)
    attest.add_argument("--rekor-url", metavar="URL", help="Rekor to look attestations up in")
    attest.add_argument("--insecure-ignore-tlog", action="store_true", help="do not require a log entry")
    _running_flags(attest)


def _running_flags(parser: argparse.ArgumentParser) -> None:
    registries = parser.add_argument_group("registries")
    registries.add_argument(
        "--allow-http-registry", action="store_true", help="talk plain HTTP to registries"
    )
    registries.add_argument(
        "--allow-insecure-registry", action="store_true", help="accept any TLS certificate from registries"
    )
    running = parser.add_argument_group("running")
    running.add_argument("--output", choices=("json", "jsonl", "table", "text"), default="json")
    running.add_argument(
        "--workers", type=_positive_int, default=16, metavar="N", help="images verified at once (default 16)"
    )
    running.add_argument(
        "--timeout",
        type=_positive_float,
        default=10.0,
        metavar="SECONDS",
        help="time allowed per image, every request included (default 10)",
    )
    _verbosity(running)


def _bundle_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bundle = commands.add_parser(
        "verify-bundle",
        help="verify one Sigstore bundle against an artifact (as cosign verify-blob --bundle)",
        description=(
            "Verify a Sigstore bundle (v0.1-v0.3: message signature or DSSE) offline against an\n"
            "artifact file or its digest (sha256:<hex>), with a key or a keyless identity."
        ),
        epilog=(
            "exit codes:\n  0    the bundle verified\n  1    it did not (the output says why)\n"
            "  2    usage error\n\nexamples:\n"
            "  cosign-verify verify-bundle --bundle app.sigstore.json app.tar.gz --key cosign.pub\n"
            "  cosign-verify verify-bundle --bundle att.sigstore.json sha256:4f2c... \\\n"
            "      --certificate-identity ci@example.com --certificate-oidc-issuer https://accounts.google.com\n"
        ),
        formatter_class=_formatter,
    )
    bundle.add_argument("artifact", metavar="ARTIFACT_OR_DIGEST", help="a file, or sha256:<64 hex>")
    bundle.add_argument("--bundle", required=True, metavar="FILE", help="the Sigstore bundle (JSON)")
    _identity_flags(bundle)
    bundle.add_argument("--output", choices=("json", "text"), default="text")
    _verbosity(bundle)


def _check_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "check-config",
        help="validate a configuration and show what it configures",
        description=(
            "Load a Ratify configuration, resolve every key and trusted root it names, and say what\n"
            "it will verify; or list what is wrong with it."
        ),
        epilog=(
            "exit codes:\n  0    the configuration is usable\n  2    it is not (every error is listed)\n\n"
            "example:\n  cosign-verify check-config --config ratify.yaml --output json\n"
        ),
        formatter_class=_formatter,
    )
    check.add_argument(
        "--config", required=True, action="append", metavar="FILE", help="repeat to merge files"
    )
    check.add_argument("--output", choices=("text", "json"), default="text")
    _verbosity(check)


def _serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve Gatekeeper's external-data provider API (needs the server extra)",
        description=(
            "Serve POST /ratify/gatekeeper/v1/verify and /mutate for Gatekeeper, /healthz, /readyz and\n"
            "/metrics (Prometheus), on gunicorn: several worker processes of several threads."
        ),
        epilog=(
            "exit codes:\n  0    stopped\n  2    usage or configuration error (nothing served)\n\n"
            "example:\n  cosign-verify serve --config ratify.yaml --tls-cert tls.crt --tls-key tls.key "
            "--client-ca gatekeeper-ca.crt\n"
        ),
        formatter_class=_formatter,
    )
    serve.add_argument(
        "--config", required=True, action="append", metavar="FILE", help="repeat to merge files"
    )
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=_port, default=6001, help="port (default 6001, as Ratify)")
    serve.add_argument("--tls-cert", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    serve.add_argument("--client-ca", metavar="FILE", help="require client certificates from this CA (mTLS)")
    serve.add_argument(
        "--probe-port",
        type=_probe_port,
        default=9099,
        metavar="PORT",
        help="plain HTTP for /healthz, /readyz and /metrics, for probes and Prometheus (default 9099; 0: none)",
    )
    serve.add_argument(
        "--processes", type=_positive_int, default=2, metavar="N", help="worker processes (default 2)"
    )
    serve.add_argument(
        "--threads", type=_positive_int, default=8, metavar="N", help="threads per process (default 8)"
    )
    serve.add_argument(
        "--timeout",
        type=_positive_float,
        default=2.5,
        metavar="SECONDS",
        help="time for each image of a request, verified in parallel (default 2.5; Gatekeeper waits 3)",
    )
    _verbosity(serve)


def _verbosity(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="no warnings")
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="the detail behind errors, and debug lines"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cosign-verify",
        description="Verify cosign signatures on container images against trust policies.",
        epilog=f"{EXIT_CODES}\n\nRun `cosign-verify COMMAND --help` for a command's flags and examples.",
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _verify_parser(commands)
    _attestation_parser(commands)
    _bundle_parser(commands)
    _check_parser(commands)
    _serve_parser(commands)
    demo = commands.add_parser(
        "demo",
        help="sign and verify on a built-in registry, and show the commands that do the same",
        description="A walkthrough: two namespaces, two keys, two trust policies, on an in-process registry.",
        formatter_class=_formatter,
    )
    demo.add_argument("--output", choices=("table", "json"), default="table")
    return parser


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed command line; an unknown flag is reported with its command's usage (exit 2)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        commands.choices[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return value


def _predicate_type_name(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("empty; give a predicate type URI or one of cosign's names")
    return text


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a TCP port (1 to 65535)")
    return value


def _probe_port(text: str) -> int:
    return 0 if int(text) == 0 else _port(text)


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text} is not a positive number of seconds")
    return value
