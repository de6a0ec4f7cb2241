"""Workers that die, are interrupted or lose their storage, on the real storages: every trial
ends in a final state, the study reaches its count exactly, errors are one line.

Trials are looked up in the tabular benchmark (``--evaluator tabular``) so that a worker costs
its start-up only; a worker that must be caught mid-trial runs an objective that sleeps (the
stand-in for training). Heartbeats beat every second and go stale after two
(``OPTUNAS_HEARTBEAT_INTERVAL``/``OPTUNAS_HEARTBEAT_GRACE``) so that a dead worker is noticed at
once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import optuna
import pytest
from conftest import service_url

from optunas._storage import open_storage

FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
RUNNING = optuna.trial.TrialState.RUNNING
FAST_BEAT = {"OPTUNAS_HEARTBEAT_INTERVAL": "1", "OPTUNAS_HEARTBEAT_GRACE": "2"}
ENV = {**os.environ, **FAST_BEAT}
TABULAR = ["--evaluator", "tabular", "--sampler", "random", "--pruner", "none"]
#: A worker whose trial sleeps until it is killed: training that takes long.
SLEEPER = textwrap.dedent(
    """
    import sys, time, optuna
    from optunas._storage import open_storage
    from optunas.spaces import NB201
    study = optuna.load_study(study_name=sys.argv[2], storage=open_storage(sys.argv[1]))
    def objective(trial):
        NB201().suggest(trial)
        trial.report(0.5, 0)
        time.sleep(300)
    study.optimize(objective, n_trials=1)
    """
)


def optunas(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optunas", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=ENV,
    )


def _url(kind: str, tmp_path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'f.db'}"
    if kind == "journal":
        return f"journal:{tmp_path / 'f.log'}"
    return service_url(kind)


def _trials(url: str, name: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=name, storage=open_storage(url, heartbeat=False)).trials


def _wait_for(condition, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _create(url: str, name: str) -> None:
    made = optunas("create-study", "--study-name", name, "--storage", url, *TABULAR)
    assert made.returncode == 0, made.stderr


@pytest.mark.parametrize("kind", ["journal", "redis", "postgresql"])
def test_a_killed_workers_trial_is_failed_retried_and_the_count_is_exact(
    kind, study_name, tmp_path
) -> None:
    url = _url(kind, tmp_path)
    _create(url, study_name)
    sleeper = subprocess.Popen([sys.executable, "-c", SLEEPER, url, study_name], env=ENV)
    try:
        # Running, and beating: a second beat has been recorded after the first.
        _wait_for(lambda: [t.state for t in _trials(url, study_name)] == [RUNNING], "a trial")
        time.sleep(1.5)
    finally:
        sleeper.send_signal(signal.SIGKILL)
        sleeper.wait(timeout=60)
    (killed,) = _trials(url, study_name)
    assert killed.state == RUNNING  # nobody told the storage
    time.sleep(3)  # past the grace period: the next worker finds it stale
    worker = optunas("worker", "--study-name", study_name, "--storage", url, "--until", "5")
    assert worker.returncode == 0, worker.stderr
    assert "Traceback" not in worker.stderr
    trials = _trials(url, study_name)
    assert not [t for t in trials if t.state == RUNNING]
    assert len([t for t in trials if t.state in FINISHED]) == 5
    assert trials[0].state == optuna.trial.TrialState.FAIL
    (retry,) = [t for t in trials if t.system_attrs.get("failed_trial") == killed.number]
    assert retry.state in FINISHED and retry.params == killed.params
