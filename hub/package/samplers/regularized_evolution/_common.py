# Generated from optunas's optunas/samplers/_common.py by hub/generate.py: edit that file.
"""Helpers the optunas samplers share."""

from __future__ import annotations

import hashlib


#: Trial system attr ReinforceSampler writes at each trial's end: the policy's entropy over
#: the choices it made for the trial, in nats (the sum of each choice's entropy given the
#: choices before it), and that of a uniform policy over the same choices (``{"nats": h,
#: "uniform": u}``), so charts can show how sure the controller has grown. Kept here, away
#: from torch, for readers such as :class:`optunas.dashboard.StudyCharts`.
REINFORCE_ENTROPY_ATTR = "optunas:reinforce:entropy"


def _stable_hash(*parts: object) -> int:
    """A hash that is the same in every process (Python's hash() of str is salted)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)
