"""Where the command writes: results on stdout; warnings, errors and progress on stderr."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from ..errors import CosignVerifyError

LIBRARY_LOGGER = "cosign_verify"


class Console:
    """The command's two streams, its verbosity, and the library's log records turned into lines for people.

    Warnings are printed once each, prefixed ``warning:``; ``quiet`` silences
    them; ``verbose`` adds ``debug:`` lines (the detail behind one-line
    registry errors, retries) and the tracebacks of bugs.
    """

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool = False, verbose: bool = False) -> None:
        self.out = out
        self.err = err
        self.quiet = quiet
        self.verbose = verbose
        self._said: set[str] = set()
        self._bar: Any = None

    def print(self, text: str = "") -> None:
        """A line of results on stdout, flushed (``jsonl`` readers see each line as it is written)."""
        print(text, file=self.out, flush=True)

    def print_err(self, text: str) -> None:
        """A line on stderr (under the progress bar, when one is shown)."""
        self._line(text)

    def error(self, message: str, remediation: str | None = None) -> None:
        self._line(f"error: {message}")
        if remediation:
            self._line(f"  hint: {remediation}")

    def failure(self, exc: CosignVerifyError) -> None:
        """An error of ours, in one line, with its remediation as a hint."""
        self.error(exc.message, exc.remediation)

    def warning(self, message: str) -> None:
        if not self.quiet and message not in self._said:
            self._said.add(message)
            self._line(f"warning: {message}")

    def debug(self, message: str) -> None:
        if self.verbose:
            self._line(f"debug: {message}")

    def _line(self, text: str) -> None:
        if self._bar is not None:
            self._bar.write(text, file=self.err)
        else:
            print(text, file=self.err, flush=True)

    @contextmanager
    def library_logs(self) -> Iterator[None]:
        """While the command runs, the library's log records go through this console (and nowhere else)."""
        logger = logging.getLogger(LIBRARY_LOGGER)
        handler = _ConsoleHandler(self)
        saved = (logger.level, logger.propagate)
        logger.setLevel(logging.DEBUG if self.verbose else logging.WARNING)
        logger.propagate = False
        logger.addHandler(handler)
        try:
            yield
        finally:
            logger.removeHandler(handler)
            logger.setLevel(saved[0])
            logger.propagate = saved[1]

    @contextmanager
    def progress(self, total: int, what: str) -> Iterator[Progress]:
        """A progress bar on stderr when it is a terminal and there is more than one item; silent otherwise."""
        if total < 2 or self.quiet or not _is_terminal(self.err):
            yield Progress(None)
            return
        from tqdm import tqdm

        with tqdm(total=total, unit=what, file=self.err, leave=False, dynamic_ncols=True) as bar:
            self._bar = bar
            try:
                yield Progress(bar)
            finally:
                self._bar = None


class Progress:
    """One step forward per finished item (a no-op without a bar)."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)


class _ConsoleHandler(logging.Handler):
    def __init__(self, console: Console) -> None:
        super().__init__(logging.DEBUG)
        self.console = console

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.ERROR:
            self.console.error(message)
            if record.exc_info and self.console.verbose:
                self.console.debug("".join(traceback.format_exception(*record.exc_info)).rstrip())
        elif record.levelno >= logging.WARNING:
            self.console.warning(message)
        else:
            self.console.debug(message)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stdio() -> tuple[TextIO, TextIO]:
    return sys.stdout, sys.stderr
