from __future__ import annotations

import math
import warnings

import optuna
import pytest

from optunas import TrainObjective
from optunas.spaces import NB201, Chain, NB201Genotype

CONV_CELL = NB201Genotype(("nor_conv_3x3",) * 6)


def _enqueue(study: optuna.Study, space, genotype) -> None:
    study.enqueue_trial(space.params(genotype))


@pytest.mark.slow
def test_short_training_beats_chance_by_far_and_records_everything() -> None:
    space = NB201(channels=8)
    objective = TrainObjective(space, "mnist1d", epochs=3)
    study = optuna.create_study(direction="maximize")
    _enqueue(study, space, CONV_CELL)
    study.optimize(objective, n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert trial.value > 0.6  # ten classes: chance is 0.1
    assert sorted(trial.intermediate_values) == [0, 1, 2]
    assert trial.intermediate_values[2] == trial.value
    attrs = trial.user_attrs
    assert attrs["genotype"] == str(CONV_CELL)
    assert NB201Genotype.from_json(attrs["genotype_json"]) == CONV_CELL
    assert attrs["n_parameters"] > 1000 and attrs["flops"] > attrs["n_parameters"]
    assert attrs["train_seconds"] > 0 and attrs["latency_ms"] > 0
    assert space.genotype(study.best_params) == CONV_CELL


@pytest.mark.slow
def test_same_seed_same_result(small_mnist1d) -> None:
    values = []
    for _ in range(2):
        study = optuna.create_study(direction="maximize")
        _enqueue(study, NB201(channels=4), CONV_CELL)
        study.optimize(
            TrainObjective(NB201(channels=4), small_mnist1d, epochs=2, seed=7), n_trials=1
        )
        values.append(study.trials[0].intermediate_values)
    assert values[0] == values[1]


@pytest.mark.slow
def test_pruner_stops_training_after_the_reported_epoch(small_mnist1d) -> None:
    # ThresholdPruner(lower=2) prunes any accuracy, so the first report must stop the trial.
    study = optuna.create_study(
        direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=2.0)
    )
    study.optimize(TrainObjective(Chain(max_layers=2), small_mnist1d, epochs=5), n_trials=2)
    for trial in study.trials:
        assert trial.state == optuna.trial.TrialState.PRUNED
        assert list(trial.intermediate_values) == [0]
        assert "train_seconds" in trial.user_attrs


@pytest.mark.slow
def test_nan_loss_fails_the_trial_with_a_reason_and_the_study_goes_on(small_mnist1d) -> None:
    objective = TrainObjective(NB201(channels=4), small_mnist1d, epochs=2, optimizer="sgd", lr=1e12)
    study = optuna.create_study(direction="maximize")
    study.optimize(objective, n_trials=2)  # does not raise
    assert [t.state for t in study.trials] == [optuna.trial.TrialState.FAIL] * 2
    for trial in study.trials:
        assert "loss became" in trial.user_attrs["fail_reason"]


@pytest.mark.slow
def test_two_objectives_return_accuracy_and_params(small_mnist1d) -> None:
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.optimize(TrainObjective(Chain(max_layers=2), small_mnist1d, epochs=1), n_trials=2)
    for trial in study.trials:
        accuracy, params = trial.values
        assert 0 <= accuracy <= 1 and params == trial.user_attrs["n_parameters"]
        assert trial.user_attrs["accuracy_curve"] == [round(accuracy, 4)]


@pytest.mark.slow
def test_objectives_must_match_the_study(small_mnist1d) -> None:
    objective = TrainObjective(NB201(channels=4), small_mnist1d, epochs=1)
    with pytest.raises(ValueError, match="maximized"):
        optuna.create_study(direction="minimize").optimize(objective, n_trials=1)
    flops = TrainObjective(
        NB201(channels=4), small_mnist1d, epochs=1, objectives=["accuracy", "flops"]
    )
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.optimize(flops, n_trials=1)
    assert study.trials[0].values[1] == study.trials[0].user_attrs["flops"]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 0}, "batch_size"),
        ({"lr": -1.0}, "lr"),
        ({"optimizer": "lamb"}, "adamw, adam, sgd"),
        ({"schedule": "step"}, "onecycle"),
        ({"objectives": ["loss"]}, "accuracy, params, flops"),
    ],
)
def test_bad_settings_are_refused(small_mnist1d, kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        TrainObjective(NB201(), small_mnist1d, **kwargs)


def test_names_resolve_to_space_and_dataset() -> None:
    objective = TrainObjective("chain", "mnist1d", epochs=1)
    assert isinstance(objective.space, Chain)
    assert objective.dataset.input_shape == (1, 40)
    value = objective(optuna.trial.FixedTrial({"chain/num_layers": 1, "layer_1/op": "identity"}))
    assert 0.0 <= value <= 1.0 and not math.isnan(value)


def _tabular_warnings(**study_kwargs) -> list:
    from optunas.benchmarks import TabularObjective

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0), **study_kwargs
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(TabularObjective(), n_trials=20)
    return [w for w in caught if "default MedianPruner" in str(w.message)]


def test_the_tabular_objective_warns_once_under_the_default_pruner() -> None:
    # Optuna's default MedianPruner stops most of the table's curves after a few epochs.
    assert len(_tabular_warnings()) == 1
    assert len(_tabular_warnings(pruner=optuna.pruners.MedianPruner())) == 1  # the same pruner
    assert not _tabular_warnings(pruner=optuna.pruners.NopPruner())
    assert not _tabular_warnings(pruner=optuna.pruners.MedianPruner(n_warmup_steps=2))  # chosen


_WITHOUT_FCNTL = """
import os, sys, warnings
sys.modules["fcntl"] = None  # as on Windows: `import fcntl` raises ImportError
warnings.simplefilter("ignore")  # filelock says it falls back to a lock file of its own
from optunas.evaluation import TrainObjective, load_checkpoint, save_checkpoint
from optunas import TrainObjective as Public
assert Public is TrainObjective and sys.modules["fcntl"] is None
path = os.path.join(sys.argv[1], "w.pt")
save_checkpoint(path, {"step": 1})  # the checkpoint's lock works without fcntl as well
print(load_checkpoint(path)["step"])
"""


def test_the_evaluators_import_where_there_is_no_fcntl(tmp_path) -> None:
    """fcntl exists on POSIX only: importing optunas.evaluation must not need it."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_FCNTL, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
