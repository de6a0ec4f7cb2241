# Generated from optunas's optunas/samplers/_evolution.py by hub/generate.py: edit that file.
"""Genetic NAS: steady-state regularized (aging) evolution with crossover (Real et al. 2019)."""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Sequence
import math
import threading
from typing import Any
from typing import cast

import numpy as np
from optuna.distributions import BaseDistribution
from optuna.distributions import CategoricalDistribution
from optuna.distributions import FloatDistribution
from optuna.distributions import IntDistribution
from optuna.samplers import BaseSampler
from optuna.samplers import RandomSampler
from optuna.study import Study
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial
from optuna.trial import TrialState

from ._common import _stable_hash
from ._compat import distribution_contains
from ._compat import get_trials_cached
from ._compat import storage_of
from ._compat import study_key
from ._compat import trial_id_of


def _pareto_ranks(losses: np.ndarray) -> np.ndarray:
    """Non-domination rank of each row of ``losses`` (all objectives minimised); 0 is the front."""
    n = len(losses)
    ranks = np.full(n, -1)
    remaining = np.arange(n)
    rank = 0
    while len(remaining):
        sub = losses[remaining]
        dominated = np.array(
            [
                np.any(np.all(sub <= sub[i], axis=1) & np.any(sub < sub[i], axis=1))
                for i in range(len(sub))
            ]
        )
        ranks[remaining[~dominated]] = rank
        remaining = remaining[dominated]
        rank += 1
    return ranks


