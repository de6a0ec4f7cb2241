"""Bad input anywhere in the chain: non-finite values, malformed datasets, spaces that change
from trial to trial, storages that are not there, studies configured by another install, study
names that try to leave their folder. Each is handled or refused in one clear line."""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import subprocess
import sys

import optuna
import pytest
import torch
from torch.utils.data import TensorDataset

from optunas._storage import open_storage
from optunas.data import Dataset
from optunas.pruners import get_pruner
from optunas.samplers import get_sampler
from optunas.spaces import NB201


def optunas(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "optunas", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for word in words:
        assert word in lines[0], lines[0]


def _split(n: int = 8, shape=(1, 40), labels=None) -> TensorDataset:
    y = torch.arange(n) % 2 if labels is None else labels
    return TensorDataset(torch.randn(n, *shape), y)


@pytest.mark.parametrize(
    "splits, num_classes, words",
    [
        ((_split(labels=torch.zeros(8, dtype=torch.long)),) * 3, 2, "every training label is 0"),
        ((_split(),) * 3, 1, "num_classes=1"),
        ((_split(shape=(40,)),) * 3, 2, "inputs of shape (40,), but input_shape is (1, 40)"),
        ((_split(), _split(), _split(labels=torch.arange(8))), 2, "labels run from 0 to 7"),
        ((_split(labels=torch.rand(8)),) * 3, 2, "1-D integer tensor"),
        ((_split(), _split(n=0), _split()), 2, "valid split is empty"),
    ],
)
def test_a_malformed_dataset_is_refused_with_what_is_wrong(splits, num_classes, words) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        Dataset("bad", *splits, input_shape=(1, 40), num_classes=num_classes)


@pytest.mark.slow
@pytest.mark.parametrize("sampler, pruner", [("reinforce", "curve"), ("evolution", "predictor")])
def test_nan_and_infinite_values_fail_or_prune_their_trial_and_the_study_goes_on(
    sampler, pruner, tmp_path
) -> None:
    """Every fourth trial's curve turns NaN or infinite (it diverged), every fifth returns
    NaN or an infinity: the NAS samplers and pruners go on, with valid architectures."""
    bad = [math.nan, math.inf, -math.inf]
    space = NB201()

    def objective(trial: optuna.Trial) -> float:
        space.suggest(trial)
        for step in range(3):
            good = 0.5 + 0.01 * step + 0.001 * (trial.number % 7)
            trial.report(bad[trial.number % 3] if trial.number % 4 == 1 else good, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return bad[trial.number % 3] if trial.number % 5 == 2 else 0.6

    storage = open_storage(f"journal:{tmp_path / 'nan.log'}")
    study = optuna.create_study(
        storage=storage,
        direction="maximize",
        sampler=get_sampler(sampler, 0),
        pruner=get_pruner(pruner),
    )
    study.optimize(objective, n_trials=30)
    trials = study.trials
    assert len(trials) == 30 and all(t.state.is_finished() for t in trials)
    # Optuna fails a NaN value; a diverged curve is pruned at its last value.
    for t in trials:
        if t.number % 5 == 2 and t.number % 3 == 0 and t.state != optuna.trial.TrialState.PRUNED:
            assert t.state == optuna.trial.TrialState.FAIL
    assert any(t.state == optuna.trial.TrialState.PRUNED for t in trials)
    for t in trials:  # every architecture sampled after the bad values is a valid NB201 cell
        assert space.genotype(t.params) is not None


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["reinforce", "evolution"])
def test_a_space_that_changes_from_trial_to_trial(sampler, tmp_path) -> None:
    """A different set of params each trial, and int ranges that move, work; categorical
    choices that change are refused by Optuna in one clear error."""

    def changing(trial: optuna.Trial) -> float:
        n = trial.number
        widths = [trial.suggest_int(f"layer_{i}/width", 1, 8 + n % 3) for i in range(n % 4 + 1)]
        op = trial.suggest_categorical(f"op_{n % 5}", ["conv", "pool", "skip"])
        return sum(widths) + (op == "conv") + trial.suggest_float("lr", 1e-4, 1.0, log=True)

    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = optuna.create_study(storage=url, direction="maximize", sampler=get_sampler(sampler, 0))
    study.optimize(changing, n_trials=25)
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.COMPLETE] * 25
    assert len({frozenset(t.params) for t in study.trials}) > 1

    def moving_choices(trial: optuna.Trial) -> float:
        return float(
            trial.suggest_categorical("op", ["a", "b", "c"][: 2 + trial.number % 2]) == "a"
        )

    with pytest.raises(ValueError, match="dynamic value space"):
        study.optimize(moving_choices, n_trials=2)


@pytest.mark.parametrize(
    "url, words",
    [
        ("redis://127.0.0.1:1", ["cannot open storage", "refused"]),
        ("journal:/nonexistent-optunas/f.log", ["cannot open storage", "No such file"]),
        ("sqlite:////nonexistent-optunas/f.db", ["cannot open storage", "no file"]),
        ("postgresql:/127.0.0.1/test", ["malformed storage URL"]),
    ],
)
def test_a_storage_that_is_not_there_is_one_line(url, words) -> None:
    _one_line_error(optunas("worker", "--study-name", "s", "--storage", url), *words)


