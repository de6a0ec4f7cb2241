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

The workers are unseeded, as ``optunas worker`` users are told to run them: ReinforceSampler's
controller then comes from the study, the same in every worker.
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


@pytest.mark.slow
@pytest.mark.parametrize("kind, sampler, pruner", MATRIX)
def test_four_workers_on_one_study(kind, sampler, pruner, study_name, tmp_path) -> None:
    url = {
        "sqlite": f"sqlite:///{tmp_path / 'c.db'}",
        "journal": f"journal:{tmp_path / 'c.log'}",
    }.get(kind) or service_url(kind)
    from optunas.cli import main  # in this process: the workers are what is under test

    create = ["create-study", "--study-name", study_name, "--storage", url]
    assert main(create + ["--evaluator", "tabular", "--sampler", sampler, "--pruner", pruner]) == 0
    command = [sys.executable, "-m", "optunas", "worker", "--study-name", study_name]
    command += ["--storage", url, "--until", str(UNTIL), "--no-progress"]
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


@pytest.mark.slow
def test_readme_many_workers_block_runs_as_written(tmp_path) -> None:
    from test_cli_workers import _bash, _readme

    result = _bash(_readme("many-workers", "bash"), tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    trials = optuna.load_study(
        study_name="many", storage=open_storage(f"journal:{tmp_path / 'many.log'}")
    ).trials
    assert len([t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]) == 40
    assert not [t for t in trials if t.state.name == "RUNNING"]
    assert all((tmp_path / f"worker-{i}.log").read_text() for i in range(1, 5))
    assert '"number"' in result.stdout or "number" in result.stdout  # the best trial


@pytest.mark.services
def test_readme_many_machines_block_runs_as_written(study_name, tmp_path) -> None:
    from test_cli_workers import _bash, _readme

    block = _readme("many-machines", "bash")
    url = service_url("postgresql")
    assert url in block
    # Looked up instead of trained, 6 trials, two workers standing for two machines.
    script = (
        block.replace("--study-name nas", f"--study-name {study_name}")
        .replace("--space nb201", "--evaluator tabular --space nb201")
        .replace("--until 200", "--until 6")
    )
    lines = [line for line in script.replace("\\\n", " ").splitlines() if line.strip()]
    create = [line for line in lines if "create-study" in line]
    worker = [line for line in lines if "optunas worker" in line]
    assert len(create) == 1 and len(worker) == 1 and worker[0].endswith("&")
    result = _bash(f"{create[0]}\n{worker[0]}\n{worker[0]}\nwait", tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    trials = optuna.load_study(study_name=study_name, storage=open_storage(url)).trials
    assert len([t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]) == 6
    assert not [t for t in trials if t.state.name == "RUNNING"]
