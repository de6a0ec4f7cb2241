"""Helpers the optunas samplers share."""

from __future__ import annotations

import hashlib


def _stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (Python's hash() of str is salted)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)
