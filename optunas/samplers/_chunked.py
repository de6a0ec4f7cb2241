"""Values larger than one attr allows, stored in study system attrs in chunks.

Optuna keeps each attr as JSON in a TEXT column: 65,535 bytes on MySQL and MariaDB, where a
longer value is refused (``StorageInternalError``). A text is therefore split into chunks under
that size and described by a manifest, the only attr a reader looks up by name.

A reader never uses a torn value. The chunks go into one of two slots, the one the current
manifest does not point at, and the manifest is written last, so a value being replaced stays
whole while a new one is written beside it; then the replaced value's chunks are blanked, so
that the study holds one value's worth, not two (Optuna cannot delete an attr). Writers that
race each other may still mix their chunks in one slot, or blank the slot that another one's
manifest points at; the manifest holds the text's SHA-256, and a reader that finds another
digest takes the value as absent.
"""

from __future__ import annotations

import hashlib
from typing import Any, TypeGuard

from optuna.storages import BaseStorage

#: Characters per chunk: ASCII text, so the JSON of a chunk (the text and two quotes) stays well
#: under MySQL's 65,535 bytes.
CHUNK_CHARS = 50_000


def _chunk_key(key: str, slot: int, index: int) -> str:
    return f"{key}:{slot}:{index}"


def is_chunked(manifest: Any) -> TypeGuard[dict[str, Any]]:
    """Whether ``manifest`` (an attr's value) describes a chunked value."""
    return (
        isinstance(manifest, dict)
        and manifest.get("slot") in (0, 1)
        and isinstance(manifest.get("chunks"), int)
        and isinstance(manifest.get("sha256"), str)
    )


def write_chunked(
    storage: BaseStorage,
    study_id: int,
    key: str,
    text: str,
    info: dict[str, Any],
    previous: Any = None,
) -> None:
    """Store the ASCII ``text`` in chunks, then its manifest under ``key``: ``info`` (small,
    JSON-friendly: what a reader checks before it reads the chunks) and where the chunks are.
    ``previous`` is the attr ``key`` held when the caller read the study's attrs: its slot is
    left alone until the new manifest is written, then blanked."""
    if not text.isascii():
        raise ValueError("a chunked value must be ASCII text")
    slot = 1 - previous["slot"] if is_chunked(previous) else 0
    chunks = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
    for index, chunk in enumerate(chunks):
        storage.set_study_system_attr(study_id, _chunk_key(key, slot, index), chunk)
    manifest = {
        **info,
        "slot": slot,
        "chunks": len(chunks),
        "sha256": hashlib.sha256(text.encode("ascii")).hexdigest(),
    }
    storage.set_study_system_attr(study_id, key, manifest)
    if is_chunked(previous):
        for index in range(previous["chunks"]):
            storage.set_study_system_attr(study_id, _chunk_key(key, previous["slot"], index), "")


def read_chunked(attrs: dict[str, Any], key: str) -> str | None:
    """The text whose manifest is ``attrs[key]``, from the same read of the study's attrs;
    None when there is none, or when its chunks are missing or are not the text the manifest
    was written for (a writer overwrote the slot meanwhile)."""
    manifest = attrs.get(key)
    if not is_chunked(manifest):
        return None
    parts = [attrs.get(_chunk_key(key, manifest["slot"], i)) for i in range(manifest["chunks"])]
    if not all(isinstance(part, str) for part in parts):
        return None
    text = "".join(str(part) for part in parts)
    if not text.isascii() or hashlib.sha256(text.encode("ascii")).hexdigest() != manifest["sha256"]:
        return None
    return text
