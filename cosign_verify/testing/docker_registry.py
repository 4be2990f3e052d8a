"""Start Debian's ``docker-registry`` (distribution 2.8) on a free loopback port, for tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import requests

BINARY_PATHS = ("/usr/bin/docker-registry",)


def find_docker_registry() -> str | None:
    """The path of the ``docker-registry`` binary, or None when it is not installed."""
    found = shutil.which("docker-registry")
    return found or next((p for p in BINARY_PATHS if Path(p).exists()), None)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` (an IPv4 or IPv6 address) that was free a moment ago."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class DockerRegistryProcess:
    """``docker-registry serve`` with its own storage directory on ``127.0.0.1:<free port>``.

    ``htpasswd`` (a ``user:bcrypt-hash`` line) turns on basic auth. ``host``
    and ``port`` choose another address (``::1``, say) or a fixed port;
    ``tls`` (certificate and key PEM files) serves HTTPS. Use as a context
    manager; ``registry`` is ``host:port`` (IPv6 in brackets).
    """

    def __init__(
        self,
        directory: str | Path | None = None,
        *,
        htpasswd: str | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        tls: tuple[str | Path, str | Path] | None = None,
    ) -> None:
        binary = find_docker_registry()
        if binary is None:
            raise FileNotFoundError(
                "docker-registry is not installed (Debian: apt-get install docker-registry)"
            )
        self.binary = binary
        self._tmp = tempfile.TemporaryDirectory(prefix="docker-registry-") if directory is None else None
        self.directory = Path(directory or self._tmp.name)  # type: ignore[union-attr]
        self.htpasswd = htpasswd
        self.host = host
        self.fixed_port = port
        self.tls = tls
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def registry(self) -> str:
        """``host:port`` (``127.0.0.1:<port>`` by default; ``[::1]:<port>`` for IPv6)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def start(self, timeout: float = 15.0) -> DockerRegistryProcess:
        """Start the registry and wait until it answers ``/v2/``."""
        self.port = self.fixed_port or free_port(self.host)
        auth = ""
        if self.htpasswd is not None:
            (self.directory / "htpasswd").write_text(self.htpasswd + "\n")
            auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {self.directory / 'htpasswd'}\n"
        tls = ""
        if self.tls is not None:
            tls = f"  tls:\n    certificate: {self.tls[0]}\n    key: {self.tls[1]}\n"
        scheme, verify = ("https", str(self.tls[0])) if self.tls is not None else ("http", True)
        config = self.directory / "config.yml"
        config.write_text(
            "version: 0.1\nlog:\n  level: error\n"
            f"storage:\n  filesystem:\n    rootdirectory: {self.directory / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: {self.registry!r}\n" + tls + auth
        )
        log = (self.directory / "registry.log").open("wb")
        self.process = subprocess.Popen(
            [self.binary, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=log
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(f"{scheme}://{self.registry}/v2/", timeout=1, verify=verify)
                return self
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    text = (self.directory / "registry.log").read_text(errors="replace")
                    raise RuntimeError(f"docker-registry did not start: {text[-500:]}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop the registry (its storage is removed if it was a temporary directory)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> DockerRegistryProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
