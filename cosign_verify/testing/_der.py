"""Just enough DER encoding for the test toolkit's fake timestamp authority and certificates."""

from __future__ import annotations


def length(size: int) -> bytes:
    """A DER length."""
    if size < 0x80:
        return bytes([size])
    encoded = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element."""
    return bytes([tag]) + length(len(content)) + content


def sequence(*items: bytes) -> bytes:
    """SEQUENCE of already-encoded items."""
    return tlv(0x30, b"".join(items))


def set_of(*items: bytes) -> bytes:
    """SET OF, sorted as DER requires."""
    return tlv(0x31, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    """A non-negative INTEGER."""
    return tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def octet_string(data: bytes) -> bytes:
    """OCTET STRING."""
    return tlv(0x04, data)


def utf8_string(text: str) -> bytes:
    """UTF8String."""
    return tlv(0x0C, text.encode())


def oid(dotted: str) -> bytes:
    """OBJECT IDENTIFIER."""
    parts = [int(p) for p in dotted.split(".")]
    body = bytes([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        rest = part >> 7
        while rest:
            chunk.insert(0, 0x80 | (rest & 0x7F))
            rest >>= 7
        body += bytes(chunk)
    return tlv(0x06, body)


def explicit(number: int, content: bytes) -> bytes:
    """[number] EXPLICIT (constructed, context-specific)."""
    return tlv(0xA0 | number, content)
