"""Loading trusted public keys, and refusing the ones we do not accept.

Accepted: RSA 2048/3072/4096, ECDSA P-256/P-384/P-521 and Ed25519, from a
PKIX ``PUBLIC KEY`` PEM, a PKCS#1 ``RSA PUBLIC KEY`` PEM, or an X.509
``CERTIFICATE``. Anything else is refused when loaded, with the reason.
"""

from __future__ import annotations

import bisect
import re

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ..errors import UnsupportedKeyError

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

RSA_SIZES = (2048, 3072, 4096)
EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}

_LABEL = re.compile(rb"[A-Z0-9 ]+")  # anchored at one place, never searched: linear
_BEGIN, _END, _DASHES = b"-----BEGIN ", b"-----END ", b"-----"
_KEY_LABELS = (b"PUBLIC KEY", b"RSA PUBLIC KEY", b"CERTIFICATE")


def describe_key(key: PublicKey) -> str:
    """A short name for the key type: ``rsa-3072``, ``ecdsa-p384``, ``ed25519``."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"rsa-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ecdsa-" + EC_CURVES[key.curve.name].lower().replace("-", "")
    return "ed25519"


def check_key(key: object, source: str) -> PublicKey:
    """Return ``key`` if its type and size are accepted; raise :class:`UnsupportedKeyError` otherwise."""
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size not in RSA_SIZES:
            raise UnsupportedKeyError(
                f"{source}: RSA-{key.key_size} keys are not accepted (RSA must be 2048, 3072 or 4096 bits)"
            )
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in EC_CURVES:
            raise UnsupportedKeyError(
                f"{source}: ECDSA curve {key.curve.name} is not accepted (use P-256, P-384 or P-521)"
            )
        return key
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key
    kind = type(key).__name__.removeprefix("_").replace("PublicKey", "")
    raise UnsupportedKeyError(
        f"{source}: {kind or type(key).__name__} keys are not accepted "
        "(use RSA 2048/3072/4096, ECDSA P-256/P-384/P-521 or Ed25519)"
    )


def _label_at(raw: bytes, start: int) -> tuple[bytes, int] | None:
    """The label of ``[A-Z0-9 ]+-----`` at ``start`` and the index after its dashes, or None."""
    label = _LABEL.match(raw, start)
    if label is None or not raw.startswith(_DASHES, label.end()):
        return None
    return label.group(), label.end() + len(_DASHES)


def _end_markers(raw: bytes) -> dict[bytes, list[tuple[int, int]]]:
    """Every ``-----END <label>-----`` in ``raw``, by label: (start, end) in order."""
    found: dict[bytes, list[tuple[int, int]]] = {}
    at = raw.find(_END)
    while at != -1:
        label = _label_at(raw, at + len(_END))
        if label is not None:
            found.setdefault(label[0], []).append((at, label[1]))
        at = raw.find(_END, at + 1)
    return found


def pem_blocks(data: bytes | str) -> list[tuple[str, bytes]]:
    """Every PEM block in ``data`` as ``(label, block bytes)``, in order.

    A block is ``-----BEGIN <label>-----``, a line break, and everything up to
    the first ``-----END <label>-----``. One linear pass finds the END markers
    first, so that BEGIN lines without an END cost nothing more than their length.
    """
    raw = data.encode("ascii", "replace") if isinstance(data, str) else data
    ends = _end_markers(raw)
    blocks: list[tuple[str, bytes]] = []
    at = raw.find(_BEGIN)
    while at != -1:
        found = _block_at(raw, at, ends)
        if found is None:
            at = raw.find(_BEGIN, at + 1)
            continue
        label, end = found
        blocks.append((label.decode(), raw[at:end]))
        at = raw.find(_BEGIN, end)
    return blocks


def _block_at(raw: bytes, at: int, ends: dict[bytes, list[tuple[int, int]]]) -> tuple[bytes, int] | None:
    """The label of the block whose BEGIN line starts at ``at`` and where it ends, or None."""
    label = _label_at(raw, at + len(_BEGIN))
    if label is None:
        return None
    newline = label[1] + 1 if raw.startswith(b"\r\n", label[1]) else label[1]
    if not raw.startswith(b"\n", newline):
        return None
    candidates = ends.get(label[0], [])
    index = bisect.bisect_left(candidates, (newline + 1, 0))
    return (label[0], candidates[index][1]) if index < len(candidates) else None


def load_public_key(data: bytes | str, *, source: str = "key") -> PublicKey:
    """Load one public key from a PEM public key or certificate.

    ``source`` names where the key came from in error messages.
    """
    blocks = pem_blocks(data)
    if not blocks:
        raise UnsupportedKeyError(f"{source}: no PEM block found (expected a PUBLIC KEY or CERTIFICATE)")
    if len(blocks) > 1:
        raise UnsupportedKeyError(f"{source}: expected one PEM block, found {len(blocks)}")
    return _load_block(*blocks[0], source=source)


def load_public_keys(data: bytes | str, *, source: str = "key") -> list[PublicKey]:
    """Load every public key or certificate in a PEM bundle (at least one)."""
    blocks = pem_blocks(data)
    if not blocks:
        raise UnsupportedKeyError(f"{source}: no PEM block found (expected a PUBLIC KEY or CERTIFICATE)")
    return [
        _load_block(label, block, source=f"{source} (PEM block {i})")
        for i, (label, block) in enumerate(blocks)
    ]


def _load_block(label: str, block: bytes, *, source: str) -> PublicKey:
    if label.encode() not in _KEY_LABELS:
        hint = " (that is a private key: give the public key)" if "PRIVATE" in label else ""
        raise UnsupportedKeyError(f"{source}: unexpected PEM block {label!r}{hint}")
    try:
        if label == "CERTIFICATE":
            key: object = x509.load_pem_x509_certificate(block).public_key()
        else:
            key = serialization.load_pem_public_key(block)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise UnsupportedKeyError(f"{source}: cannot read {label}: {exc}") from None
    return check_key(key, source)
