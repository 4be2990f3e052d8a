"""Looking a signature up in Rekor (v1 API) when no bundle came with it."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

from ..store.options import is_loopback
from .rekor import (
    LogEntry,
    TransparencyLogError,
    check_entry_body,
    payload_hash,
    verify_inclusion,
    verify_set,
)
from .trusted_root import TrustedRoot

if TYPE_CHECKING:
    import requests

MAX_CANDIDATES = 16
MAX_RESPONSE = 1 << 20


def _get_json(session: requests.Session, method: str, url: str, timeout: float, **kwargs: Any) -> Any:
    import requests

    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise TransparencyLogError(f"Rekor at {url} is unreachable: {type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise TransparencyLogError(f"Rekor {method} {url} answered HTTP {response.status_code}")
    if len(response.content) > MAX_RESPONSE:
        raise TransparencyLogError(f"Rekor answer from {url} is too large")
    try:
        return response.json()
    except ValueError:
        raise TransparencyLogError(f"Rekor answer from {url} is not JSON") from None


def lookup_entry(
    rekor_url: str,
    *,
    payload: bytes,
    signature: bytes,
    verifier_pem: bytes,
    trusted_root: TrustedRoot,
    timeout: float = 10.0,
    session: requests.Session | None = None,
) -> LogEntry:
    """Find this signature's entry in Rekor and verify it: SET, entry body, inclusion proof and checkpoint."""
    base = rekor_url.rstrip("/")
    if base.startswith("http://") and not is_loopback(base[7:].split("/")[0]):
        raise TransparencyLogError(f"refusing to query Rekor over plain HTTP ({rekor_url})")
    if session is None:
        import requests

        session = requests.Session()
    http = session
    digest = payload_hash(payload)
    uuids = _get_json(
        http, "POST", f"{base}/api/v1/index/retrieve", timeout, json={"hash": f"sha256:{digest}"}
    )
    if not isinstance(uuids, list) or not uuids:
        raise TransparencyLogError(
            f"Rekor at {rekor_url} has no entry for this payload (sha256:{digest[:16]}...)"
        )
    reasons: list[str] = []
    for uuid in uuids[:MAX_CANDIDATES]:
        if not isinstance(uuid, str) or not uuid.isalnum():
            continue
        answer = _get_json(http, "GET", f"{base}/api/v1/log/entries/{uuid}", timeout)
        if not isinstance(answer, dict) or len(answer) != 1:
            reasons.append(f"entry {uuid[:16]}: unexpected answer")
            continue
        record = next(iter(answer.values()))
        try:
            verification = record["verification"]
            entry = verify_set(
                record["body"],
                record["integratedTime"],
                record["logIndex"],
                record["logID"],
                base64.b64decode(verification["signedEntryTimestamp"], validate=True),
                trusted_root,
            )
            check_entry_body(
                entry.body, signature=signature, payload_sha256=digest, verifier_pem=verifier_pem
            )
            proof = verification["inclusionProof"]
            verify_inclusion(
                entry.body,
                int(proof["logIndex"]),
                int(proof["treeSize"]),
                [bytes.fromhex(h) for h in proof["hashes"]],
                bytes.fromhex(proof["rootHash"]),
                proof.get("checkpoint"),
                trusted_root,
                entry.log_id,
            )
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            reasons.append(f"entry {uuid[:16]}: malformed ({exc})")
            continue
        except TransparencyLogError as exc:
            reasons.append(f"entry {uuid[:16]}: {exc}")
            continue
        return entry
    raise TransparencyLogError(
        "no Rekor entry verifies for this signature: " + "; ".join(reasons or ["none found"])
    )
