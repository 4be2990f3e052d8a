"""Render pages of the built site with headless Chromium: ``python docs/screenshots.py SITE_DIR OUT_DIR``.

Serves SITE_DIR on a loopback port and writes OUT_DIR/home.png and
OUT_DIR/getting-started.png, to be looked at. Needs Debian's chromium.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

PAGES = {"home": "", "getting-started": "getting-started/", "concepts": "concepts/"}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--window-size=1280,1600",
]


def main(site: Path, out: Path) -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (Debian: apt-get install -y chromium)", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        for name, path in PAGES.items():
            with tempfile.TemporaryDirectory() as profile:
                target = out / f"{name}.png"
                subprocess.run(
                    [
                        chromium,
                        *CHROMIUM_FLAGS,
                        f"--user-data-dir={profile}",
                        f"--screenshot={target}",
                        base + path,
                    ],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
            print(f"wrote {target}")
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
