"""EvolutionSampler: Optuna's generic sampler tests, its operators, two objectives."""

from __future__ import annotations

import optuna
import pytest
from optuna.testing.pytest_samplers import BasicSamplerTestCase, MultiObjectiveSamplerTestCase

from optunas.samplers import EvolutionSampler, get_sampler
from optunas.samplers._evolution import _crowding, _mutate, _pareto_ranks


class TestEvolutionBasic(BasicSamplerTestCase):
    @pytest.fixture
    def sampler(self):
        return lambda: EvolutionSampler(population_size=4, tournament_size=2, seed=0)


class TestEvolutionMultiObjective(MultiObjectiveSamplerTestCase):
    @pytest.fixture
    def sampler(self):
        return lambda: EvolutionSampler(population_size=4, tournament_size=2, seed=0)


def _cells(trial: optuna.Trial) -> float:
    ops = [trial.suggest_categorical(f"cell/edge_{e}", ["a", "b", "c", "d", "e"]) for e in range(6)]
    return ops.count("a") + 0.5 * ops.count("b")


@pytest.mark.parametrize("crossover", ["uniform", "one_point"])
def test_it_improves_and_children_differ_from_parents_by_little(crossover) -> None:
    sampler = EvolutionSampler(population_size=20, tournament_size=5, crossover=crossover,
                               crossover_prob=0.0, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_cells, n_trials=200)
    values = [t.value for t in study.trials]
    assert sum(values[-50:]) / 50 > sum(values[:20]) / 20 + 1.0
    # Without crossover, each child is its parent with one choice changed (plus retries).
    params = [t.params for t in study.trials]
    one_away = sum(
        1 for child in params[20:]
        if min(sum(child[k] != p[k] for k in child) for p in params[:params.index(child)]) == 1
    )
    assert one_away > 0.8 * len(params[20:])


def test_crossover_combines_parents() -> None:
    sampler = EvolutionSampler(population_size=10, tournament_size=3, crossover_prob=1.0,
                               mutation_prob=0.0, seed=1)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_cells, n_trials=40)
    assert max(t.value for t in study.trials[10:]) >= max(t.value for t in study.trials[:10])


def test_mutation_respects_distributions() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    dists = [optuna.distributions.IntDistribution(1, 6), optuna.distributions.IntDistribution(16, 64, step=16),
             optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
             optuna.distributions.FloatDistribution(0.0, 0.5, step=0.1),
             optuna.distributions.CategoricalDistribution(["relu", "gelu", "tanh"])]
    starts = [3, 32, 1e-2, 0.2, "gelu"]
    for dist, start in zip(dists, starts):
        for _ in range(50):
            value = _mutate(start, dist, rng)
            assert value != start and dist._contains(dist.to_internal_repr(value))


def test_pareto_rank_and_crowding() -> None:
    import numpy as np

    losses = np.array([[0, 3], [1, 1], [3, 0], [2, 2], [3, 3]], dtype=float)
    assert _pareto_ranks(losses).tolist() == [0, 0, 0, 1, 2]
    crowd = _crowding(losses[:3])
    assert crowd[0] == crowd[2] == float("inf") and crowd[1] > 0


def test_two_objectives_move_the_front() -> None:
    sampler = EvolutionSampler(population_size=20, tournament_size=5, seed=0)
    study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)

    def objective(trial):
        value = _cells(trial)
        size = sum(trial.params[f"cell/edge_{e}"] in ("a", "c") for e in range(6))
        return value, size

    study.optimize(objective, n_trials=150)
    assert len(study.best_trials) >= 2


def test_conditional_space_and_restart(tmp_path) -> None:
    def objective(trial):
        n = trial.suggest_int("num_layers", 1, 5)
        return sum(trial.suggest_categorical(f"layer_{i}/op", ["conv", "pool"]) == "conv" for i in range(n)) \
            + trial.suggest_float("lr", 1e-4, 1e-1, log=True)

    url = f"sqlite:///{tmp_path / 'e.db'}"
    study = optuna.create_study(storage=url, study_name="e", direction="maximize",
                                sampler=EvolutionSampler(population_size=10, tournament_size=3, seed=0))
    study.optimize(objective, n_trials=30)
    resumed = optuna.load_study(study_name="e", storage=url,
                                sampler=EvolutionSampler(population_size=10, tournament_size=3, seed=0))
    resumed.optimize(objective, n_trials=30, n_jobs=2)
    assert len(resumed.trials) == 60
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in resumed.trials)
    assert resumed.best_value > 3


def test_selectable_by_name_and_bad_arguments() -> None:
    assert isinstance(get_sampler("evolution", seed=0), EvolutionSampler)
    with pytest.raises(ValueError):
        EvolutionSampler(population_size=5, tournament_size=6)
    with pytest.raises(ValueError):
        EvolutionSampler(crossover="two_point")
