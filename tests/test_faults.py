"""Workers that die, are interrupted or lose their storage, on the real storages: every trial
ends in a final state, the study reaches its count exactly, errors are one line.

Trials are looked up in the tabular benchmark (``--evaluator tabular``) so that a worker costs
its start-up only; a worker that must be caught mid-trial runs an objective that sleeps (the
stand-in for training). Heartbeats beat every second and go stale after two
(``OPTUNAS_HEARTBEAT_INTERVAL``/``OPTUNAS_HEARTBEAT_GRACE``) so that a dead worker is noticed at
once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

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
    # In this process: the command as the workers run it is what is under test.
    from optunas.cli import main

    assert main(["create-study", "--study-name", name, "--storage", url, *TABULAR]) == 0


@pytest.mark.slow
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


#: How a worker is stopped: Ctrl-C, or a scheduler's stop (Kubernetes, systemd, Slurm,
#: ``timeout``); each closes the trial as FAIL with its name and exits as a shell reports it.
STOPS = [
    pytest.param(signal.SIGINT, 130, "KeyboardInterrupt", id="ctrl-c"),
    pytest.param(signal.SIGTERM, 143, "SIGTERM", id="sigterm"),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["journal", "sqlite"])
@pytest.mark.parametrize(("stop", "status", "reason"), STOPS)
def test_a_stop_mid_study_closes_the_trial_and_the_study_resumes(
    kind, stop, status, reason, study_name, tmp_path
) -> None:
    url = _url(kind, tmp_path)
    _create(url, study_name)
    worker = subprocess.Popen(
        [sys.executable, "-m", "optunas", "worker", "--study-name", study_name, "--storage", url]
        + ["--n-trials", "100000", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        _wait_for(lambda: len(_trials(url, study_name)) >= 5, "five trials")
        worker.send_signal(stop)  # wherever it lands: sampler, objective or storage
        _, stderr = worker.communicate(timeout=60)
    finally:
        worker.kill()  # a worker that did not stop must not run on beside the other tests
    assert worker.returncode == status, stderr
    assert "Traceback" not in stderr and f"Interrupted ({reason})" in stderr
    trials = _trials(url, study_name)
    assert not [t for t in trials if t.state == RUNNING]
    for trial in trials:
        if trial.state == optuna.trial.TrialState.FAIL:
            assert reason in trial.user_attrs.get("fail_reason", reason)
    target = len([t for t in trials if t.state in FINISHED]) + 3
    resumed = optunas(
        "worker", "--study-name", study_name, "--storage", url, "--until", str(target)
    )
    assert resumed.returncode == 0, resumed.stderr
    trials = _trials(url, study_name)
    assert len([t for t in trials if t.state in FINISHED]) == target
    assert not [t for t in trials if t.state == RUNNING]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "journal", "postgresql"])
def test_a_trial_beats_from_its_creation(kind, study_name, tmp_path, monkeypatch) -> None:
    """A worker killed inside ``ask`` (the sampler's work) leaves a trial that Optuna's
    beating thread never reached: its first beat, written with the trial, lets it be failed."""
    for key, value in FAST_BEAT.items():
        monkeypatch.setenv(key, value)
    url = _url(kind, tmp_path)
    _create(url, study_name)
    study = optuna.load_study(study_name=study_name, storage=open_storage(url))
    trial = study.ask()  # no thread beats for it from here on, as in a killed worker
    time.sleep(3.5)  # past the two seconds of grace
    optuna.storages.fail_stale_trials(study)
    assert study._storage.get_trial(trial._trial_id).state == optuna.trial.TrialState.FAIL


#: A worker whose Ctrl-C (or SIGTERM: the signal is its first argument) lands in the one place
#: Optuna cannot clean up after: its trial's beating thread has started but the ``with`` block
#: that stops it has not been entered.
STOP_AS_THE_BEAT_STARTS = textwrap.dedent(
    """
    import signal, sys
    from optuna.storages._heartbeat import HeartbeatThread
    from optunas.cli import main
    started, calls = HeartbeatThread.start, []
    def start_then_stop(self):
        started(self)
        calls.append(self)
        if len(calls) == 3:
            signal.raise_signal(int(sys.argv[1]))
    HeartbeatThread.start = start_then_stop
    sys.exit(main(sys.argv[2:]))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["journal", "sqlite"])
