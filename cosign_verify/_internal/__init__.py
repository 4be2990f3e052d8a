"""Machinery behind the public API: parsing, cryptography, log and certificate checks, signature formats.

Nothing here is API; import from :mod:`cosign_verify` instead.
"""
