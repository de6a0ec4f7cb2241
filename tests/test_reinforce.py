"""ReinforceSampler: Optuna's generic sampler tests, determinism, learning, many workers."""

from __future__ import annotations

import optuna
import pytest
from optuna.testing.pytest_samplers import BasicSamplerTestCase, SingleOnlySamplerTestCase

from optunas.samplers import ReinforceSampler, get_sampler


class TestReinforceBasic(BasicSamplerTestCase):
    @pytest.fixture
    def sampler(self):
        return lambda: ReinforceSampler(seed=0)


class TestReinforceSingleOnly(SingleOnlySamplerTestCase):
    @pytest.fixture
    def sampler(self):
        return lambda: ReinforceSampler(seed=0)


def _cells(trial: optuna.Trial) -> float:
    ops = [trial.suggest_categorical(f"cell/edge_{e}", ["a", "b", "c", "d", "e"]) for e in range(6)]
    return ops.count("a") + 0.5 * ops.count("b")


def test_it_learns() -> None:
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=1))
    study.optimize(_cells, n_trials=200)
    values = [t.value for t in study.trials]
    assert sum(values[-50:]) / 50 > sum(values[:50]) / 50 + 1.0


def test_minimize_is_handled_by_the_sign_of_the_reward() -> None:
    study = optuna.create_study(direction="minimize", sampler=ReinforceSampler(seed=1))
    study.optimize(_cells, n_trials=200)
    values = [t.value for t in study.trials]
    assert sum(values[-50:]) / 50 < sum(values[:50]) / 50 - 0.5


def _next_cell(sampler: ReinforceSampler, study: optuna.Study, trial) -> list[str]:
    dist = optuna.distributions.CategoricalDistribution(["a", "b", "c", "d", "e"])
    return [sampler.sample_independent(study, trial, f"cell/edge_{e}", dist) for e in range(6)]


def test_same_seed_and_history_give_the_same_next_architecture(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    study = optuna.create_study(storage=url, study_name="h", direction="maximize",
                                sampler=ReinforceSampler(seed=3))
    study.optimize(_cells, n_trials=60)
    trial = study._storage.get_trial(study._storage.create_new_trial(study._study_id))
    # The sampler that learnt trial by trial, and two fresh ones (two new processes).
    cells = [_next_cell(study.sampler, study, trial)]
    for _ in range(2):
        fresh = optuna.load_study(study_name="h", storage=url, sampler=ReinforceSampler(seed=3))
        cells.append(_next_cell(fresh.sampler, fresh, trial))
    assert cells[0] == cells[1] == cells[2]
    other = optuna.load_study(study_name="h", storage=url, sampler=ReinforceSampler(seed=4))
    samples = [_next_cell(other.sampler, other, trial)]
    # The history matters: a controller trained on nothing samples differently.
    blank = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=3))
    blank_trial = blank._storage.get_trial(blank._storage.create_new_trial(blank._study_id))
    object.__setattr__(blank_trial, "number", trial.number)
    samples.append(_next_cell(blank.sampler, blank, blank_trial))
    assert any(s != cells[0] for s in samples)


def test_conditional_spaces_and_fallback_params() -> None:
    def objective(trial: optuna.Trial) -> float:
        n = trial.suggest_int("num_layers", 1, 4)
        score = 0.0
        for i in range(n):
            if trial.suggest_categorical(f"layer_{i}/op", ["conv", "pool"]) == "conv":
                score += trial.suggest_int(f"layer_{i}/width", 16, 64, step=16) / 64
        return score + trial.suggest_float("lr", 1e-4, 1e-1, log=True)

    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
    study.optimize(objective, n_trials=60)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)
    assert {t.params["num_layers"] for t in study.trials} >= {1, 2, 3, 4}


def test_threads_and_hyperband_brackets() -> None:
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0),
                                pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=9))

    def objective(trial: optuna.Trial) -> float:
        value = _cells(trial)
        for step in range(9):
            trial.report(value * (step + 1) / 9, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    study.optimize(objective, n_trials=40, n_jobs=2)
    assert len(study.trials) == 40
    assert all(t.state.is_finished() for t in study.trials)


def test_selectable_by_name() -> None:
    assert isinstance(get_sampler("reinforce", seed=0), ReinforceSampler)
    with pytest.raises(ValueError):
        ReinforceSampler(baseline_decay=1.0)