@pytest.mark.parametrize(("stop", "status", "reason"), STOPS)
def test_a_stop_as_the_heartbeat_starts_still_exits(
    kind, stop, status, reason, study_name, tmp_path
) -> None:
    url = _url(kind, tmp_path)
    _create(url, study_name)
    worker = subprocess.run(
        [sys.executable, "-c", STOP_AS_THE_BEAT_STARTS, str(int(stop)), "worker"]
        + ["--study-name", study_name, "--storage", url, "--n-trials", "100", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=60,  # before the fix: the left beating thread held the process open for ever
        env=ENV,
    )
    assert worker.returncode == status, worker.stderr
    assert "Interrupted" in worker.stderr and "Traceback" not in worker.stderr
    trials = _trials(url, study_name)
    assert len(trials) == 3 and trials[-1].state == optuna.trial.TrialState.FAIL
    assert reason in trials[-1].user_attrs.get("fail_reason", reason)
    assert not [t for t in trials if t.state == RUNNING]


@pytest.mark.services
def test_a_dropped_database_connection_is_survived(study_name) -> None:
    """The worker's connections are cut three times by the server (as a restart or a network
    failure does); it reconnects and the study ends with its exact count."""
    import sqlalchemy

    url = service_url("postgresql")
    _create(url, study_name)
    app = f"optunas-{study_name}"  # libpq names the worker's connections after PGAPPNAME
    worker = subprocess.Popen(
        [sys.executable, "-m", "optunas", "worker", "--study-name", study_name, "--storage", url]
        + ["--until", "60", "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**ENV, "PGAPPNAME": app},
    )
    _wait_for(lambda: len(_trials(url, study_name)) >= 5, "five trials")
    engine = sqlalchemy.create_engine(url)
    terminated = 0
    for _ in range(3):
        with engine.connect() as connection:
            terminated += len(
                connection.execute(
                    sqlalchemy.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :app"
                    ),
                    {"app": app},
                ).fetchall()
            )
        time.sleep(0.3)
    engine.dispose()
    _, stderr = worker.communicate(timeout=300)
    assert terminated > 0
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr
    trials = _trials(url, study_name)
    assert len([t for t in trials if t.state in FINISHED]) == 60
    assert not [t for t in trials if t.state == RUNNING]


@contextlib.contextmanager
def _read_only(folder) -> Iterator[None]:
    """``folder`` and its files read-only for the duration: by their mode, or, for root, whom
    modes do not stop, by the immutable attribute."""
    paths = [*folder.iterdir(), folder]
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("running as root without chattr: nothing makes a file read-only")
        made = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True)
        if made.returncode != 0:
            pytest.skip(f"running as root and chattr +i failed: {made.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        return
    modes = {path: path.stat().st_mode for path in paths}
    for path in paths:
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        yield
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_read_only_storage_is_one_line_and_keeps_its_trials(kind, tmp_path) -> None:
    url = _url(kind, tmp_path)
    made = optunas("run", "--study-name", "s", "--storage", url, *TABULAR, "--n-trials", "3")
    assert made.returncode == 0, made.stderr
    before = _trials(url, "s")
    with _read_only(tmp_path):
        result = optunas(
            "worker", "--study-name", "s", "--storage", url, "--n-trials", "2", "--no-progress"
        )
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert any(
        words in lines[0]
        for words in ("readonly database", "Permission denied", "Operation not permitted")
    ), lines[0]
    assert [(t.number, t.state, t.value) for t in _trials(url, "s")] == [
        (t.number, t.state, t.value) for t in before
    ]


def test_a_locked_sqlite_file_is_one_line(tmp_path) -> None:
    import sqlite3

    url = _url("sqlite", tmp_path)
    _create(url, "s")
    lock = sqlite3.connect(tmp_path / "f.db", isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another program writing, for longer than SQLite waits
    try:
        result = optunas("worker", "--study-name", "s", "--storage", url, "--n-trials", "1")
    finally:
        lock.close()
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "database is locked" in lines[0], result.stderr


LOST_STOP = """
import gc, os, signal, sys
from optunas._signals import Terminated, raise_if_stopped, sigterm_as_interrupt

class Collected:
    def __del__(self):  # a stop landing here is "unraisable": Python prints it and goes on
        os.kill(os.getpid(), signal.SIGTERM)

with sigterm_as_interrupt():
    Collected()
    gc.collect()
    try:
        raise_if_stopped()
    except Terminated:
        print("raised again")
"""


def test_a_stop_lost_in_a_finaliser_is_raised_again_without_a_traceback() -> None:
    """A stop that lands in a ``__del__`` or a garbage collector's callback (SQLAlchemy has
    them) cannot propagate: the worker raises it between trials, and stderr stays clean."""
    run = subprocess.run(
        [sys.executable, "-c", LOST_STOP], capture_output=True, text=True, timeout=60, env=ENV
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "raised again"
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr


LOST_STOP_IN_TRAINING = """
import gc, os, signal
import torch
from torch.utils.data import TensorDataset
from optunas._signals import Terminated, sigterm_as_interrupt
from optunas.evaluation import Recipe

class Collected:
    def __del__(self):  # the stop lands here, where it cannot propagate
        os.kill(os.getpid(), signal.SIGTERM)

def lose_a_stop(epoch, accuracy):
    if epoch == 0:
        Collected()
        gc.collect()

data = TensorDataset(torch.randn(64, 1, 40), torch.arange(64) % 2)
model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(40, 2))
with sigterm_as_interrupt():
    epochs = []
    try:
        Recipe(epochs=50, batch_size=16).train(
            model, data, data, seed=0, on_epoch=lambda e, a: (epochs.append(e), lose_a_stop(e, a))
        )
        print("trained all", len(epochs), "epochs")
    except Terminated:
        print("stopped after", len(epochs), "epoch")
"""


def test_a_stop_lost_during_training_ends_the_training_at_the_next_step() -> None:
    """A long training (``optunas retrain``, a worker's trial) whose stop was lost in a
    finaliser stops at its next step, not after its last epoch."""
    run = subprocess.run(
        [sys.executable, "-c", LOST_STOP_IN_TRAINING], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "stopped after 1 epoch", run.stdout
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr, run.stderr


STOP_IN_THREAD_START = """
import signal, sys, threading, time
import optuna
from optuna.storages import RDBStorage
from optuna.storages._heartbeat import get_heartbeat_thread
from optunas._compat import running_heartbeats
from optunas._signals import Terminated, sigterm_as_interrupt
from optunas._storage import stop_heartbeats

storage = RDBStorage(sys.argv[1], heartbeat_interval=60)
trial = optuna.create_study(storage=storage).ask()
launch = threading._start_new_thread  # CPython's: the new thread says it runs 0.5 s late


def late(function, args):
    return launch(lambda *a: (time.sleep(0.5), function(*a)), args)


threading._start_new_thread = late
with sigterm_as_interrupt():
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    signal.signal(signal.SIGALRM, lambda *_: signal.raise_signal(signal.SIGTERM))
    try:
        get_heartbeat_thread(trial._trial_id, storage).__enter__()  # as optimize() does
    except Terminated:
        print("stopped in start:", len(running_heartbeats()))
    stop_heartbeats()
print("beating after the stop:", len(running_heartbeats()))
"""


def test_a_stop_inside_a_heartbeat_threads_start_still_stops_the_thread(tmp_path) -> None:
    """A stop can land in ``Thread.start()`` while it waits for the heartbeat thread to say
    it runs: the worker must still stop that thread (the command exits), without an error."""
    run = subprocess.run(
        [sys.executable, "-c", STOP_IN_THREAD_START, f"sqlite:///{tmp_path / 'h.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split("\n")[:2] == ["stopped in start: 1", "beating after the stop: 0"]


@pytest.mark.slow
def test_sigterm_during_retrain_closes_the_retraining_and_the_command_resumes(
    study_name, tmp_path
) -> None:
    """``optunas retrain`` under a scheduler's stop: its running retraining is FAIL (not left
    RUNNING for ever), the exit status is 143, and the same command trains what is left."""
    url = _url("sqlite", tmp_path)
    _create(url, study_name)
    assert optunas("worker", "--study-name", study_name, "--storage", url, "--until", "2")
    retrain = ["retrain", "--study-name", study_name, "--storage", url, "--top-k", "1"]
    slow = subprocess.Popen(
        [sys.executable, "-m", "optunas", *retrain, "--epochs", "200", "--threads", "1"],
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    retrained = f"{study_name}:retrain"
    try:
        _wait_for(
            lambda: (
                retrained in optuna.study.get_all_study_names(url)
                and [t.state for t in _trials(url, retrained)] == [RUNNING]
            ),
            "the retraining to start",
        )
        slow.send_signal(signal.SIGTERM)
        _, stderr = slow.communicate(timeout=60)
    finally:
        slow.kill()
    assert slow.returncode == 143, stderr
    assert "Traceback" not in stderr and "Interrupted" in stderr
    assert [t.state for t in _trials(url, retrained)] == [optuna.trial.TrialState.FAIL]
    again = optunas(*retrain, "--epochs", "1")
    assert again.returncode == 0, again.stderr
    states = [t.state for t in _trials(url, retrained)]
    assert states == [optuna.trial.TrialState.FAIL, optuna.trial.TrialState.COMPLETE]
