#!/usr/bin/env python3
"""Fuzz every parser cosign_verify runs on outside bytes; fail on any exception that is not ours.

Coverage-guided, with atheris (libFuzzer's flags pass through)::

    python fuzz/fuzz_parsers.py -max_total_time=600 fuzz/corpus

or, without atheris, a plain replay of a corpus directory (each file run once)::

    python fuzz/fuzz_parsers.py --replay fuzz/corpus

An input's first byte picks the target (``TARGETS``, by index modulo their
number); the rest is what the target parses. "Ours" is
:class:`cosign_verify.CosignVerifyError` and its subclasses; anything else
escaping a target is a bug, and so is an input that takes more than
``SLOW_SECONDS`` (the replay reports both). ``fuzz/make_corpus.py`` writes a
seed corpus from real artifacts. atheris is imported only to fuzz, so the
test suite and mypy never need it.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

SLOW_SECONDS = 1.0
# Rekor answers are read as RekorLog reads them (json.loads); its own errors there are not the parsers'.
_JSON_ERRORS = (ValueError, RecursionError)


class Context(NamedTuple):
    """What the targets verify against: Sigstore's public-good trusted root, one of its logs, a signature."""

    root: Any
    log_id: bytes
    content: Any
    directory: Path


@cache
def context() -> Context:
    from cosign_verify import TrustedRoot
    from cosign_verify.transparency import SignedContent

    root = TrustedRoot.public_good()
    content = SignedContent(
        signature=b"\x30\x06\x02\x01\x01\x02\x01\x01", verifier_spki=b"", artifact_sha256=b"\0" * 32
    )
    directory = Path(tempfile.mkdtemp(prefix="cosign-verify-fuzz-"))
    return Context(root=root, log_id=root.tlogs[0].key_id, content=content, directory=directory)


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


# --- the targets: each parses one input -----------------------------------------------------------------------


def strict_json(data: bytes) -> None:
    from cosign_verify._internal.strict_json import loads_strict

    loads_strict(data, "fuzz")


def signature_manifest(data: bytes) -> None:
    from cosign_verify._internal.simple_signing import load_signature, parse_signature_manifest

    for layer in parse_signature_manifest(data):
        load_signature(layer, b"{}")


def simple_signing(data: bytes) -> None:
    from cosign_verify._internal.simple_signing import parse_simple_signing

    parse_simple_signing(data)


def sigstore_bundle(data: bytes) -> None:
    from cosign_verify._internal.bundle_model import SigstoreBundle

    SigstoreBundle.from_json(data)


def cosign_bundle(data: bytes) -> None:
    from cosign_verify._internal.rekor import verify_cosign_bundle

    verify_cosign_bundle(_text(data), context().root)


def checkpoint(data: bytes) -> None:
    from cosign_verify._internal.rekor import verify_checkpoint

    verify_checkpoint(_text(data), context().root, context().log_id)


def log_entry(data: bytes) -> None:
    from cosign_verify._internal.log_entry import check_entry

    check_entry(data, context().content)


def rekor_record(data: bytes) -> None:
    from cosign_verify._internal.tlog import verify_api_entry

    try:
        record = json.loads(data)
    except _JSON_ERRORS:
        return
    verify_api_entry(record, context().content, context().root)


def trusted_root(data: bytes) -> None:
    from cosign_verify import TrustedRoot

    TrustedRoot.from_json(data)


def challenge(data: bytes) -> None:
    from cosign_verify.store.auth import parse_challenge

    parse_challenge(data.decode("latin-1"))  # headers are Latin-1


def link(data: bytes) -> None:
    from cosign_verify.store.oci import next_link

    next_link(data.decode("latin-1"))


def referrers_index(data: bytes) -> None:
    from cosign_verify.store.oci import descriptors, parse_json

    list(descriptors(parse_json(data, "fuzz"), "fuzz"))


def retry_after(data: bytes) -> None:
    from cosign_verify.store.http import retry_after as parse

    seconds = parse(data.decode("latin-1"))
    if seconds is not None and not seconds >= 0:
        raise AssertionError(f"Retry-After gave {seconds!r}")


def public_key(data: bytes) -> None:
    from cosign_verify.errors import CosignVerifyError
    from cosign_verify.keys.loading import load_public_key, load_public_keys

    with contextlib.suppress(CosignVerifyError):
        load_public_key(data)
    load_public_keys(data)


def reference(data: bytes) -> None:
    from cosign_verify import Reference

    Reference.parse(_text(data))