def _crowding(losses: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance within one set of points (larger is lonelier)."""
    n, m = losses.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, math.inf)
    for j in range(m):
        order = np.argsort(losses[:, j], kind="stable")
        span = losses[order[-1], j] - losses[order[0], j]
        distance[order[0]] = distance[order[-1]] = math.inf
        if span > 0:
            distance[order[1:-1]] += (losses[order[2:], j] - losses[order[:-2], j]) / span
    return distance


class EvolutionSampler(BaseSampler):
    """Regularized (aging) evolution with crossover, steady state, for any search space.

    Each new trial is a child: the population is the last ``population_size`` COMPLETE
    trials (aging: the oldest leaves, not the worst); a tournament of ``tournament_size``
    members drawn from it without replacement picks the parent (the best of them wins), and
    the child is the parent with one choice mutated.
    With probability ``crossover_prob`` the child is instead a crossover of two tournament
    winners, ``"uniform"`` (each param from either parent) or ``"one_point"`` (the first
    params in suggestion order from one parent, the rest from the other); then each param
    is mutated with probability ``mutation_prob``. A child that repeats an architecture
    already tried (by an earlier trial in any state, or by a trial still running) is mutated
    again, one categorical or integer choice at a time (at most ``max_retries`` times). The
    architecture is the categorical and integer params only: two trials that differ in a
    float (a learning rate) alone are the same architecture. Until the population is full,
    children are random.

    Mutation: a categorical param takes another choice; an integer or float param moves by a
    Gaussian step of ``0.2`` of its range (in log space for log params), rounded to its step
    and kept in range. Conditional spaces: the child is a dict of params; a param the trial
    asks for that the child lacks (a new layer) or cannot take (a changed range) is sampled at
    random, and params the trial never asks for are ignored.

    Two objectives or more: tournaments compare non-domination rank within the population,
    then crowding distance (NSGA-II's order).

    No state outside storage: a child is a function of the seed, the trial number, the
    earlier finished trials and the running ones, so every process, ``ask``/``tell``,
    restarts and Hyperband brackets work. Pruned and failed trials do not join the
    population. Ended trials are read once and kept by trial number, so a suggestion costs
    about the same at trial 5,000 as at trial 100.

    Args:
        population_size: Members of the population. Real et al. used 100 for budgets of
            thousands of models (NNI's default too); the default 20 fills after 20 trials,
            which suits searches of a few hundred.
        tournament_size: Members per tournament (NNI's default: 25, with 100 members); by
            default 10, or the whole population when it is smaller. The 10 (half the default
            population) was chosen on NAS-Bench-201 (CIFAR-100, tuning
            seeds) and checked on CIFAR-10 and ImageNet16-120: it lowered the regret after 100
            trials from 0.17 to 0.10 and from 0.43 to 0.35 points against a tournament of 5
            (docs/research/samplers.md, section 5).
        crossover_prob: Probability that a child comes from crossover.
        crossover: ``"uniform"`` or ``"one_point"``.
        mutation_prob: Per-param mutation probability after crossover.
        max_retries: Extra mutations to escape a repeated architecture.
        seed: Seed of every random decision.

    Example:
        >>> import optuna
        >>> import optunahub
        >>> EvolutionSampler = optunahub.load_module("samplers/regularized_evolution").EvolutionSampler
        >>> def objective(trial):
        ...     ops = [trial.suggest_categorical(f"layer_{i}", ["conv", "pool", "skip"])
        ...            for i in range(4)]
        ...     return ops.count("conv")
        >>> sampler = EvolutionSampler(population_size=10, tournament_size=3, seed=0)
        >>> study = optuna.create_study(direction="maximize", sampler=sampler)
        >>> study.optimize(objective, n_trials=60)
        >>> study.best_value
        4.0
    """

    def __init__(
        self,
        *,
        population_size: int = 20,
        tournament_size: int | None = None,
        crossover_prob: float = 0.1,
        crossover: str = "one_point",
        mutation_prob: float = 0.1,
        max_retries: int = 10,
        seed: int | None = None,
    ) -> None:
        if tournament_size is None:
            tournament_size = min(10, population_size)
        if not 1 <= tournament_size <= population_size:
            raise ValueError("need 1 <= tournament_size <= population_size")
        if crossover not in ("uniform", "one_point"):
            raise ValueError(f"unknown crossover {crossover!r}; choose from uniform, one_point")
        for name, p in (("crossover_prob", crossover_prob), ("mutation_prob", mutation_prob)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {p}")
        self._population_size = population_size
        self._tournament_size = tournament_size
        self._crossover_prob = crossover_prob
        self._crossover = crossover
        self._mutation_prob = mutation_prob
        self._max_retries = max_retries
        # A SeedSequence made without entropy draws an int of its own.
        entropy = cast(int, np.random.SeedSequence().entropy)
        self._seed = seed if seed is not None else entropy % 2**31
        self._lock = threading.Lock()
        self._children: OrderedDict[int, dict[str, tuple[Any, BaseDistribution]]] = OrderedDict()
        self._histories: OrderedDict[tuple[int, int], _History] = OrderedDict()

    def reseed_rng(self) -> None:
        # Decisions are seeded from (seed, trial number); there is no running generator.
        pass

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return {}

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        with self._lock:
            self._children.pop(trial_id_of(trial), None)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        trial_id = trial_id_of(trial)
        with self._lock:
            child = self._children.get(trial_id)
            if child is None:
                child = self._make_child(study, trial)
                self._children[trial_id] = child
                while len(self._children) > 1024:  # trials whose after_trial never ran
                    self._children.popitem(last=False)
        if param_name in child:
            value, _ = child[param_name]
            if distribution_contains(param_distribution, value):
                return value
        fallback = RandomSampler(seed=_stable_hash(self._seed, trial.number, param_name) % 2**32)
        return fallback.sample_independent(study, trial, param_name, param_distribution)

    # -- the genetic operators ------------------------------------------------------------

    def _make_child(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, tuple[Any, BaseDistribution]]:
        rng = np.random.default_rng([self._seed, trial.number])
        history = self._history_of(study)
        population = history.population(trial.number, self._population_size)
        if len(population) < self._population_size:
            return {}  # the first population is random
        # A trial still running counts as seen: another worker is evaluating it already.
        running = {_signature(_genes(t)) for t in history.unfinished if t.number != trial.number}

        def seen(genes: dict[str, tuple[Any, BaseDistribution]]) -> bool:
            key = _signature(genes)
            return bool(key) and (
                history.first_seen.get(key, trial.number) < trial.number or key in running
            )

        if rng.random() < self._crossover_prob:
            a, b = (
                self._tournament(study, population, rng),
                self._tournament(study, population, rng),
            )
            child = self._cross(a, b, rng)
            child = self._mutate_each(child, rng)
        else:
            parent = self._tournament(study, population, rng)
            child = self._mutate_one(_genes(parent), rng)
        for _ in range(self._max_retries):
            if not seen(child):
                break
            # Only a choice can make the architecture new: mutating a float would not.
            child = self._mutate_one(child, rng, choices_only=True)
        return child

    def _history_of(self, study: Study) -> _History:
        """This study's trials as read so far, brought up to date (``self._lock`` held)."""
        key = study_key(study)
        history = self._histories.get(key)
        if history is None or history.storage is not storage_of(study):  # an id reused after GC
            history = self._histories[key] = _History(storage_of(study))
            while len(self._histories) > 8:  # a sampler reused over many studies
                self._histories.popitem(last=False)
        history.update(get_trials_cached(study))
        return history

    def _tournament(
        self, study: Study, population: list[FrozenTrial], rng: np.random.Generator
    ) -> FrozenTrial:
        picks = rng.choice(len(population), size=self._tournament_size, replace=False)
        contenders = [population[int(i)] for i in sorted(picks)]
        signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions])
        losses = np.array([np.asarray(t.values) * signs for t in contenders])
        if losses.shape[1] == 1:
            return contenders[int(np.argmin(losses[:, 0]))]
        # Rank and crowding are computed over the whole population, then compared.
        all_losses = np.array([np.asarray(t.values) * signs for t in population])
        ranks = _pareto_ranks(all_losses)
        crowd = np.zeros(len(population))
        for r in np.unique(ranks):
            members = np.flatnonzero(ranks == r)
            crowd[members] = _crowding(all_losses[members])
        index = {id(t): i for i, t in enumerate(population)}
        return min(contenders, key=lambda t: (ranks[index[id(t)]], -crowd[index[id(t)]]))

    def _cross(
        self, a: FrozenTrial, b: FrozenTrial, rng: np.random.Generator
    ) -> dict[str, tuple[Any, BaseDistribution]]:
        genes_a, genes_b = _genes(a), _genes(b)
        names = list(genes_a) + [n for n in genes_b if n not in genes_a]
        if self._crossover == "uniform":
            return {
                n: (
                    genes_a
                    if n in genes_a and (n not in genes_b or rng.random() < 0.5)
                    else genes_b
                )[n]
                for n in names
            }
        cut = int(rng.integers(0, len(genes_a) + 1))
        head = set(list(genes_a)[:cut])
        return {n: (genes_a[n] if n in head or n not in genes_b else genes_b[n]) for n in names}

    def _mutate_each(
        self, genes: dict[str, tuple[Any, BaseDistribution]], rng: np.random.Generator
    ) -> dict[str, tuple[Any, BaseDistribution]]:
        return {
            n: ((_mutate(v, d, rng), d) if rng.random() < self._mutation_prob else (v, d))
            for n, (v, d) in genes.items()
        }

    @staticmethod
    def _mutate_one(
        genes: dict[str, tuple[Any, BaseDistribution]],
        rng: np.random.Generator,
        choices_only: bool = False,
    ) -> dict[str, tuple[Any, BaseDistribution]]:
        mutable = [
            n
            for n, (_, d) in genes.items()
            if not d.single() and (not choices_only or _is_choice(d))
        ]
        if not mutable:
            return dict(genes)
        name = mutable[int(rng.integers(len(mutable)))]
        value, dist = genes[name]
        return {**genes, name: (_mutate(value, dist, rng), dist)}


def _finite(trial: FrozenTrial) -> bool:
    return trial.values is not None and all(math.isfinite(v) for v in trial.values)


def _genes(trial: FrozenTrial) -> dict[str, tuple[Any, BaseDistribution]]:
    return {name: (value, trial.distributions[name]) for name, value in trial.params.items()}


def _is_choice(dist: BaseDistribution) -> bool:
    return isinstance(dist, (CategoricalDistribution, IntDistribution))


def _signature(genes: dict[str, tuple[Any, BaseDistribution]]) -> tuple:
    """The architecture: the categorical and integer choices. Floats (a learning rate, a
    dropout rate) are left out, or no two children would ever be the same."""
    return tuple(sorted((k, repr(v)) for k, (v, d) in genes.items() if _is_choice(d)))


class _History:
    """What the sampler has read of one study, kept by trial number so that a suggestion costs
    the same at trial 5,000 as at trial 100: an ended trial never changes, so it is read once."""

    def __init__(self, storage: object) -> None:
        self.storage = storage  # held, so that its id is not reused while this is kept
        self.first_seen: dict[tuple, int] = {}  # architecture -> first trial number that ran it
        self.complete: list[int] = []  # numbers of COMPLETE trials with finite values, sorted
        self.trials: dict[int, FrozenTrial] = {}  # those trials by number
        self.unfinished: list[FrozenTrial] = []  # RUNNING and WAITING trials at the last update
        self._ended: set[int] = set()  # numbers of ended trials past the watermark, already read
        self._watermark = 0  # every trial before this index of the list has ended and been read

    def update(self, trials: list[FrozenTrial]) -> None:
        self.unfinished = []
        for i in range(self._watermark, len(trials)):
            t = trials[i]
            finished = t.state.is_finished()
            if not finished:
                self.unfinished.append(t)
            elif t.number not in self._ended:
                self._read(t)
                self._ended.add(t.number)
            if finished and i == self._watermark:  # never to be looked at again
                self._watermark = i + 1
                self._ended.discard(t.number)

    def _read(self, t: FrozenTrial) -> None:
        key = _signature(_genes(t))
        if key and self.first_seen.get(key, t.number + 1) > t.number:
            self.first_seen[key] = t.number
        if t.state == TrialState.COMPLETE and _finite(t):
            bisect.insort(self.complete, t.number)
            self.trials[t.number] = t

    def population(self, number: int, size: int) -> list[FrozenTrial]:
        """The last ``size`` COMPLETE trials before trial ``number`` (aging: the oldest go)."""
        end = bisect.bisect_left(self.complete, number)
        return [self.trials[n] for n in self.complete[max(0, end - size) : end]]


def _mutate(value: Any, dist: BaseDistribution, rng: np.random.Generator) -> Any:
    """Another value of ``dist`` near ``value`` (any other choice, for a categorical)."""
    if isinstance(dist, CategoricalDistribution):
        current = dist.to_internal_repr(value)
        others = [i for i in range(len(dist.choices)) if i != current]
        return dist.choices[others[int(rng.integers(len(others)))]] if others else value
    assert isinstance(dist, (IntDistribution, FloatDistribution))
    low, high = float(dist.low), float(dist.high)
    if dist.log:
        x, lo, hi = math.log(value), math.log(low), math.log(high)
    else:
        x, lo, hi = float(value), low, high
    for _ in range(10):
        y = min(max(x + rng.normal(0.0, 0.2 * (hi - lo)), lo), hi)
        y = min(max(math.exp(y), low), high) if dist.log else y  # exp(log(x)) may overshoot
        step = dist.step
        if step is not None:
            y = low + round((y - low) / step) * step
            y = min(max(y, low), high)
        if isinstance(dist, IntDistribution):
            y = round(y)
            y = min(max(y, dist.low), dist.high)
        if y != value:
            return y
    return value
