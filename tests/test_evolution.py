"""EvolutionSampler: Optuna's generic sampler tests, its operators, two objectives."""

from __future__ import annotations

import optuna
import pytest
from optuna.testing.pytest_samplers import (
    BasicSamplerTestCase,
    MultiObjectiveSamplerTestCase,
)

from optunas.samplers import EvolutionSampler, get_sampler
from optunas.samplers._evolution import _crowding, _History, _mutate, _pareto_ranks


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


@pytest.mark.slow
def test_it_improves_and_children_differ_from_parents_by_little() -> None:
    sampler = EvolutionSampler(population_size=20, tournament_size=5, crossover_prob=0.0, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_cells, n_trials=200)
    values = [t.value for t in study.trials]
    assert sum(values[-50:]) / 50 > sum(values[:20]) / 20 + 1.0
    # Without crossover, each child is its parent with one choice changed (plus retries).
    params = [t.params for t in study.trials]
    one_away = sum(
        1
        for child in params[20:]
        if min(sum(child[k] != p[k] for k in child) for p in params[: params.index(child)]) == 1
    )
    assert one_away > 0.8 * len(params[20:])


def _edges(trial: optuna.trial.FrozenTrial) -> tuple:
    return tuple(trial.params[f"cell/edge_{e}"] for e in range(6))


@pytest.mark.parametrize("crossover", ["uniform", "one_point"])
def test_crossover_combines_parents(crossover) -> None:
    # No mutation and no retries: every child is made of two members of its population, each
    # param from one of them; one-point crossover takes a head from one and the tail from the
    # other, uniform crossover mixes them param by param.
    population = 10
    sampler = EvolutionSampler(
        population_size=population,
        tournament_size=3,
        crossover_prob=1.0,
        crossover=crossover,
        mutation_prob=0.0,
        max_retries=0,
        seed=1,
    )
    study = optuna.create_study(direction="maximize", sampler=sampler)
    study.optimize(_cells, n_trials=60)
    one_point = []
    for k in range(population, 60):
        child, members = (
            _edges(study.trials[k]),
            [_edges(t) for t in study.trials[k - population : k]],
        )
        assert any(
            all(c in (x, y) for c, x, y in zip(child, a, b)) for a in members for b in members
        )
        one_point.append(
            any(child == a[:cut] + b[cut:] for a in members for b in members for cut in range(7))
        )
    if crossover == "one_point":
        assert all(one_point)
    else:
        assert not all(one_point)


def _choices_and_lr(trial: optuna.Trial) -> float:
    op = trial.suggest_categorical("op", ["a", "b", "c"])
    return {"a": 2.0, "b": 1.0, "c": 0.0}[op] + trial.suggest_float("lr", 1e-4, 1e-1, log=True)


def _finished(study: optuna.Study, op: str, lr: float) -> None:
    study.add_trial(
        optuna.create_trial(
            params={"op": op, "lr": lr},
            value=_choices_and_lr(optuna.trial.FixedTrial({"op": op, "lr": lr})),
            distributions={
                "op": optuna.distributions.CategoricalDistribution(["a", "b", "c"]),
                "lr": optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
            },
        )
    )


@pytest.mark.parametrize("seed", range(20))
def test_a_child_differing_only_in_a_float_is_a_repeat(seed) -> None:
    # "a" and "b" were tried; the one new architecture is "c". A child of "a" whose mutation
    # moved only the learning rate is still "a", and must be mutated again.
    study = optuna.create_study(
        direction="maximize",
        sampler=EvolutionSampler(population_size=2, tournament_size=2, seed=seed),
    )
    _finished(study, "a", 1e-2)
    _finished(study, "b", 1e-3)
    study.optimize(_choices_and_lr, n_trials=1)
    assert study.trials[-1].params["op"] == "c"


@pytest.mark.parametrize("seed", range(20))
def test_a_running_trial_counts_as_seen(seed) -> None:
    # Two finished "a"s: the next child is "b" or "c". While it runs, the child after it
    # must be the other one, not a second copy of the architecture being evaluated.
    sampler = EvolutionSampler(population_size=2, tournament_size=2, seed=seed)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    _finished(study, "a", 1e-2)
    _finished(study, "a", 1e-3)
    running = study.ask()
    _choices_and_lr(running)
    second = study.ask()
    _choices_and_lr(second)
    assert {running.params["op"], second.params["op"]} == {"b", "c"}


def test_the_history_read_once_matches_a_fresh_read() -> None:
    # The sampler reads each ended trial once and keeps it by number; after a study with
    # pruned, failed and out-of-order (ask/tell) trials, what it kept equals a fresh read.
    sampler = EvolutionSampler(population_size=5, tournament_size=2, seed=0)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    held = []
    for k in range(60):
        trial = study.ask()
        value = _cells(trial)
        if k % 7 == 3:
            held.append((trial, value))  # ends later, after trials numbered above it
        elif k % 11 == 5:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        elif k % 13 == 6:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)
        if len(held) == 3:
            for t, v in held:
                study.tell(t, v)
            held.clear()
    kept = sampler._history_of(study)
    fresh = _History(study._storage)
    fresh.update(study.trials)
    assert kept.first_seen == fresh.first_seen and kept.complete == fresh.complete
    assert [t.number for t in kept.population(60, 5)] == [t.number for t in fresh.population(60, 5)]
    assert len(set(kept.first_seen)) > 30  # repeats were found and skipped: 60 trials, few twins


