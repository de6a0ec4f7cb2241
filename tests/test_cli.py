"""The real `optunas` command, in a subprocess, on real storages."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import optuna
import pytest

from optunas._storage import open_storage

FAST = ["--epochs", "1", "--pruner", "none", "--sampler", "random", "--no-progress"]


def optunas(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optunas", *args], capture_output=True, text=True, timeout=timeout
    )


def _trials(storage_url: str, study_name: str) -> list[optuna.trial.FrozenTrial]:
    return optuna.load_study(study_name=study_name, storage=open_storage(storage_url)).trials


def _chart_ids(storage_url: str, study_name: str) -> set[str]:
    """The ids of the charts the study holds for optuna-dashboard."""
    from optuna_dashboard._custom_plot_data import list_graph_object_ids

    study = optuna.load_study(study_name=study_name, storage=open_storage(storage_url))
    return set(list_graph_object_ids(study._storage.get_study_system_attrs(study._study_id)))


def test_console_script_is_installed() -> None:
    exe = shutil.which("optunas", path=os.path.dirname(sys.executable)) or shutil.which("optunas")
    assert exe, "the optunas console script is not on PATH"
    result = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "run" in result.stdout


def test_help_explains_every_option() -> None:
    result = optunas("run", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())  # argparse wraps lines
    for option in (
        "--storage",
        "--study-name",
        "--space",
        "--dataset",
        "--sampler",
        "--pruner",
        "--n-trials",
        "--timeout",
        "--epochs",
        "--seed",
        "--objectives",
    ):
        assert option in text
    assert "nb201, chain" in text and "tpe, random, gp, cmaes, nsga2, reinforce, evolution" in text


def test_list_names_everything() -> None:
    result = optunas("list")
    assert result.returncode == 0
    assert "spaces: nb201, chain" in result.stdout
    assert "samplers: tpe, random, gp, cmaes, nsga2, reinforce, evolution" in result.stdout


@pytest.mark.slow
def test_run_then_resume_on_sqlite(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'optunas.db'}"
    first = optunas(
        "run",
        "--storage",
        url,
        "--study-name",
        "s",
        "--n-trials",
        "2",
        "--seed",
        "1",
        "--no-charts",
        *FAST,
    )
    assert first.returncode == 0, first.stderr
    assert not _chart_ids(url, "s")
    assert "Created study 's'" in first.stdout
    assert "Best architecture (trial" in first.stdout
    assert f"optuna-dashboard {url}" in first.stdout
    assert len(_trials(url, "s")) == 2

    # The second run takes space and epochs from the study and adds its trials.
    second = optunas(
        "run", "--storage", url, "--study-name", "s", "--n-trials", "1", "--no-progress"
    )
    assert second.returncode == 0, second.stderr
    assert "Resuming study 's'" in second.stdout and "(2 trials so far)" in second.stdout
    trials = _trials(url, "s")
    assert len(trials) == 3
    assert all(len(t.intermediate_values) == 1 for t in trials)  # still 1 epoch
    # Charts by default: drawn when the run ends, though it is short of --charts-every.
    assert "optunas-best" in _chart_ids(url, "s")


@pytest.mark.slow
def test_run_on_every_storage(storage_url, study_name) -> None:
    result = optunas(
        "run",
        "--storage",
        storage_url,
        "--study-name",
        study_name,
        "--space",
        "chain",
        "--n-trials",
        "2",
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    trials = _trials(storage_url, study_name)
    assert [t.state for t in trials] == [optuna.trial.TrialState.COMPLETE] * 2
    assert all("layer_1/op" in t.params for t in trials)


@pytest.mark.slow
def test_two_objective_study_prints_the_front(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    result = optunas(
        "run",
        "--storage",
        url,
        "--objectives",
        "accuracy,params",
        "--n-trials",
        "3",
        "--charts-every",
        "2",
        *FAST,
    )
    assert result.returncode == 0, result.stderr
    assert "validation accuracy" in result.stdout and "params" in result.stdout
    study = optuna.load_study(study_name="optunas-nb201-mnist1d", storage=url)
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    assert study.metric_names == ["validation accuracy", "params"]
    assert all(t.values[1] == t.user_attrs["n_parameters"] for t in study.trials)
    assert {"optunas-pareto", "optunas-curves"} <= _chart_ids(url, study.study_name)


@pytest.mark.parametrize(
    "option,value,valid",
    [
        ("--space", "resnet", "nb201, chain"),
        ("--dataset", "imagenet", "mnist1d, mnist, fashion_mnist, cifar10"),
        ("--sampler", "bohb", "tpe, random, gp, cmaes, nsga2, reinforce, evolution"),
        ("--pruner", "asha", "none, median, sha, hyperband, curve, predictor"),
        ("--objectives", "loss", "accuracy, params, flops"),
    ],
)
def test_unknown_names_get_one_line_and_status_2(option, value, valid, tmp_path) -> None:
    result = optunas("run", "--storage", f"sqlite:///{tmp_path / 'x.db'}", option, value)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert valid in result.stderr and repr(value) in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.db").exists()  # nothing was created


@pytest.mark.parametrize(
    "args,message",
    [
        (["--epochs", "0"], "--epochs: must be greater than 0"),
        (["--epochs", "-3"], "--epochs: must be greater than 0"),
        (["--n-trials", "0"], "--n-trials: must be greater than 0"),
        (["--n-trials", "two"], "'two' is not a int"),
        (["--timeout", "-1"], "--timeout: must be greater than 0"),
    ],
)
def test_non_positive_numbers_are_refused(args, message) -> None:
    result = optunas("run", *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url,message",
    [
        ("notaurl", "malformed storage URL 'notaurl'"),
        ("sqlite:/missing-slashes.db", "malformed storage URL"),
        ("postgresql://nobody@127.0.0.1:1/none", "cannot open storage"),
        ("sqlite:////no/such/folder/x.db", "cannot open storage"),
    ],
)
def test_bad_storage_urls_are_clear_errors(url, message) -> None:
    result = optunas("run", "--storage", url, "--n-trials", "1")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_reinforce_refuses_two_objectives_in_one_line(tmp_path) -> None:
    result = optunas(
        "run",
        "--storage",
        f"sqlite:///{tmp_path / 'r.db'}",
        "--sampler",
        "reinforce",
        "--objectives",
        "accuracy,params",
    )
    assert result.returncode == 2 and "one objective" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_run_with_the_nas_samplers_and_pruners(tmp_path) -> None:
    # The table evaluator: what is under test is the command's wiring of the NAS samplers and
    # the learning-curve pruners, which the tabular benchmark feeds with real curves.
    url = f"sqlite:///{tmp_path / 'nas.db'}"
    for sampler, pruner in (("reinforce", "curve"), ("evolution", "predictor")):
        result = optunas(
            "run",
            "--storage",
            url,
            "--study-name",
            sampler,
            "--sampler",
            sampler,
            "--pruner",
            pruner,
            "--evaluator",
            "tabular",
            "--n-trials",
            "8",
            "--no-progress",
        )
        assert result.returncode == 0, result.stderr
        assert f"sampler {sampler}, pruner {pruner}" in result.stdout + result.stderr
        assert len(_trials(url, sampler)) == 8


@pytest.mark.slow
def test_resume_refuses_contradicting_settings(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert (
        optunas("run", "--storage", url, "--study-name", "c", "--n-trials", "1", *FAST).returncode
        == 0
    )
    result = optunas(
        "run", "--storage", url, "--study-name", "c", "--epochs", "3", "--n-trials", "1"
    )
    assert result.returncode == 2
    assert "created with --epochs 1, not 3" in result.stderr
    assert len(_trials(url, "c")) == 1


@pytest.mark.slow
def test_resume_refuses_another_training_recipe(tmp_path) -> None:
    # The recipe changes a trial's value as much as the epochs: mixing recipes in one study
    # would rank architectures on incomparable numbers.
    url = f"sqlite:///{tmp_path / 'r.db'}"
    assert (
        optunas("run", "--storage", url, "--study-name", "r", "--n-trials", "1", *FAST).returncode
        == 0
    )
    for option, value, stored in (
        ("--lr", "0.05", "0.01"),
        ("--batch-size", "64", "128"),
        ("--optimizer", "sgd", "adamw"),
    ):
        result = optunas(
            "run", "--storage", url, "--study-name", "r", option, value, "--n-trials", "1"
        )
        assert result.returncode == 2, (option, result.stderr)
        assert f"created with {option} {stored}, not {value}" in result.stderr
    assert len(_trials(url, "r")) == 1


@pytest.mark.slow
def test_missing_torchvision_dataset_is_one_clear_line(tmp_path) -> None:
    result = optunas(
        "run",
        "--storage",
        f"sqlite:///{tmp_path / 'd.db'}",
        "--dataset",
        "mnist",
        "--data-root",
        str(tmp_path / "empty"),
        "--n-trials",
        "1",
    )
    assert result.returncode == 2
    assert "dataset 'mnist' is not under" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_ctrl_c_closes_the_trial_as_fail_and_the_study_resumes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'int.db'}"
    args = [
        "run",
        "--storage",
        url,
        "--study-name",
        "i",
        "--epochs",
        "8",
        "--n-trials",
        "3",
        "--pruner",
        "none",
        "--no-progress",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "optunas", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait for a trial in the middle of training
            time.sleep(0.5)
            try:
                trials = _trials(url, "i")
            except (KeyError, Exception):
                continue
            if (
                trials
                and trials[-1].state == optuna.trial.TrialState.RUNNING
                and trials[-1].intermediate_values
            ):
                break
        else:
            pytest.fail("no trial started training in time")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert "Interrupted" in stderr and "Traceback" not in stderr
    trials = _trials(url, "i")
    assert trials[-1].state == optuna.trial.TrialState.FAIL
    assert "interrupted" in trials[-1].user_attrs["fail_reason"]
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]

    resumed = optunas(
        "run",
        "--storage",
        url,
        "--study-name",
        "i",
        "--n-trials",
        "1",
        "--sampler",
        "random",
        "--no-progress",
        "--epochs",
        "8",
    )
    assert resumed.returncode == 0, resumed.stderr
    assert len(_trials(url, "i")) == len(trials) + 1
    assert _trials(url, "i")[-1].state == optuna.trial.TrialState.COMPLETE


@pytest.mark.parametrize(
    ("objectives", "evaluator", "pruner"),
    [
        ("accuracy", "train", "predictor"),
        ("accuracy", "tabular", "predictor"),
        ("accuracy,params", "train", "none"),  # Optuna prunes single-objective studies only
        ("accuracy", "supernet", "none"),  # an estimate reports no learning curve
    ],
)
def test_the_default_pruner_follows_the_study(objectives, evaluator, pruner, tmp_path) -> None:
    """The predictor pruner where a learning curve is reported and one objective is optimised:
    on the quickstart's study it lost nothing to no pruning, the median pruner 0.29 point."""
    url = f"sqlite:///{tmp_path / 'p.db'}"
    result = optunas(
        "create-study", "--storage", url, "--objectives", objectives, "--evaluator", evaluator
    )
    assert result.returncode == 0, result.stderr
    assert f"pruner {pruner}." in result.stdout + result.stderr
