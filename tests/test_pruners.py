"""LearningCurvePruner and PredictorPruner on curves whose answer is known, and in studies."""

from __future__ import annotations

import functools
import math
import os
import subprocess
import sys
import warnings

import numpy as np
import optuna
import pytest
from conftest import service_url
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from optunas._storage import open_storage
from optunas.pruners import LearningCurvePruner, PredictorPruner, get_pruner
from optunas.pruners._predictor import _choice_features, _choice_layout, _run_chain

STEPS = 20


def _rising(ceiling: float, rate: float = 0.8):
    return [ceiling * (1 - rate ** (s + 1)) for s in range(STEPS)]


def _study_with_finished(direction: str, pruner, finals=(0.80, 0.85, 0.90, 0.82, 0.88, 0.86)):
    """A study whose completed trials rose to ``finals`` (negated when minimising)."""
    sign = 1.0 if direction == "maximize" else -1.0
    study = optuna.create_study(direction=direction, pruner=pruner)
    for final in finals:
        curve = _rising(final)
        study.add_trial(
            optuna.create_trial(
                value=sign * curve[-1],
                intermediate_values={s: sign * v for s, v in enumerate(curve)},
                params={},
                distributions={},
            )
        )
    return study, sign


def _decide(study, sign, curve) -> list[bool]:
    """Report ``curve`` step by step into a new trial; the pruner's answer at each step."""
    trial = study.ask()
    answers = []
    for step, value in enumerate(curve):
        trial.report(sign * value, step)
        answers.append(trial.should_prune())
    study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return answers


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
@pytest.mark.parametrize(
    "make",
    [
        LearningCurvePruner,
        lambda: PredictorPruner(n_min_trials=5),
        lambda: PredictorPruner(n_min_trials=5, model="chain"),
    ],
)
def test_a_curve_that_levels_off_low_is_pruned_a_rising_one_kept(direction, make) -> None:
    study, sign = _study_with_finished(direction, make())
    low = [0.5 * (1 - 0.5 ** (s + 1)) for s in range(STEPS)]  # flat at 0.5 by step 5
    assert any(_decide(study, sign, low[:8])), "a curve levelling off at 0.5 should be pruned"
    high = _rising(0.95)  # on course to beat the best (0.90)
    assert not any(_decide(study, sign, high[:12])), "a curve heading for 0.95 must be kept"


def test_nan_values_are_ignored_unless_latest() -> None:
    study, sign = _study_with_finished("maximize", LearningCurvePruner())
    curve = _rising(0.95)[:10]
    curve[3] = math.nan
    answers = _decide(study, sign, curve)
    assert answers[3], "a trial whose latest value is NaN has diverged: prune it"
    assert not any(answers[4:]), "an earlier NaN is ignored"
    assert _decide(study, sign, _rising(0.95)[:5] + [math.inf])[-1]


def test_warmup_startup_and_multi_objective_rules() -> None:
    study, sign = _study_with_finished("maximize", LearningCurvePruner(n_warmup_steps=6))
    low = [0.3] * 8
    answers = _decide(study, sign, low)
    assert not any(answers[:6]) and answers[6]
    fresh = optuna.create_study(
        direction="maximize", pruner=LearningCurvePruner(n_startup_trials=5)
    )
    assert not any(_decide(fresh, 1.0, low))  # nothing completed yet: nothing to compare with
    with pytest.raises(ValueError):
        LearningCurvePruner(threshold=0.0)
    multi = optuna.create_study(directions=["maximize", "minimize"])
    trial = multi._storage.get_trial(multi._storage.create_new_trial(multi._study_id))
    with pytest.raises(ValueError):
        LearningCurvePruner().prune(multi, trial)


def _low_then(trial_steps: int, value: float = 0.3) -> list[float]:
    return [value] * trial_steps


@pytest.mark.parametrize(
    "make",
    [LearningCurvePruner, lambda **kw: PredictorPruner(n_min_trials=5, **kw)],
    ids=["curve", "predictor"],
)
def test_percentile_aims_at_a_percentile_of_the_finals_not_the_best(make) -> None:
    # Heading for 0.83: below the best final (0.90), above the 10th percentile (0.81).
    curve = _rising(0.83)[: STEPS - 2]
    study, sign = _study_with_finished("maximize", make())
    assert any(_decide(study, sign, curve))
    study, sign = _study_with_finished("maximize", make(percentile=10.0))
    assert not any(_decide(study, sign, curve))


