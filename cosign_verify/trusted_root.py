"""Sigstore trusted roots (``trusted_root.json``): Fulcio CAs, Rekor and CT log keys, TSAs.

Parsed here with ``cryptography`` so that loading one does not import
``sigstore`` (about 300 ms). The public-good root is the file shipped inside
the ``sigstore`` package, read offline; roots are loaded once per path and
shared.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import attrs
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from ._internal.b64 import decode
from ._internal.crypto import key_id, spki_der
from ._internal.failure import Failure
from ._internal.files import MAX_TRUSTED_ROOT, read_regular_file
from ._internal.strict_json import loads_strict
from .errors import ConfigError
from .keys.loading import PublicKey, check_key

PUBLIC_GOOD_TUF_DIRECTORY = "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"


def parse_time(value: str) -> datetime:
    """An RFC 3339 timestamp (``2021-01-12T11:53:27Z``, fractional seconds allowed) as aware UTC."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if "." in text:  # Python < 3.11 accepts at most 6 fractional digits
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


@attrs.frozen(kw_only=True)
class Validity:
    """A ``validFor`` period; ``end`` None means still valid. Both ends are inclusive."""

    start: datetime | None = None
    end: datetime | None = None

    def contains(self, moment: datetime) -> bool:
        """Whether ``moment`` falls inside the period."""
        return (self.start is None or self.start <= moment) and (self.end is None or moment <= self.end)


@attrs.frozen(kw_only=True)
class LogInstance:
    """A transparency or CT log: its key, the key's id (SHA-256 of the DER public key) and validity."""

    key_id: bytes
    key: PublicKey = attrs.field(eq=False, repr=False)
    validity: Validity
    base_url: str = ""


@attrs.frozen(kw_only=True)
class CertificateAuthority:
    """A Fulcio CA or a timestamp authority: its chain (leaf-most first) and validity."""

    certificates: tuple[x509.Certificate, ...] = attrs.field(eq=False, repr=False)
    validity: Validity
    uri: str = ""

    @property
    def subject(self) -> str:
        """The subject of the chain's first certificate."""
        return self.certificates[0].subject.rfc4514_string()


def _b64(value: Any, where: str) -> bytes:
    try:
        return decode(value, where)
    except Failure as exc:
        raise ConfigError(exc.message) from None


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str | None):
        raise ConfigError(f"{where} must be a string")
    return value or ""


def _validity(entry: Any, where: str) -> Validity:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}.validFor must be an object with a start")
    start, end = entry.get("start"), entry.get("end")
    if not start:
        raise ConfigError(f"{where}.validFor has no start (a validity period must say when it began)")
    if not isinstance(start, str) or not isinstance(end, str | None):
        raise ConfigError(f"{where}.validFor: start and end must be RFC 3339 timestamps (strings)")
    try:
        return Validity(start=parse_time(start), end=parse_time(end) if end else None)
    except (ValueError, OverflowError) as exc:
        raise ConfigError(f"{where}.validFor: {exc}") from None


def _log(entry: Any, where: str) -> LogInstance:
    if not isinstance(entry, dict) or not isinstance(entry.get("publicKey"), dict):
        raise ConfigError(f"{where} must be an object with a publicKey")
    public = entry["publicKey"]
    try:
        key = check_key(
            serialization.load_der_public_key(_b64(public.get("rawBytes"), f"{where}.publicKey.rawBytes")),
            where,
        )
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ConfigError(f"{where}: cannot read the public key: {exc}") from None
    log_id = entry.get("logId") or {}
    if not isinstance(log_id, dict):
        raise ConfigError(f"{where}.logId must be an object with a keyId")
    stated = _b64(log_id.get("keyId"), f"{where}.logId.keyId") if log_id.get("keyId") else key_id(key)
    return LogInstance(
        key_id=stated,
        key=key,
        validity=_validity(public.get("validFor"), f"{where}.publicKey"),
        base_url=_text(entry.get("baseUrl"), f"{where}.baseUrl"),
    )