_OPS6 = ["a", "b", "c", "d", "e", "f"]


def _uniform_member(study: optuna.Study, op: str, value: float) -> None:
    dists = {
        f"cell/edge_{e}": optuna.distributions.CategoricalDistribution(_OPS6) for e in range(6)
    }
    study.add_trial(
        optuna.create_trial(params={name: op for name in dists}, distributions=dists, value=value)
    )


def _parent_of(child: tuple, members: list[str]) -> str:
    """The member (a cell with every edge ``op``) the child differs from in one edge."""
    (parent,) = [op for op in members if sum(c != op for c in child) == 1]
    return parent


def _six_ops(trial: optuna.Trial) -> float:
    return float(sum(trial.suggest_categorical(f"cell/edge_{e}", _OPS6) == "a" for e in range(6)))


@pytest.mark.parametrize("tournament_size", [1, 5])
def test_aging_and_tournament_selection(tournament_size) -> None:
    # Trial 0 (all "a", the best by far) is older than the last five: it has aged out, and no
    # child descends from it. A tournament of the whole population (drawn without
    # replacement) always picks its best member, "f"; a tournament of one picks any member.
    parents = []
    for seed in range(40):
        study = optuna.create_study(
            direction="maximize",
            sampler=EvolutionSampler(
                population_size=5,
                tournament_size=tournament_size,
                crossover_prob=0.0,
                max_retries=0,
                seed=seed,
            ),
        )
        _uniform_member(study, "a", 100.0)
        for value, op in enumerate(["b", "c", "d", "e", "f"]):
            _uniform_member(study, op, float(value))
        study.optimize(_six_ops, n_trials=1)
        parents.append(_parent_of(_edges(study.trials[-1]), _OPS6))
    assert "a" not in parents
    if tournament_size == 5:
        assert set(parents) == {"f"}
    else:  # each member about 8 times in 40
        assert (
            set(parents) == {"b", "c", "d", "e", "f"}
            and max(map(parents.count, set(parents))) <= 16
        )


def test_mutation_respects_distributions() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    dists = [
        optuna.distributions.IntDistribution(1, 6),
        optuna.distributions.IntDistribution(16, 64, step=16),
        optuna.distributions.FloatDistribution(1e-4, 1e-1, log=True),
        optuna.distributions.FloatDistribution(0.0, 0.5, step=0.1),
        optuna.distributions.CategoricalDistribution(["relu", "gelu", "tanh"]),
    ]
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


def _staircase_area(front: set[tuple[float, float]]) -> float:
    """Area under the best value reached at each size 0..6 (larger is better; at most 31.5)."""
    return sum(max([v for v, size in front if size <= s] + [0.0]) for s in range(7))


def test_two_objectives_move_the_front() -> None:
    def objective(trial):
        value = _cells(trial)
        size = sum(trial.params[f"cell/edge_{e}"] in ("a", "c") for e in range(6))
        return value, size

    # The ideal front is value 3 + size / 2 at every size ("a" where it counts, "b"
    # elsewhere), one cell in 15,625 each. Measured over seeds 0-7 at 150 trials: evolution
    # 27.5-30.5, random search 24.0-26.5.
    for seed in range(3):
        areas = []
        for sampler in (
            EvolutionSampler(population_size=20, tournament_size=5, seed=seed),
            optuna.samplers.RandomSampler(seed=seed),
        ):
            study = optuna.create_study(directions=["maximize", "minimize"], sampler=sampler)
            study.optimize(objective, n_trials=150)
            areas.append(_staircase_area({tuple(t.values) for t in study.best_trials}))
        assert areas[0] >= areas[1] + 1.0, areas


def test_conditional_space_and_restart(tmp_path) -> None:
    def objective(trial):
        n = trial.suggest_int("num_layers", 1, 5)
        return sum(
            trial.suggest_categorical(f"layer_{i}/op", ["conv", "pool"]) == "conv" for i in range(n)
        ) + trial.suggest_float("lr", 1e-4, 1e-1, log=True)

    url = f"sqlite:///{tmp_path / 'e.db'}"
    study = optuna.create_study(
        storage=url,
        study_name="e",
        direction="maximize",
        sampler=EvolutionSampler(population_size=10, tournament_size=3, seed=0),
    )
    study.optimize(objective, n_trials=30)
    resumed = optuna.load_study(
        study_name="e",
        storage=url,
        sampler=EvolutionSampler(population_size=10, tournament_size=3, seed=0),
    )
    resumed.optimize(objective, n_trials=1)
    resumed.optimize(objective, n_trials=29, n_jobs=2)
    assert len(resumed.trials) == 60
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in resumed.trials)
    # The restart loses nothing: the first trial after it is the child an uninterrupted
    # study (in memory, one process) makes at that number.
    uninterrupted = optuna.create_study(
        direction="maximize",
        sampler=EvolutionSampler(population_size=10, tournament_size=3, seed=0),
    )
    uninterrupted.optimize(objective, n_trials=31)
    assert [t.params for t in uninterrupted.trials] == [t.params for t in resumed.trials[:31]]


def test_selectable_by_name_and_bad_arguments() -> None:
    assert isinstance(get_sampler("evolution", seed=0), EvolutionSampler)
    with pytest.raises(ValueError):
        EvolutionSampler(population_size=5, tournament_size=6)
    with pytest.raises(ValueError):
        EvolutionSampler(crossover="two_point")
