"""Free ports and an edge subnet for a throwaway stack: the one Python copy of scripts/lib.sh's
free_port and free_subnet, for bench/ and the tests (standard library only)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_subnet() -> str:
    """A /24 for the edge network that no Docker network on this host uses (scripts/lib.sh)."""
    return subprocess.run(
        ["bash", "-c", ". scripts/lib.sh && free_subnet"],  # noqa: S607 - bash from PATH
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
    ).stdout.strip()
