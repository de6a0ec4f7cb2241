"""Three worker processes on one study, on PostgreSQL and on a journal file, with optunas's
samplers on the tabular benchmark: no errors, every trial finishes, later trials are better."""

from __future__ import annotations

import statistics
import subprocess
import sys
import textwrap

import optuna
import pytest

from optunas._storage import open_storage

from conftest import service_url

WORKER = textwrap.dedent(
    """
    import sys, optuna
    from optunas._storage import open_storage
    from optunas.benchmarks import TabularObjective
    from optunas.samplers import get_sampler
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    url, name, sampler, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    study = optuna.load_study(study_name=name, storage=open_storage(url),
                              sampler=get_sampler(sampler, seed=0), pruner=optuna.pruners.NopPruner())
    study.optimize(TabularObjective(), n_trials=n)
    """
)


def _storage(kind: str, tmp_path) -> str:
    return service_url("postgresql") if kind == "postgresql" else f"journal:{tmp_path / 'w.log'}"


def run_workers(url: str, name: str, sampler: str, workers: int = 3, trials: int = 60) -> list:
    optuna.create_study(storage=open_storage(url), study_name=name, direction="maximize")
    per_worker = [trials // workers + (k < trials % workers) for k in range(workers)]
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, name, sampler, str(n)],
                              stderr=subprocess.PIPE, text=True) for n in per_worker]
    for proc in procs:
        _, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr
        assert "Traceback" not in stderr, stderr
    return optuna.load_study(study_name=name, storage=open_storage(url)).trials


@pytest.mark.parametrize("kind", ["postgresql", "journal"])
@pytest.mark.parametrize("sampler", ["reinforce", "evolution"])
def test_three_workers_share_one_study(kind, sampler, tmp_path, study_name) -> None:
    trials = run_workers(_storage(kind, tmp_path), study_name, sampler)
    assert len(trials) == 60
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    early = statistics.fmean(t.value for t in trials[:20])
    late = statistics.fmean(t.value for t in trials[-20:])
    assert late > early, (early, late)