def test_interval_steps_checks_every_so_many_steps_after_warmup() -> None:
    study, sign = _study_with_finished(
        "maximize", LearningCurvePruner(n_warmup_steps=2, interval_steps=3)
    )
    answers = _decide(study, sign, _low_then(12))
    assert answers == [(k - 2) % 3 == 0 and k >= 2 for k in range(12)]


def test_n_min_points_counts_finite_values_only() -> None:
    pruner = LearningCurvePruner(n_warmup_steps=0, n_min_points=6)
    study, sign = _study_with_finished("maximize", pruner)
    assert _decide(study, sign, _low_then(8)) == [False] * 5 + [True] * 3
    curve = _low_then(8)
    curve[2] = math.nan  # not the latest: ignored, and not counted
    assert _decide(study, sign, curve) == [False, False, True] + [False] * 3 + [True] * 2


def test_max_step_sets_the_step_whose_value_is_predicted() -> None:
    # The finished trials ended at step 19 near 0.9; this one rises slowly towards 1.0 and
    # is at 0.64 by step 19 but 0.99 by step 99.
    slow = [1.0 - 0.95 ** (s + 1) for s in range(12)]
    study, sign = _study_with_finished("maximize", LearningCurvePruner())
    assert any(_decide(study, sign, slow))
    study, sign = _study_with_finished("maximize", LearningCurvePruner(max_step=99))
    assert not any(_decide(study, sign, slow))
    # At or past the final step there is nothing left to save.
    study, sign = _study_with_finished("maximize", LearningCurvePruner(max_step=5))
    assert not any(_decide(study, sign, _low_then(10))[5:])


@pytest.mark.parametrize("points", ["3", "4-11"])
def test_curve_prediction_is_calibrated(points) -> None:
    from optunas.pruners._curves import predict, prob_at_least

    # P(final >= the true final) is uniform for an honest prediction: below 0.01 for one curve
    # in 100 (a pruner at threshold 0.01 would wrongly stop that many), and between 0.16 and
    # 0.84 for about 68%. Measured over seeds 1-3: at 3 points 0.0% below 0.01 and 68-72% in
    # the middle (a normal law weighted by BIC: 7-10% below 0.01); at 4-11 points 0.3-1.0%
    # and 54-58%.
    rng = np.random.default_rng(1)
    p = []
    for _ in range(300):
        ceiling, rate = rng.uniform(0.6, 0.95), rng.uniform(0.75, 0.95)
        curve = np.array(_rising(ceiling, rate)) + rng.normal(0, 0.005, STEPS)
        seen = 3 if points == "3" else int(rng.integers(4, 12))
        means, scales, weights, dof = predict(np.arange(seen), curve[:seen], STEPS - 1)
        assert dof == seen - 2
        p.append(prob_at_least(means, scales, weights, curve[-1], dof))
    p = np.array(p)
    assert np.mean(p < 0.01) <= 0.02
    assert 0.5 <= np.mean((p > 0.16) & (p < 0.84)) <= 0.85  # and not uselessly wide


@pytest.mark.slow
@pytest.mark.parametrize("name", ["curve", "predictor"])
def test_real_study_saves_epochs_and_keeps_the_best(name, tmp_path) -> None:
    def objective(trial):
        ceiling = trial.suggest_float("ceiling", 0.5, 0.95)
        rate = trial.suggest_float("rate", 0.7, 0.9)
        for step, value in enumerate(_rising(ceiling, rate)):
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return _rising(ceiling, rate)[-1]

    url = f"sqlite:///{tmp_path / 'p.db'}"
    pruned = optuna.create_study(
        storage=url,
        direction="maximize",
        pruner=get_pruner(name),
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    pruned.optimize(objective, n_trials=60)
    full = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0))
    full.optimize(objective, n_trials=60)
    epochs = sum(len(t.intermediate_values) for t in pruned.trials)
    # Noise-free curves: the defaults spend 43% (curve) and 47% (predictor) of the epochs.
    assert epochs < 0.55 * 60 * STEPS
    assert pruned.best_value >= full.best_value - 0.01


