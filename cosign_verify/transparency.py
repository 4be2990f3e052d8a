"""The transparency-log seam: :class:`TransparencyLog`, and :class:`RekorLog` over Rekor's v1 API.

A verifier needs two things of a log: the entry a signature's cosign bundle
carries, proven offline (its SET and body), and, for a signature without
one, the entry looked up online and proven (SET, body, inclusion proof,
checkpoint). Every implementation proves entries with the same code; only
where entries come from differs. ``cosign_verify.testing`` has an in-memory
log over a fake Sigstore.
"""

from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ._internal.failure import Failure, FailureReason
from ._internal.log_entry import SignedContent
from ._internal.rekor import LogEntry
from ._internal.strict_json import loads_strict
from ._internal.tlog import MAX_CANDIDATES, entry_from_cosign_bundle, first_verified
from .errors import StoreError
from .store.cache import MemoryCache
from .store.options import RegistryOptions, is_loopback
from .store.singleflight import SingleFlight
from .trusted_root import TrustedRoot

if TYPE_CHECKING:
    from .store.http import HttpClient

__all__ = ["LogEntry", "RekorLog", "SignedContent", "TransparencyLog"]

MAX_RESPONSE = 1 << 20
REKOR_OPTIONS = RegistryOptions(deadline=10.0, max_retries=2, read_timeout=10.0)


@runtime_checkable
class TransparencyLog(Protocol):
    """Where a signature's transparency-log entry comes from; both methods return a verified entry or raise."""

    def entry_from_bundle(self, bundle: str, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        """Verify the entry in cosign's Rekor bundle annotation offline."""
        ...

    def lookup(self, payload: bytes, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        """Find this signature's entry (``payload`` is what was signed) and verify it."""
        ...


def _waited_too_long() -> Failure:
    return Failure(
        FailureReason.DEADLINE_EXCEEDED,
        "Rekor lookup: the deadline passed while another verification was looking up this signature",
    )


@functools.cache
def shared_http_client() -> HttpClient:
    """One pooled client for every :class:`RekorLog` that was given none (created on first use)."""
    from .store.http import HttpClient

    return HttpClient(REKOR_OPTIONS)


class RekorLog:
    """A Rekor v1 log at ``url``, read over a bounded :class:`~cosign_verify.store.http.HttpClient`.

    Plain HTTP is refused except on loopback. ``http`` defaults to one
    pooled client shared by every such log (10 s deadline, two retries).
    Entries found online are remembered for ``cache_ttl`` seconds (per
    signature, key and the trusted root's log keys), and threads looking up
    one signature at once share one lookup.
    """

    def __init__(self, url: str, http: HttpClient | None = None, *, cache_ttl: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self._http = http
        self._cache_ttl = cache_ttl
        self._found = MemoryCache(max_entries=4096)
        self._flight = SingleFlight(expired=_waited_too_long)

    @property
    def http(self) -> HttpClient:
        """The HTTP client (created on first use, so that importing costs no ``requests``)."""
        if self._http is None:
            self._http = shared_http_client()
        return self._http

    def entry_from_bundle(self, bundle: str, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        """Verify the entry in cosign's Rekor bundle annotation offline (SET and body)."""
        return entry_from_cosign_bundle(bundle, content, trusted_root)

    def lookup(self, payload: bytes, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        """Search the log for ``payload``'s SHA-256 and verify the candidates until one describes ``content``."""
        if self.url.startswith("http://") and not is_loopback(self.url[7:].split("/")[0]):
            raise Failure(
                FailureReason.TLOG_UNAVAILABLE, f"refusing to query Rekor over plain HTTP ({self.url})"
            )
        # What an entry was verified against is part of the key: under another root's log keys it
        # would have to be verified again.
        key = hashlib.sha256(
            b"%s|%s|%s|%s"
            % (
                hashlib.sha256(payload).digest(),
                content.signature,
                content.verifier_spki,
                trusted_root.tlog_fingerprint(),
            )
        ).hexdigest()
        cached = self._found.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        entry = self._flight.do(key, lambda: self._lookup(payload, content, trusted_root))
        self._found.set(key, entry, self._cache_ttl)
        return entry

    def _lookup(self, payload: bytes, content: SignedContent, trusted_root: TrustedRoot) -> LogEntry:
        deadline = self.http.deadline()
        uuids = self._search(payload, deadline)
        records = (
            (uuid, self._record(uuid, deadline))
            for uuid in uuids[:MAX_CANDIDATES]
            if isinstance(uuid, str) and uuid.isalnum()
        )
        return first_verified(records, content, trusted_root, "Rekor")

    def _search(self, payload: bytes, deadline: float) -> list[Any]:
        """Entry UUIDs for the payload: by its SHA-256, else its SHA-512 (entries may record either)."""
        for algorithm in ("sha256", "sha512"):
            digest = hashlib.new(algorithm, payload).hexdigest()
            uuids = self._json("POST", "/api/v1/index/retrieve", deadline, {"hash": f"{algorithm}:{digest}"})
            if isinstance(uuids, list) and uuids:
                return uuids
        raise Failure(
            FailureReason.TLOG_UNAVAILABLE,
            f"Rekor at {self.url} has no entry for this payload (sha256:{hashlib.sha256(payload).hexdigest()[:16]}...)",
        )

    def _record(self, uuid: str, deadline: float) -> Any:
        answer = self._json("GET", f"/api/v1/log/entries/{uuid}", deadline)
        if not isinstance(answer, dict) or len(answer) != 1:
            return None  # refused by first_verified as malformed
        return next(iter(answer.values()))

    def _json(self, method: str, path: str, deadline: float, body: Any = None) -> Any:
        url = f"{self.url}{path}"
        try:
            response = self.http.request(
                method, url, deadline=deadline, json=body, limit=MAX_RESPONSE, what="Rekor answer"
            )
        except StoreError as exc:
            raise Failure(
                FailureReason.TLOG_UNAVAILABLE, f"Rekor at {url} is unreachable: {exc.message}"
            ) from None
        if response.status != 200:
            raise Failure(
                FailureReason.TLOG_UNAVAILABLE, f"Rekor {method} {url} answered HTTP {response.status}"
            )
        try:
            return loads_strict(response.body, f"Rekor answer from {url}")
        except Failure as exc:
            raise Failure(FailureReason.TLOG_UNAVAILABLE, exc.message) from None