def _authority(entry: Any, where: str) -> CertificateAuthority:
    if not isinstance(entry, dict) or not isinstance(entry.get("certChain"), dict):
        raise ConfigError(f"{where} must be an object with a certChain")
    raw = entry["certChain"].get("certificates")
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}.certChain has no certificates")
    certificates = []
    for index, item in enumerate(raw):
        data = _b64(
            item.get("rawBytes") if isinstance(item, dict) else None,
            f"{where}.certChain.certificates[{index}]",
        )
        try:
            certificates.append(x509.load_der_x509_certificate(data))
        except ValueError as exc:
            raise ConfigError(f"{where}.certChain.certificates[{index}]: {exc}") from None
    return CertificateAuthority(
        certificates=tuple(certificates),
        validity=_validity(entry.get("validFor"), where),
        uri=_text(entry.get("uri"), f"{where}.uri"),
    )


@attrs.frozen(kw_only=True)
class TrustedRoot:
    """The keys and CAs a Sigstore deployment is trusted through."""

    certificate_authorities: tuple[CertificateAuthority, ...] = ()
    tlogs: tuple[LogInstance, ...] = ()
    ctlogs: tuple[LogInstance, ...] = ()
    timestamp_authorities: tuple[CertificateAuthority, ...] = ()
    source: str = "<memory>"

    def tlog_fingerprint(self) -> bytes:
        """SHA-256 over the transparency logs' key ids, keys and validity windows: what log entries are trusted by."""
        logs = sorted((log.key_id, spki_der(log.key), repr(log.validity)) for log in self.tlogs)
        return hashlib.sha256(repr(logs).encode()).digest()

    @classmethod
    def from_json(cls, data: bytes | str, *, source: str = "<memory>") -> TrustedRoot:
        """Parse Sigstore's TrustedRoot JSON; :class:`ConfigError` says what is wrong."""
        try:
            document = loads_strict(data, f"trusted root {source}")
        except Failure as exc:
            raise ConfigError(exc.message) from None
        if not isinstance(document, dict):
            raise ConfigError(f"trusted root {source} must be a JSON object")

        def listed(name: str) -> Sequence[Any]:
            value = document.get(name) or []
            if not isinstance(value, list):
                raise ConfigError(f"trusted root {source}: {name} must be a list")
            return value

        try:
            return cls(
                certificate_authorities=tuple(
                    _authority(e, f"certificateAuthorities[{i}]")
                    for i, e in enumerate(listed("certificateAuthorities"))
                ),
                tlogs=tuple(_log(e, f"tlogs[{i}]") for i, e in enumerate(listed("tlogs"))),
                ctlogs=tuple(_log(e, f"ctlogs[{i}]") for i, e in enumerate(listed("ctlogs"))),
                timestamp_authorities=tuple(
                    _authority(e, f"timestampAuthorities[{i}]")
                    for i, e in enumerate(listed("timestampAuthorities"))
                ),
                source=source,
            )
        except ConfigError as exc:
            raise ConfigError(f"trusted root {source}: {exc.message}") from None

    @classmethod
    def from_file(cls, path: str | Path) -> TrustedRoot:
        """Load a ``trusted_root.json``; parsed once per content (a file rewritten since, by a key
        rotation say, is parsed again)."""
        resolved = Path(path).resolve()
        data = read_regular_file(resolved, MAX_TRUSTED_ROOT, "trusted root")
        key = (str(resolved), hashlib.sha256(data).hexdigest())
        with _LOCK:
            cached = _CACHE.get(key)
        if cached is not None:
            return cached
        root = cls.from_json(data, source=str(path))
        with _LOCK:
            if len(_CACHE) >= _CACHE_MAX:
                _CACHE.clear()
            return _CACHE.setdefault(key, root)

    @classmethod
    @functools.cache
    def public_good(cls) -> TrustedRoot:
        """Sigstore's public-good trusted root, as shipped inside the ``sigstore`` package (offline)."""
        from importlib import resources

        location = resources.files("sigstore") / "_store" / PUBLIC_GOOD_TUF_DIRECTORY / "trusted_root.json"
        with resources.as_file(location) as path:
            return cls.from_file(path)

    def tlog(self, log_id: bytes) -> LogInstance | None:
        """The transparency log whose key id is ``log_id``."""
        return next((log for log in self.tlogs if log.key_id == log_id), None)

    def ctlog(self, log_id: bytes) -> LogInstance | None:
        """The CT log whose key id is ``log_id``."""
        return next((log for log in self.ctlogs if log.key_id == log_id), None)


_CACHE: dict[tuple[str, str], TrustedRoot] = {}
_CACHE_MAX = 256
_LOCK = threading.Lock()