def _curve_that_parts(trial, ceiling: float, first_step: int = 0) -> float:
    """Report a curve that rises like every other for five steps and only then jumps to
    ``ceiling``: the early curve cannot tell trials apart. Steps count from ``first_step``."""
    curve = [0.3 + 0.02 * s for s in range(5)] + [ceiling] * 5
    for step, value in enumerate(curve, start=first_step):
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return curve[-1]


def _cell_objective(trial, first_step: int = 0) -> float:
    """A 'good' or 'bad' cell: the choice tells how it ends."""
    cell = trial.suggest_categorical("cell", ["good", "bad"])
    quality = trial.suggest_float("quality", 0.0, 1.0)
    return _curve_that_parts(trial, (0.85 if cell == "good" else 0.55) + 0.1 * quality, first_step)


def _sized_objective(trial, size_attr: str = "n_parameters") -> float:
    """A big or small network: the size (the user attr ``n_parameters``, or ``params`` as
    older studies named it) tells how it ends."""
    big = trial.suggest_categorical("big", [True, False])  # unseen: use_choices is off
    trial.set_user_attr(size_attr, 10**6 if big else 10**3)
    return _curve_that_parts(trial, 0.9 if big else 0.6)


def _late_poor_trials(pruner, objective, poor) -> tuple[optuna.Study, list, list]:
    """60 random-search trials: the study, the poor ones after the 20th, and those of them
    stopped before their curves part."""
    study = optuna.create_study(
        direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    study.optimize(objective, n_trials=60)
    late_poor = [t for t in study.trials[20:] if poor(t.params)]
    return study, late_poor, [t for t in late_poor if len(t.intermediate_values) < 5]


@pytest.mark.parametrize("first_step", [0, 1])
@pytest.mark.parametrize("model", ["direct", "chain"])
@pytest.mark.parametrize("use_choices", [True, False])
def test_choices_let_the_predictor_stop_what_the_curve_cannot_tell(
    use_choices, model, first_step
) -> None:
    # Epochs counted from 1 as well as from 0: the regression lines curves up by step.
    pruner = PredictorPruner(use_choices=use_choices, n_min_trials=5, n_warmup_steps=0, model=model)
    study, late_bad, stopped_early = _late_poor_trials(
        pruner, lambda t: _cell_objective(t, first_step), lambda p: p["cell"] == "bad"
    )
    if use_choices:
        assert len(late_bad) >= 10 and len(stopped_early) == len(late_bad)
        full = optuna.create_study(
            direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0)
        )
        full.optimize(_cell_objective, n_trials=60)
        assert study.best_value == full.best_value
    else:  # the control: identical early curves give the regression nothing to go on
        assert not stopped_early


class _CountingFallback(LearningCurvePruner):
    """PredictorPruner's fallback, counting the decisions handed to it."""

    def __init__(self) -> None:
        super().__init__(n_warmup_steps=2)
        self.decisions = 0

    def prune(self, study, trial) -> bool:
        self.decisions += 1
        return super().prune(study, trial)


