"""Checkpoint files shared between workers: atomic writes under a file lock, reads that run
no code, and a refusal of a checkpoint written with another setting.

Every write goes to a temporary file in the same folder, is flushed to disk and renamed over
the checkpoint, all under an exclusive lock on a ``.lock`` file beside it (``filelock``:
``flock`` on POSIX, ``msvcrt`` on Windows): a reader always opens a whole file (the old or the
new), writers never interleave, and a worker killed mid-write leaves only a stray temporary
file, which the next writer removes. The supernet and DARTS searches both keep their weights so.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import filelock
import optuna
import torch

#: The SHA-256 of the checkpoint the study's trials were scored with: the current one, and the
#: one before it while a write is between the study and the file system.
STUDY_ATTR_SHA256 = "supernet:checkpoint_sha256"


class CheckpointMismatchError(ValueError):
    """A checkpoint holds a supernet of another space, dataset or setting, or is missing or
    not the file its study was scored with."""


def check_checkpoint_config(
    payload: dict[str, Any], fmt: int, ours: dict[str, Any], path: str, what: str
) -> None:
    """Refuse a checkpoint written with another setting, naming only what differs, so that
    weights trained for one space or size are never taken up by another.

    Example:
        >>> from optunas.evaluation._checkpoint import check_checkpoint_config
        >>> payload = {"format": 1, "config": {"space": "nb201", "channels": 4}}
        >>> check_checkpoint_config(payload, 1, {"space": "nb201", "channels": 8}, "w.pt", "a supernet")
        Traceback (most recent call last):
        ...
        optunas.evaluation._checkpoint.CheckpointMismatchError: checkpoint w.pt holds a supernet of another setting: channels 4 (here 8); give this search another checkpoint path
    """
    theirs = payload.get("config") or {}
    if payload.get("format") == fmt and theirs == ours:
        return
    # Another space differs in every option; naming the space says it all.
    keys = (
        ["space"]
        if "space" in ours and theirs.get("space") != ours["space"]
        else sorted(set(theirs) | set(ours))
    )
    differences = (
        ", ".join(
            f"{key} {theirs.get(key)!r} (here {ours.get(key)!r})"
            for key in keys
            if theirs.get(key) != ours.get(key)
        )
        or f"format {payload.get('format')!r}"
    )
    raise CheckpointMismatchError(
        f"checkpoint {path} holds {what} of another setting: {differences}; give this search "
        "another checkpoint path"
    )


@contextlib.contextmanager
def checkpoint_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on ``path + ".lock"`` (``filelock``, so it works on Windows
    as well as POSIX; the lock is released with its descriptor, so a killed holder frees it).

    Each call takes a lock object of its own, so the lock excludes other threads of this
    process as well as other processes.
    """
    with filelock.FileLock(f"{os.fspath(path)}.lock", mode=0o644):
        yield


def save_checkpoint(
    path: str | os.PathLike[str], payload: dict[str, Any], *, lock: bool = True
) -> None:
    """Write ``payload`` to ``path`` atomically: a temporary file in the same folder,
    fsync, ``os.replace``, fsync of the folder; under :func:`checkpoint_lock` unless the
    caller holds it already (``lock=False``).

    Example:
        >>> import os, tempfile, torch
        >>> from optunas.evaluation import load_checkpoint, save_checkpoint
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.pt")
        >>> save_checkpoint(path, {"step": 3, "w": torch.ones(2)})
        >>> load_checkpoint(path)["step"]
        3
    """
    with checkpoint_lock(path) if lock else contextlib.nullcontext():
        _write_checkpoint(path, payload)


