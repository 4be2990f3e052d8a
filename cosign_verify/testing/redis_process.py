"""Start Debian's ``redis-server`` on a free loopback port, for tests of a cache shared by replicas."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from .docker_registry import free_port

BINARY_PATHS = ("/usr/bin/redis-server",)


def find_redis_server() -> str | None:
    """The path of the ``redis-server`` binary, or None when it is not installed."""
    found = shutil.which("redis-server")
    return found or next((p for p in BINARY_PATHS if Path(p).exists()), None)


class RedisProcess:
    """``redis-server`` on ``127.0.0.1:<free port>``, in its own directory, saving nothing to disk.

    ``url`` is ``redis://127.0.0.1:<port>/0`` (with ``password``, ``redis://:password@...``). Beyond
    starting and stopping: :meth:`kill` ends it at once (SIGKILL), :meth:`pause` and :meth:`resume`
    stop and continue it (a Redis that accepts connections and never answers), and :meth:`start`
    again serves on the same port. Use as a context manager.
    """

    def __init__(
        self, directory: str | Path | None = None, *, host: str = "127.0.0.1", password: str | None = None
    ) -> None:
        binary = find_redis_server()
        if binary is None:
            raise FileNotFoundError("redis-server is not installed (Debian: apt-get install redis-server)")
        self.binary = binary
        self._tmp = tempfile.TemporaryDirectory(prefix="redis-") if directory is None else None
        self.directory = Path(directory or self._tmp.name)  # type: ignore[union-attr]
        self.host = host
        self.password = password
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._paused = False

    @property
    def url(self) -> str:
        """The URL a Redis client connects to."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{self.host}:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisProcess:
        """Start the server (on the port it had before, if any) and wait until it answers PING."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port(self.host)
        command = [self.binary, "--port", str(self.port), "--bind", self.host, "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.directory), "--daemonize", "no"]
        command += ["--logfile", str(self.directory / "redis.log")]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                log = self.directory / "redis.log"
                text = log.read_text(errors="replace") if log.exists() else ""
                raise RuntimeError(f"redis-server did not start: {text[-500:]}")
            time.sleep(0.02)
        return self

    def _answers(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    def kill(self) -> None:
        """End the server at once, as a crash would."""
        if self.process is not None:
            self.resume()
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def pause(self) -> None:
        """Stop the process (SIGSTOP): connections are accepted, nothing is answered."""
        if self.process is not None and not self._paused:
            os.kill(self.process.pid, signal.SIGSTOP)
            self._paused = True

    def resume(self) -> None:
        """Continue a paused server."""
        if self.process is not None and self._paused:
            os.kill(self.process.pid, signal.SIGCONT)
            self._paused = False

    def stop(self) -> None:
        """Stop the server (its directory is removed if it was a temporary one)."""
        if self.process is not None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
            self.process = None
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> RedisProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
