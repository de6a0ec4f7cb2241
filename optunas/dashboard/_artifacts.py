"""Each trial's architecture drawing uploaded as an Optuna artifact and shown in its note."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import optuna

from optunas._compat import (
    dashboard_note_attrs,
    journal_file_path,
    storage_of,
    study_id_of,
    trial_id_of,
    unwrap_storage,
)

#: Trial system attr: the trial has a note written by optunas (see ``_save_note``).
_NOTED_ATTR = "optunas:note"
#: Folder of the artifact store beside an SQLite file: ``optunas.db`` -> ``optunas-artifacts``.
ARTIFACT_SUFFIX = "-artifacts"


def default_artifact_dir(storage: optuna.storages.BaseStorage | str) -> str | None:
    """Where optunas keeps artifacts by default: beside the SQLite file or journal file of
    the study; None for a database server (pass an artifact store or folder explicitly).

    Example:
        >>> from optunas.dashboard import default_artifact_dir
        >>> default_artifact_dir("sqlite:///runs/optunas.db")
        'runs/optunas-artifacts'
        >>> default_artifact_dir("postgresql://me@host/db") is None
        True
    """
    if not isinstance(storage, str):
        storage = unwrap_storage(storage)  # Optuna wraps an RDBStorage in a cache
    url = storage if isinstance(storage, str) else getattr(storage, "url", None)
    if url is None and isinstance(storage, optuna.storages.JournalStorage):
        path = journal_file_path(storage)
        return None if path is None else os.path.splitext(path)[0] + ARTIFACT_SUFFIX
    if not url:
        return None
    if url.startswith("journal:"):
        return os.path.splitext(url[len("journal:") :])[0] + ARTIFACT_SUFFIX
    if url.startswith("sqlite:///") and ":memory:" not in url:
        return os.path.splitext(url[len("sqlite:///") :])[0] + ARTIFACT_SUFFIX
    return None


def artifact_store_for(study: optuna.Study, store: Any = None) -> Any:
    """``store`` if given (any Optuna artifact store, or a folder), else the default folder
    of the study's storage; None when there is none."""
    if store is None:
        folder = default_artifact_dir(storage_of(study))
        if folder is None:
            return None
        store = folder
    if isinstance(store, (str, os.PathLike)):
        os.makedirs(store, exist_ok=True)
        return optuna.artifacts.FileSystemArtifactStore(str(store))
    return store


def record_drawing(trial: optuna.trial.Trial, svg: str, store: Any, caption: str = "") -> str:
    """Upload ``svg`` as an artifact of ``trial`` and show it in the trial's note (Markdown
    that optuna-dashboard renders). Returns the artifact id.

    Example:
        >>> import optuna, tempfile
        >>> from optunas.dashboard import record_drawing, draw_table
        >>> study = optuna.create_study()
        >>> trial = study.ask()
        >>> store = optuna.artifacts.FileSystemArtifactStore(tempfile.mkdtemp())
        >>> len(record_drawing(trial, draw_table({"x": 1}), store))
        36
    """

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, f"architecture-{trial.number}.svg")
        with open(path, "w", encoding="utf-8") as file:
            file.write(svg)
        artifact_id = optuna.artifacts.upload_artifact(
            artifact_store=store,
            file_path=path,
            study_or_trial=trial,
            mimetype="image/svg+xml",
        )
    study_id, trial_id = study_id_of(trial.study), trial_id_of(trial)
    note = f"![architecture](/artifacts/{study_id}/{trial_id}/{artifact_id})"
    if caption:
        note += f"\n\n`{caption}`"
    _save_note(trial, note)
    return artifact_id


def _save_note(trial: optuna.trial.Trial, body: str) -> None:
    """The trial's note, as ``optuna_dashboard.save_note`` writes it, at a cost that does not
    grow with the study.

    ``save_note`` reads every study system attr, twice, to find the note's version and
    clear its old text: every trial's note, the study's charts and a sampler's snapshots
    (1.2 MB for ReinforceSampler when measured, 1.06 MB now), so drawing trial 250 took 40%
    longer than trial 50 (BENCHMARKS.md, "The dashboard"). A trial being drawn for the first time has no note
    yet: version 1 and its text are written under the keys optuna-dashboard reads
    (``tests/test_dashboard.py`` reads them back with optuna-dashboard's own reader, and
    shows them in its page). A trial drawn again goes through ``save_note``.
    """
    import optuna_dashboard

    storage, study_id, trial_id = trial.storage, study_id_of(trial.study), trial_id_of(trial)
    if storage.get_trial(trial_id).system_attrs.get(_NOTED_ATTR):
        optuna_dashboard.save_note(trial, body)
        return
    for key, value in dashboard_note_attrs(trial_id, body).items():
        storage.set_study_system_attr(study_id, key, value)
    storage.set_trial_system_attr(trial_id, _NOTED_ATTR, True)


def draw_trial(trial: Any, space: Any, genotype: Any, store: Any = None) -> str | None:
    """Draw ``genotype`` with ``space.draw`` and record it for ``trial``, if the trial is a
    real one of a study whose artifacts have a home (see :func:`artifact_store_for`).

    The time it took, in milliseconds, goes to the user attr ``draw_ms``. Returns the
    artifact id, or None when nothing was recorded. Used by the optunas objectives; call it
    from an objective of your own to get the same drawing.

    Example:
        >>> import optuna, tempfile
        >>> from optunas.dashboard import draw_trial
        >>> from optunas.spaces import NB201
        >>> study = optuna.create_study()
        >>> trial = study.ask()
        >>> genotype = NB201().suggest(trial)
        >>> store = optuna.artifacts.FileSystemArtifactStore(tempfile.mkdtemp())
        >>> draw_trial(trial, NB201(), genotype, store) is not None
        True
    """
    import time
    import warnings

    if not isinstance(trial, optuna.trial.Trial):
        return None  # FixedTrial and friends have no study to attach anything to
    store = artifact_store_for(trial.study, store)
    if store is None:
        return None
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        artifact_id = record_drawing(trial, space.draw(genotype), store, str(genotype))
    trial.set_user_attr("draw_ms", round(1000 * (time.perf_counter() - started), 2))
    return artifact_id