def _fallbacks(model: str, first_step: int, stride: int) -> tuple[int, list]:
    """Decisions a 60-trial study left to the fallback when it reports its 20 values at steps
    ``first_step``, ``first_step + stride``, ...; and the fallback warnings it raised."""

    def objective(trial):
        curve = _rising(
            trial.suggest_float("ceiling", 0.5, 0.95), trial.suggest_float("rate", 0.7, 0.9)
        )
        for k, value in enumerate(curve):
            trial.report(value, first_step + stride * k)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return curve[-1]

    pruner = PredictorPruner(n_min_trials=5, model=model)
    pruner._fallback = _CountingFallback()
    study = optuna.create_study(
        direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study.optimize(objective, n_trials=60)
    return pruner._fallback.decisions, [w for w in caught if "falls back" in str(w.message)]


@pytest.mark.parametrize("first_step,stride", [(1, 1), (0, 2), (5, 3)])
@pytest.mark.parametrize("model", ["direct", "chain"])
def test_the_predictor_lines_curves_up_on_the_steps_reported(model, first_step, stride) -> None:
    # Measured: steps 0..19 leave 86 decisions to the fallback (the first trials, before five
    # have completed); the other numberings 91-96. Lined up on steps 0..k only, they left it
    # every decision (417-486).
    baseline, _ = _fallbacks(model, 0, 1)
    fallbacks, warned = _fallbacks(model, first_step, stride)
    assert fallbacks <= baseline + 20 and not warned


def test_the_predictor_warns_once_when_curves_do_not_line_up() -> None:
    # The finished trials reported even steps; a trial reporting odd ones has no curve to be
    # compared with: LearningCurvePruner decides, and the user is told once.
    predictor = PredictorPruner(n_min_trials=5, threshold=0.01)
    curves = {}
    for name, pruner in (("predictor", predictor), ("curve", LearningCurvePruner(threshold=0.01))):
        study = optuna.create_study(direction="maximize", pruner=pruner)
        for final in (0.80, 0.85, 0.90, 0.82, 0.88, 0.86):
            study.add_trial(
                optuna.create_trial(
                    value=_rising(final)[-1],
                    params={},
                    distributions={},
                    intermediate_values={2 * s: v for s, v in enumerate(_rising(final))},
                )
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            answers = []
            for _ in range(2):
                trial = study.ask()
                for k, value in enumerate([0.5 * (1 - 0.5 ** (s + 1)) for s in range(8)]):
                    trial.report(value, 2 * k + 1)
                    answers.append(trial.should_prune())
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
        curves[name] = (answers, [w for w in caught if "falls back" in str(w.message)])
    assert curves["predictor"][0] == curves["curve"][0] and any(curves["curve"][0])
    assert len(curves["predictor"][1]) == 1 and "(steps 1, 3)" in str(
        curves["predictor"][1][0].message
    )
    assert not curves["curve"][1]


@pytest.mark.parametrize(
    ("model", "size_attr"),
    [("direct", "n_parameters"), ("chain", "n_parameters"), ("direct", "params")],
)
@pytest.mark.parametrize("use_params", [True, False])
def test_the_size_lets_the_predictor_stop_what_the_curve_cannot_tell(
    use_params, model, size_attr
) -> None:
    pruner = PredictorPruner(use_params=use_params, n_min_trials=5, n_warmup_steps=0, model=model)
    study, late_small, stopped_early = _late_poor_trials(
        pruner, functools.partial(_sized_objective, size_attr=size_attr), lambda p: not p["big"]
    )
    assert len(late_small) >= 10
    assert len(stopped_early) == (len(late_small) if use_params else 0)
    assert study.best_value == 0.9


def test_choices_are_encoded_one_hot_scaled_and_zero_when_not_sampled() -> None:
    dists = {
        "op": CategoricalDistribution(["a", "b", "c"]),
        "width": IntDistribution(1, 64, log=True),
        "rate": FloatDistribution(0.0, 0.5),
    }
    full = optuna.create_trial(
        params={"op": "b", "width": 8, "rate": 0.1}, distributions=dists, value=0.0
    )
    branch = optuna.create_trial(params={"op": "c"}, distributions={"op": dists["op"]}, value=0.0)
    layout = _choice_layout([branch, full])
    assert list(layout) == ["op", "rate", "width"]
    assert _choice_features(full, layout) == pytest.approx([0, 1, 0, 0.2, 0.5])
    assert _choice_features(branch, layout) == [0, 0, 1, 0, 0]
    with pytest.raises(ValueError):
        PredictorPruner(choice_ridge=0.0)
    with pytest.raises(ValueError, match="model"):
        PredictorPruner(model="lstm")
    with pytest.raises(ValueError, match="lags"):
        PredictorPruner(model="chain", lags=0)


def test_the_chain_runs_its_links_on_and_adds_up_their_errors() -> None:
    # Each step adds 0.1 to the one before it (one lag, an extra feature worth 0.05), with a
    # leave-one-out variance of 0.01: from 0.5 at step 0 the final at step 3 is 0.5 + 3 * 0.15,
    # and each of the three later steps passes its error on whole.
    links = {step: (np.array([0.1, 1.0, 0.05]), 0.01) for step in range(1, 4)}
    mean, sd = _run_chain(links, np.array([0.5]), np.array([1.0]), lags=1)
    assert mean == pytest.approx(0.95) and sd == pytest.approx(math.sqrt(0.03))
    # Halving at each step: the step-1 error reaches the final a quarter as large (in variance,
    # 1/16), the step-2 error a quarter (1/4), the step-3 error whole.
    links = {step: (np.array([0.0, 0.5, 0.0]), 0.01) for step in range(1, 4)}
    mean, sd = _run_chain(links, np.array([0.8]), np.array([1.0]), lags=1)
    assert mean == pytest.approx(0.1) and sd**2 == pytest.approx(0.01 * (1 / 16 + 1 / 4 + 1))


@pytest.mark.parametrize("model", ["direct", "chain"])
@pytest.mark.parametrize("use_choices", [False, True])
def test_a_predictor_decision_with_200_finished_50_step_curves(use_choices, model) -> None:
    # Its time: studies/pruner_timing.py (about 3 ms; the chain's first decision 11-24 ms).
    rng = np.random.default_rng(0)
    ops = ["a", "b", "c", "d", "e"]
    dists = {f"edge{i}": CategoricalDistribution(ops) for i in range(6)}
    study = optuna.create_study(
        direction="maximize", pruner=PredictorPruner(use_choices=use_choices, model=model)
    )
    for _ in range(200):
        curve = (0.5 + 0.4 * rng.random()) * (1 - 0.9 ** np.arange(1, 51)) + rng.normal(
            0, 0.005, 50
        )
        study.add_trial(
            optuna.create_trial(
                value=float(curve[-1]),
                intermediate_values={s: float(v) for s, v in enumerate(curve)},
                params={name: ops[rng.integers(5)] for name in dists},
                distributions=dists,
            )
        )
    trial = study.ask(dists)
    for step in range(30):
        trial.report(0.3 + 0.01 * step, step)
    frozen = study._storage.get_trial(trial._trial_id)
    assert study.pruner.prune(study, frozen)  # far below the finished curves: pruned
    assert study.pruner.prune(study, frozen)  # the chain's cached links say the same
    trial.report(0.3 + 0.01 * 30, 30)
    assert study.pruner.prune(study, study._storage.get_trial(trial._trial_id))


@pytest.mark.slow
@pytest.mark.parametrize(
    "pruner",
    [
        LearningCurvePruner(),
        PredictorPruner(use_choices=True, n_min_trials=5),
        PredictorPruner(use_choices=True, n_min_trials=5, model="chain"),
    ],
    ids=["curve", "predictor-choices", "predictor-chain"],
)
def test_pruners_work_on_every_storage_minimising_with_tpe(pruner, storage_url, study_name) -> None:
    """The loss of :func:`_cell_objective`'s cells, minimised by TPE, through each storage:
    the pruners read everything back from the storage they are given."""

    def loss(trial) -> float:
        cell = trial.suggest_categorical("cell", ["good", "bad"])
        ceiling = trial.suggest_float("ceiling", 0.5, 0.95) if cell == "good" else 0.5
        curve = _rising(ceiling)
        for step, value in enumerate(curve):
            trial.report(1.0 - value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return 1.0 - curve[-1]

    study = optuna.create_study(
        storage=open_storage(storage_url),
        study_name=study_name,
        direction="minimize",
        pruner=pruner,
        sampler=optuna.samplers.TPESampler(seed=0, n_startup_trials=10),
    )
    study.optimize(loss, n_trials=40)
    trials = optuna.load_study(study_name=study_name, storage=open_storage(storage_url)).trials
    states = [t.state for t in trials]
    assert len(trials) == 40 and optuna.trial.TrialState.FAIL not in states
    assert states.count(optuna.trial.TrialState.PRUNED) >= 5
    for t in trials:  # nothing lost: every reported step is stored, a finished trial ran them all
        assert sorted(t.intermediate_values) == list(range(len(t.intermediate_values)))
        if t.state == optuna.trial.TrialState.COMPLETE:
            assert len(t.intermediate_values) == STEPS
            assert t.value == pytest.approx(t.intermediate_values[STEPS - 1])
    assert study.best_value < 1.0 - 0.9 * (1 - 0.8**STEPS)  # a good cell with a high ceiling


PRUNING_WORKER = """
import sys, optuna
from optunas._storage import open_storage
from optunas.pruners import PredictorPruner
optuna.logging.set_verbosity(optuna.logging.ERROR)
url, name, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])

def objective(trial):
    ceiling = trial.suggest_float("ceiling", 0.5, 0.95)
    op = trial.suggest_categorical("op", ["conv", "skip"])
    curve = [ceiling * (1 - 0.8 ** (s + 1)) for s in range(20)]
    for step, value in enumerate(curve):
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return curve[-1]

study = optuna.load_study(study_name=name, storage=open_storage(url),
                          sampler=optuna.samplers.RandomSampler(seed=seed),
                          pruner=PredictorPruner(use_choices=True, n_min_trials=5))
study.optimize(objective, n_trials=30)
"""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["postgresql", "journal"])
def test_two_workers_prune_one_study_together(kind, tmp_path, study_name) -> None:
    """Each worker's pruner learns from the other's finished trials through the storage."""
    url = service_url("postgresql") if kind == "postgresql" else f"journal:{tmp_path / 'p.log'}"
    optuna.create_study(storage=open_storage(url), study_name=study_name, direction="maximize")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", PRUNING_WORKER, url, study_name, str(seed)],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for seed in (1, 2)
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    trials = optuna.load_study(study_name=study_name, storage=open_storage(url)).trials
    states = [t.state for t in trials]
    assert len(trials) == 60 and optuna.trial.TrialState.FAIL not in states
    assert states.count(optuna.trial.TrialState.PRUNED) >= 10
    epochs = sum(len(t.intermediate_values) for t in trials)
    assert epochs < 0.55 * 60 * STEPS
    best_possible = 0.95 * (1 - 0.8**STEPS)
    assert max(t.value for t in trials if t.value is not None) > best_possible - 0.03


PRUNERS_UNDER_TEST = {
    "curve": lambda: LearningCurvePruner(n_startup_trials=3),
    "predictor": lambda: PredictorPruner(n_min_trials=3),
    "predictor-chain": lambda: PredictorPruner(n_min_trials=3, model="chain"),
}


@pytest.mark.parametrize("make", PRUNERS_UNDER_TEST.values(), ids=PRUNERS_UNDER_TEST.keys())
def test_a_trial_in_progress_sees_the_trials_another_worker_finished_meanwhile(
    make, tmp_path
) -> None:
    # Optuna clears a study's cache of trials only in ask and tell: a pruner reading it would
    # judge a long trial against the study as it was when the trial started.
    url = f"sqlite:///{tmp_path / 'w.db'}"
    mine = optuna.create_study(storage=url, study_name="w", direction="maximize", pruner=make())
    other = optuna.load_study(study_name="w", storage=url)  # another worker's
    trial = mine.ask()
    low = [0.5 * (1 - 0.5 ** (s + 1)) for s in range(STEPS)]  # flat at 0.5 by step 5
    answers = []
    for step in range(6):
        trial.report(low[step], step)
        answers.append(trial.should_prune())
    assert not any(answers)  # nothing has completed: nothing to compare with
    for final in (0.80, 0.85, 0.90, 0.82, 0.88):
        curve = _rising(final)
        other.add_trial(
            optuna.create_trial(
                value=curve[-1],
                intermediate_values=dict(enumerate(curve)),
                params={},
                distributions={},
            )
        )
    answers = []
    for step in range(6, 12):
        trial.report(low[step], step)
        answers.append(trial.should_prune())
    assert any(answers), "five trials heading for 0.8-0.9 completed: a curve at 0.5 is pruned"


RETURNS = {
    # The objective reports accuracy as a fraction each epoch and returns something else.
    "percent": lambda curve: 100 * curve[-1],
    "last minus 0.5": lambda curve: curve[-1] - 0.5,
}


@pytest.mark.parametrize("returns", RETURNS.values(), ids=RETURNS.keys())
@pytest.mark.parametrize(
    "make",
    [
        LearningCurvePruner,
        lambda: PredictorPruner(n_min_trials=5),
        lambda: PredictorPruner(n_min_trials=5, model="chain"),
    ],
    ids=["curve", "predictor", "predictor-chain"],
)
def test_final_reports_are_compared_whatever_the_objective_returns(make, returns) -> None:
    # The pruners predict where a curve ends: compared with the values returned (a
    # percentage, or the last report less 0.5) a good trial was pruned, or a poor one kept.
    def objective(trial) -> float:
        curve = _rising(trial.suggest_float("ceiling", 0.5, 0.95))
        for step, accuracy in enumerate(curve):
            trial.report(accuracy, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return returns(curve)

    study = optuna.create_study(direction="maximize", pruner=make())
    ceilings = [0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.95, 0.50]  # each a new best, then a poor one
    for ceiling in ceilings:
        study.enqueue_trial({"ceiling": ceiling})
    study.optimize(objective, n_trials=len(ceilings))
    states = [t.state.name for t in study.trials]
    assert states == ["COMPLETE"] * 7 + ["PRUNED"]
