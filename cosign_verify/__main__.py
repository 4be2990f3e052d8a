"""``python -m cosign_verify``: the ``cosign-verify`` command."""

from .cli import run

if __name__ == "__main__":
    run()
