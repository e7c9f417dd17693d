"""Local state is private to the gateway's user (defends against other local users reading the
metadata database, raw rows, quarantine, receipts or the dev signing key).

The process umask is set to 077 before any state is written, so every directory the gateway,
its Delta store (written by deltalake's Rust code, which honours the umask) or SQLite creates is
0700 and every file 0600; the state roots are tightened to 0700 as well.
"""

from __future__ import annotations

import os
from pathlib import Path

from gateway.settings import Settings

PRIVATE_UMASK = 0o077


def private_state(settings: Settings) -> None:
    """Set the private umask and create (or tighten) the local state roots as 0700."""
    os.umask(PRIVATE_UMASK)
    roots = [settings.data_dir]
    if "://" not in settings.store.uri:  # a local folder, not s3://
        roots.append(Path(settings.store.uri))
    for root in roots:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o700)
