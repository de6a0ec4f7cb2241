"""Four ``optunas worker`` processes on one study, on every storage, with every NAS sampler and
pruner: no worker raises, every trial ends in a final state, the count is exact.

Trials are looked up in the tabular benchmark (``--evaluator tabular``), so a worker's cost is
its start-up and its sampler. Not the full cross product of five storages and five methods
(25 studies, 100 processes): what can race differs by layer. The storage decides how trials are
numbered and made visible (RDB transactions, a journal replayed by each worker); the sampler and
pruner decide what a worker does with trials another worker wrote between two of its
suggestions. So each storage runs once, and each NAS sampler runs once on an RDB and once on a
journal, each pruner on both kinds too:

    postgresql   reinforce  predictor      redis journal  reinforce  curve
    mysql        evolution  curve          journal file   evolution  predictor
    sqlite       tpe        curve

All four workers of a study share its seed, as ``optunas worker`` users are told to: the
ReinforceSampler's controller is then the same function of the stored trials in every worker.
"""

from __future__ import annotations

import subprocess
import sys

import optuna
import pytest
from conftest import service_url

from optunas._storage import open_storage

WORKERS = 4
UNTIL = 16
MATRIX = [
    ("postgresql", "reinforce", "predictor"),
    ("mysql", "evolution", "curve"),
    ("redis", "reinforce", "curve"),
    ("journal", "evolution", "predictor"),
    ("sqlite", "tpe", "curve"),
]


@pytest.mark.parametrize("kind, sampler, pruner", MATRIX)
def test_four_workers_on_one_study(kind, sampler, pruner, study_name, tmp_path) -> None:
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'c.db'}",
        "journal": f"journal:{tmp_path / 'c.log'}",
    }.get(kind) or service_url(kind)
    made = subprocess.run(
        [sys.executable, "-m", "optunas", "create-study", "--study-name", study_name]
        + ["--storage", url, "--evaluator", "tabular", "--sampler", sampler, "--pruner", pruner],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    command = [sys.executable, "-m", "optunas", "worker", "--study-name", study_name]
    command += ["--storage", url, "--until", str(UNTIL), "--seed", "7", "--no-progress"]
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(WORKERS)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (stdout, stderr) in zip(workers, outputs):
        assert worker.returncode == 0, stderr
        assert "Traceback" not in stderr, stderr
        assert f"sampler {sampler}, pruner {pruner}" in stdout
    trials = optuna.load_study(study_name=study_name, storage=open_storage(url)).trials
    states = [t.state for t in trials]
    finished = [t for t in trials if t.state.is_finished() and t.state.name != "FAIL"]
    assert optuna.trial.TrialState.RUNNING not in states
    assert optuna.trial.TrialState.WAITING not in states
    assert len(finished) == UNTIL
    # Only a trial closed because another worker filled the study may fail, and says so.
    for trial in trials:
        if trial.state == optuna.trial.TrialState.FAIL:
            assert "reached --until" in trial.user_attrs["fail_reason"], trial.user_attrs
    assert len({t.number for t in trials}) == len(trials)  # numbered once each
    assert all(t.user_attrs["genotype"] for t in finished)