@pytest.mark.parametrize(
    "key, value",
    [("space", "darts"), ("dataset", "imagenet"), ("sampler", "bohb")],
)
def test_a_study_configured_by_another_install_is_one_line(key, value, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    from optunas.cli import main

    assert (
        main(["create-study", "--study-name", "s", "--storage", url, "--evaluator", "tabular"]) == 0
    )
    study = optuna.load_study(study_name="s", storage=url)
    study.set_user_attr("optunas:config", {**study.user_attrs["optunas:config"], key: value})
    result = optunas("worker", "--study-name", "s", "--storage", url, "--n-trials", "1")
    _one_line_error(result, f"--{key} is {value!r}", "this install of optunas lacks")
    assert optuna.load_study(study_name="s", storage=url).trials == []


@pytest.mark.parametrize("name", ["../../escape", "/tmp/escape", "..", "a/../../b"])
def test_a_study_name_never_leads_a_file_out_of_its_folder(name, tmp_path) -> None:
    """The study name becomes the default supernet checkpoint's file name: it stays a plain
    name in the folder beside the storage, whatever the name holds."""
    from optunas.cli._study import _default_checkpoint

    args = argparse.Namespace(
        study_name=name, storage=f"sqlite:///{tmp_path / 'runs' / 'x.db'}", space=None, dataset=None
    )
    path = _default_checkpoint(args)
    folder = tmp_path / "runs" / "x-artifacts"
    assert os.path.dirname(os.path.abspath(path)) == str(folder)
    assert os.path.basename(path).startswith("supernet-") and path.endswith(".pt")


@pytest.mark.slow
@pytest.mark.parametrize(
    "recorded, reason",
    [
        ("{tmp}/notes.txt", "not an absolute path to a .pt file"),
        ("relative.pt", "not an absolute path to a .pt file"),
        ("{tmp}/link.pt", "a link or not a regular file"),
        ("{tmp}/no/such/folder/w.pt", "its folder does not exist here"),
    ],
)
def test_a_checkpoint_path_from_the_database_never_writes_elsewhere(
    recorded, reason, tmp_path
) -> None:
    """A worker joining a supernet study writes to the checkpoint the study records: a path
    read from the database, which must not make it write any other file of the machine."""
    from optunas.cli import main
    from optunas.evaluation._supernet import STUDY_ATTR_CHECKPOINT

    url = f"sqlite:///{tmp_path / 's.db'}"
    args = ["--study-name", "s", "--storage", url, "--evaluator", "supernet"]
    assert main(["create-study", *args]) == 0
    (tmp_path / "notes.txt").write_text("keep me")
    os.symlink(tmp_path / "notes.txt", tmp_path / "link.pt")
    path = recorded.format(tmp=tmp_path)
    optuna.load_study(study_name="s", storage=url).set_user_attr(STUDY_ATTR_CHECKPOINT, path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = optunas("worker", "--study-name", "s", "--storage", url, "--n-trials", "1")
    _one_line_error(result, repr(path), reason)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert optuna.load_study(study_name="s", storage=url).trials == []


@pytest.mark.slow
def test_a_worker_without_the_study_s_checkpoint_says_so_in_one_line(tmp_path) -> None:
    """A worker on another machine finds the study's recorded checkpoint missing at its
    path, or finds other weights there: it stops in one line before it trains a copy of its
    own; with the shared file at the path it joins."""
    from optunas.evaluation import save_checkpoint

    url = f"sqlite:///{tmp_path / 's.db'}"
    checkpoint = tmp_path / "shared" / "supernet.pt"
    checkpoint.parent.mkdir()
    study = ["--study-name", "s", "--storage", url, "--no-progress"]
    common = [*study, "--evaluator", "supernet", "--checkpoint", str(checkpoint)]
    first = optunas("run", *common, "--epochs", "1", "--n-trials", "1", "--no-draw")
    assert first.returncode == 0, first.stderr
    shared = checkpoint.read_bytes()

    checkpoint.unlink()
    missing = optunas("worker", *study, "--n-trials", "1")
    _one_line_error(missing, f"checkpoint {checkpoint} (SHA-256", "which is missing here")
    assert sorted(p.name for p in checkpoint.parent.iterdir()) == ["supernet.pt.lock"]

    payload = torch.load(io.BytesIO(shared), weights_only=True)
    payload["model"] = {k: v * 2 for k, v in payload["model"].items()}
    save_checkpoint(checkpoint, payload)
    other = optunas("worker", *study, "--n-trials", "1")
    _one_line_error(other, "not this one (SHA-256", "a folder all of them mount")
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 1

    checkpoint.write_bytes(shared)
    joined = optunas("worker", *study, "--n-trials", "1")
    assert joined.returncode == 0, joined.stderr
    assert checkpoint.read_bytes() == shared  # scored with the shared weights, not retrained
    assert len(optuna.load_study(study_name="s", storage=url).trials) == 2
