"""Reading files an operator names (configurations, keys, trusted roots, bundles): regular files only, size-capped.

A FIFO, a device (``/dev/zero``) or a file larger than its cap is refused
with a :class:`ConfigError` that says so, before anything is read: the file
is opened without blocking, checked with ``fstat``, and read up to its cap.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..errors import ConfigError

MiB = 1 << 20
MAX_CONFIG_FILE = 4 * MiB
MAX_KEY_FILE = 1 * MiB
MAX_TRUSTED_ROOT = 16 * MiB


def read_regular_file(path: str | os.PathLike[str], limit: int, what: str) -> bytes:
    """The bytes of ``path``, a regular file of at most ``limit`` bytes; :class:`ConfigError` otherwise."""
    shown = str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        reason = "does not exist" if exc.errno == errno.ENOENT else (exc.strerror or str(exc))
        raise ConfigError(f"cannot read {what} {shown!r}: {reason}") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"{what} {shown!r} is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"{what} {shown!r} is not a regular file (a device, FIFO or socket)")
        if info.st_size > limit:
            raise ConfigError(f"{what} {shown!r} is {info.st_size} bytes (at most {limit})")
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {shown!r}: {exc.strerror or exc}") from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise ConfigError(f"{what} {shown!r} is larger than {limit} bytes")
    return data


def read_text_file(path: str | os.PathLike[str], limit: int, what: str) -> str:
    """:func:`read_regular_file`, decoded as UTF-8."""
    try:
        return read_regular_file(path, limit, what).decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{what} {str(path)!r} is not UTF-8 text") from None


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (not following it into a FIFO or device)."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False
