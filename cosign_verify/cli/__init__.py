"""The ``cosign-verify`` command: cosign's verbs and flags, over Ratify-style trust policies.

``main(argv)`` runs it and returns the exit code (0 verified, 1 a
verification failed, 2 usage or configuration error, 3 internal error,
130 interrupted);
``run()`` is the console script, which also ends quietly when its output
pipe closes (``... | head``).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Sequence
from typing import TextIO

from ..errors import CosignVerifyError
from .console import Console
from .parser import EXIT_CLOSED_PIPE, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, parse


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        args = _parse(argv, err)
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_OK
    console = Console(out, err, quiet=getattr(args, "quiet", False), verbose=getattr(args, "verbose", False))
    try:
        with console.library_logs():
            return _dispatch(args, console)
    except KeyboardInterrupt:
        console.print_err("interrupted")
        return EXIT_INTERRUPTED
    except CosignVerifyError as exc:
        console.failure(exc)
        return EXIT_USAGE
    except BrokenPipeError:
        raise  # the reader went away: run() ends quietly
    except Exception as exc:  # a bug: one line for people, the traceback behind --verbose
        console.error(f"internal error: {type(exc).__name__}: {exc} (please report it)")
        if console.verbose:
            console.print_err(traceback.format_exc().rstrip())
        return EXIT_INTERNAL


def _parse(argv: Sequence[str] | None, err: TextIO) -> object:
    saved = sys.stderr
    sys.stderr = err  # argparse writes usage errors to sys.stderr
    try:
        return parse(argv)
    finally:
        sys.stderr = saved


def _dispatch(args: object, console: Console) -> int:
    from .bundle_command import run_verify_bundle
    from .config_command import run_check_config
    from .demo_command import run_demo
    from .serve_command import run_serve
    from .verify_command import run_verify, run_verify_attestation

    command = getattr(args, "command", None)
    runners = {
        "verify": run_verify,
        "verify-attestation": run_verify_attestation,
        "verify-bundle": run_verify_bundle,
        "check-config": run_check_config,
        "demo": run_demo,
        "serve": run_serve,
    }
    return runners[str(command)](args, console)  # type: ignore[arg-type]


def run() -> None:
    """The ``cosign-verify`` console script."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`... | head`): say nothing more, and do not let Python complain at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = EXIT_CLOSED_PIPE
    if code == EXIT_INTERRUPTED:
        sys.stderr.flush()
        os._exit(code)  # worker threads still waiting on the network must not hold the exit
    sys.exit(code)


__all__ = ["main", "run"]
