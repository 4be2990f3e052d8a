"""Prometheus across worker processes: a shared directory, chosen before ``prometheus_client`` is imported."""

from __future__ import annotations

import os
import tempfile


def prepare_metrics() -> str:
    """The directory the worker processes' counts go through (``PROMETHEUS_MULTIPROC_DIR``).

    gunicorn's workers are processes apart from the master that serves the
    probe port, so their counts always go through files. Call it before
    anything imports ``prometheus_client``: the library picks how it stores
    values on import.
    """
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        directory = tempfile.mkdtemp(prefix="cosign-verify-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    return directory