def scope(data: bytes) -> None:
    from cosign_verify.scope import Scope

    Scope.parse(_text(data))


def timestamp(data: bytes) -> None:
    from cosign_verify._internal.timestamp import decode_cosign_timestamp

    decode_cosign_timestamp(_text(data))


def _config_file(data: bytes, suffix: str) -> None:
    from cosign_verify import load_config

    path = context().directory / f"config{suffix}"
    path.write_bytes(data)
    load_config(path)


def config_json(data: bytes) -> None:
    _config_file(data, ".json")


def config_yaml(data: bytes) -> None:
    _config_file(data, ".yaml")


def config_dict(data: bytes) -> None:
    from cosign_verify import load_config

    try:
        document = json.loads(data)
    except _JSON_ERRORS:
        return
    if isinstance(document, dict):
        load_config(document)


# Order matters: an input's first byte picks its target, so seeds stay valid only while this order holds.
TARGETS: dict[str, Callable[[bytes], None]] = {
    "strict_json": strict_json,
    "signature_manifest": signature_manifest,
    "simple_signing": simple_signing,
    "sigstore_bundle": sigstore_bundle,
    "cosign_bundle": cosign_bundle,
    "checkpoint": checkpoint,
    "log_entry": log_entry,
    "rekor_record": rekor_record,
    "trusted_root": trusted_root,
    "challenge": challenge,
    "link": link,
    "referrers_index": referrers_index,
    "retry_after": retry_after,
    "public_key": public_key,
    "reference": reference,
    "scope": scope,
    "timestamp": timestamp,
    "config_json": config_json,
    "config_yaml": config_yaml,
    "config_dict": config_dict,
}
NAMES = tuple(TARGETS)


def selector(name: str) -> bytes:
    """The first byte of an input for target ``name``."""
    return bytes([NAMES.index(name)])


def target_of(data: bytes) -> str:
    return NAMES[data[0] % len(NAMES)]


def one_input(data: bytes) -> None:
    """Run one input; our errors are outcomes, anything else propagates (a crash, to the fuzzer)."""
    from cosign_verify import CosignVerifyError

    if not data:
        return
    with contextlib.suppress(CosignVerifyError):
        TARGETS[target_of(data)](data[1:])


# --- replay -------------------------------------------------------------------------------------------------------


class Problem(NamedTuple):
    """An input that raised something not ours, or took too long."""

    path: Path
    target: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.target}: {self.kind}: {self.detail}"


def inputs(paths: Iterable[Path]) -> list[Path]:
    """The files of ``paths`` (directories are walked), sorted."""
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path])
    return found


def replay(paths: Iterable[Path], slow: float = SLOW_SECONDS) -> tuple[int, list[Problem]]:
    """Run every input once; returns how many ran and the problems found."""
    problems: list[Problem] = []
    files = inputs(paths)
    for path in files:
        data = path.read_bytes()
        target = target_of(data) if data else "-"
        started = time.perf_counter()
        try:
            one_input(data)
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{exc!s:.300} (at {Path(where.filename).name}:{where.lineno})"
            problems.append(Problem(path, target, type(exc).__name__, detail))
            continue
        elapsed = time.perf_counter() - started
        if elapsed > slow:
            problems.append(Problem(path, target, "slow", f"took {elapsed:.2f}s (limit {slow:g}s)"))
    return len(files), problems


def fuzz(argv: Sequence[str]) -> None:
    """Hand over to atheris (libFuzzer): imported here, so that nothing else needs it."""
    atheris: Any = importlib.import_module("atheris")
    context()
    for name in NAMES:  # import every target's modules now, so that they are instrumented
        with contextlib.suppress(Exception):  # an empty input may fail in any way; the fuzzer will find out
            one_input(selector(name))
    atheris.instrument_all()
    atheris.Setup(list(argv), one_input)
    atheris.Fuzz()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--replay", nargs="+", type=Path, metavar="PATH", help="run these inputs once, no atheris"
    )
    parser.add_argument("--slow", type=float, default=SLOW_SECONDS, help="seconds an input may take (replay)")
    parser.add_argument("--list-targets", action="store_true", help="print the targets, by selector byte")
    known, rest = parser.parse_known_args(args[1:])
    if known.list_targets:
        for index, name in enumerate(NAMES):
            print(f"{index:3d} {name}")
        return 0
    if known.replay:
        count, problems = replay(known.replay, known.slow)
        for problem in problems:
            print(problem)
        print(f"{count} inputs replayed, {len(problems)} problem(s)")
        return 1 if problems else 0
    fuzz([args[0], *rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