def _write_checkpoint(
    path: str | os.PathLike[str],
    payload: dict[str, Any],
    before_replace: Callable[[str], None] | None = None,
) -> str:
    """:func:`save_checkpoint` without the lock; returns the SHA-256 of the bytes written,
    which ``before_replace`` also receives before the file takes the checkpoint's name."""
    path = os.path.abspath(os.fspath(path))
    folder, base = os.path.split(path)
    # Writers hold the lock, so any temporary file still here is a killed writer's.
    for stale in glob.glob(os.path.join(glob.escape(folder), glob.escape(base) + ".*.tmp")):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(stale)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=base + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(payload, handle)
            handle.flush()
            os.fsync(handle.fileno())
        digest = file_sha256(tmp)
        assert digest is not None  # the file was just written
        if before_replace is not None:
            before_replace(digest)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if os.name != "nt":  # Windows cannot open a folder; its rename is durable as it is
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        finally:
            os.close(dir_fd)
    return digest


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """The SHA-256 of a file's bytes as hex, or None when there is no such file.

    Example:
        >>> import os, tempfile
        >>> from optunas.evaluation._checkpoint import file_sha256
        >>> folder = tempfile.mkdtemp()
        >>> with open(os.path.join(folder, "a"), "wb") as handle:
        ...     _ = handle.write(b"abc")
        >>> file_sha256(os.path.join(folder, "a"))[:12], file_sha256(os.path.join(folder, "b"))
        ('ba7816bf8f01', None)
    """
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def load_checkpoint(
    path: str | os.PathLike[str], map_location: str | torch.device | None = None
) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` with ``weights_only=True``:
    tensors and plain containers only, no code runs while loading.

    Example:
        >>> import os, tempfile, torch
        >>> from optunas.evaluation import load_checkpoint, save_checkpoint
        >>> path = os.path.join(tempfile.mkdtemp(), "weights.pt")
        >>> save_checkpoint(path, {"model": {"w": torch.zeros(2)}})
        >>> load_checkpoint(path, map_location="cpu")["model"]["w"].tolist()
        [0.0, 0.0]
    """
    checkpoint: dict[str, Any] = torch.load(
        os.fspath(path), map_location=map_location, weights_only=True
    )
    return checkpoint


def _read_checkpoint(
    path: str, map_location: str | torch.device | None = None
) -> tuple[dict[str, Any], str]:
    """:func:`load_checkpoint` and the SHA-256 of the same bytes (one read: the file may be
    replaced between two)."""
    with open(path, "rb") as handle:
        data = handle.read()
    payload = torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    return payload, hashlib.sha256(data).hexdigest()


def _stamp(path: str) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def check_study_checkpoint(study: optuna.Study, path: str, digest: str | None) -> None:
    """Refuse a checkpoint that is not the one ``study`` was scored with: missing here
    (``digest`` None) or other bytes, where the study records a SHA-256
    (``supernet:checkpoint_sha256``). So a worker on another machine, or one whose folder is
    another mount, stops with one line instead of training or reading a private copy.

    Example:
        >>> import optuna
        >>> from optunas.evaluation._checkpoint import STUDY_ATTR_SHA256, check_study_checkpoint
        >>> study = optuna.create_study(study_name="s")
        >>> study.set_user_attr(STUDY_ATTR_SHA256, ["ab" * 32])
        >>> check_study_checkpoint(study, "/runs/w.pt", "ab" * 32)  # the same file: accepted
        >>> check_study_checkpoint(study, "/runs/w.pt", None)
        Traceback (most recent call last):
        ...
        optunas.evaluation._checkpoint.CheckpointMismatchError: study 's' was scored with the supernet checkpoint /runs/w.pt (SHA-256 abababababab), which is missing here: give every worker that file at that path (a folder all of them mount), or use another study
    """
    recorded = study.user_attrs.get(STUDY_ATTR_SHA256)
    if not recorded or digest in recorded:
        return
    where = "which is missing here" if digest is None else f"not this one (SHA-256 {digest[:12]})"
    raise CheckpointMismatchError(
        f"study {study.study_name!r} was scored with the supernet checkpoint {path} (SHA-256 "
        f"{recorded[-1][:12]}), {where}: give every worker that file at that path (a folder "
        "all of them mount), or use another study"
    )
