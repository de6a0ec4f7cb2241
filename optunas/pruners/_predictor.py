"""A pruner that learns, across trials, to predict the final value from the early curve
(Baker et al. 2017)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.pruners import BasePruner
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState
from scipy.special import ndtr

from optunas.pruners._learning_curve import (
    LearningCurvePruner,
    _finished_finals,
    _oriented,
    clean_curve,
    target_value,
)


def _features(values: np.ndarray, params: float | None) -> np.ndarray:
    """The curve's values, its first differences, and optionally log10(params)."""
    diffs = np.diff(values) if len(values) > 1 else np.zeros(0)
    extra = [] if params is None else [math.log10(max(params, 1.0))]
    return np.concatenate([[1.0], values, diffs, extra])


def _encode_choice(dist: BaseDistribution, value: object) -> list[float]:
    """One parameter as features: one-hot over a categorical's choices, else the value scaled
    to [0, 1] over its range (on a log scale for log distributions)."""
    if isinstance(dist, CategoricalDistribution):
        return [float(value == c) for c in dist.choices]
    low, high = float(dist.low), float(dist.high)  # type: ignore[attr-defined]
    x = float(value)  # type: ignore[arg-type]
    if getattr(dist, "log", False):
        low, high, x = math.log(low), math.log(high), math.log(x)
    return [(x - low) / (high - low) if high > low else 0.0]


def _width(dist: BaseDistribution) -> int:
    return len(dist.choices) if isinstance(dist, CategoricalDistribution) else 1


def _same(a: BaseDistribution | None, b: BaseDistribution) -> bool:
    # Optuna's __eq__ goes through a generic comparison; a decision makes thousands of these.
    return a is b or (type(a) is type(b) and vars(a) == vars(b))


def _choice_features(trial: FrozenTrial, layout: dict[str, BaseDistribution]) -> list[float]:
    """The trial's choices encoded in ``layout``'s order; a parameter the trial did not sample
    (a conditional branch not taken) or sampled from another distribution encodes as zeros."""
    out: list[float] = []
    for name, dist in layout.items():
        if name in trial.params and _same(trial.distributions.get(name), dist):
            out.extend(_encode_choice(dist, trial.params[name]))
        else:
            out.extend([0.0] * _width(dist))
    return out


def _choice_layout(trials: list[FrozenTrial]) -> dict[str, BaseDistribution]:
    """Every parameter the trials sampled, by name, with the distribution seen first."""
    layout: dict[str, BaseDistribution] = {}
    for t in trials:
        for name, dist in t.distributions.items():
            layout.setdefault(name, dist)
    return dict(sorted(layout.items()))


def _curve_prefix(trial: FrozenTrial, sign: float, step: int) -> np.ndarray | None:
    """Values at steps 0..step times ``sign`` (larger is better), or None if any is missing or
    not finite."""
    values = trial.intermediate_values
    prefix = [values.get(s) for s in range(step + 1)]
    if any(v is None or not math.isfinite(v) for v in prefix):
        return None
    return sign * np.array(prefix, dtype=float)


class PredictorPruner(BasePruner):
    """Prune when a regression trained on finished trials predicts a poor final value.

    For a trial at step ``k``, every COMPLETE trial with finite values at steps ``0..k`` is a
    training example: features are its values at ``0..k``, their first differences and, with
    ``use_params``, log10 of the user attr ``params`` (an architecture's size) and, with
    ``use_choices``, the trial's own choices (every ``trial.suggest_*`` value: one-hot over a
    categorical's choices, numbers scaled to [0, 1] over their range); the target is its final
    value. The choices let the regression learn which architectures end well, which a short
    curve alone cannot tell (Baker et al. used both; BENCHMARKS.md measures what it buys). A ridge regression fitted in closed form predicts the trial's final value,
    and its leave-one-out residuals give the error. The trial is pruned when
    ``P(final >= target) < threshold`` under a normal with that mean and error, where the target
    is the best final value so far or ``percentile`` of the finished finals. Until
    ``n_min_trials`` trials have completed, :class:`LearningCurvePruner` decides instead.

    NaN or infinite values: a trial whose latest value is not finite is pruned; finished
    trials with non-finite values are left out of the training set. Both directions work.

    Args:
        threshold: Prune below this probability of reaching the target. The default, 0.01,
            is the largest of 0.005, 0.01, 0.02 and 0.05 that lost under 0.2 pp of final accuracy
            against no pruning with random search and TPE on the tuning seeds (BENCHMARKS.md).
        percentile: None for the best final value; else a percentile (0-100, of values
            oriented so that larger is better) of finished finals.
        n_min_trials: Completed trials needed before the regression is trusted.
        n_warmup_steps: No pruning before this step.
        ridge: The ridge penalty on the curve's features.
        use_params: Add log10 of the user attr ``params`` to the features.
        use_choices: Add the trial's parameters to the features. A parameter a trial did not
            sample (a branch of a conditional space) encodes as zeros.
        choice_ridge: The ridge penalty on the choices' features; larger than ``ridge``
            because a study has few finished trials per choice.

    Example:
        >>> import optuna
        >>> from optunas.pruners import PredictorPruner
        >>> def objective(trial):
        ...     ceiling = trial.suggest_float("ceiling", 0.5, 0.95)
        ...     for step in range(20):
        ...         trial.report(ceiling * (1 - 0.8 ** (step + 1)), step)
        ...         if trial.should_prune():
        ...             raise optuna.TrialPruned()
        ...     return ceiling * (1 - 0.8 ** 20)
        >>> study = optuna.create_study(direction="maximize", pruner=PredictorPruner(),
        ...                             sampler=optuna.samplers.RandomSampler(seed=0))
        >>> study.optimize(objective, n_trials=40)
        >>> len(study.get_trials(states=[optuna.trial.TrialState.PRUNED])) > 0
        True
    """

    def __init__(
        self,
        threshold: float = 0.01,
        percentile: float | None = None,
        n_min_trials: int = 20,
        n_warmup_steps: int = 2,
        ridge: float = 1e-3,
        use_params: bool = False,
        use_choices: bool = False,
        choice_ridge: float = 1.0,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
        if n_min_trials < 3 or ridge <= 0 or choice_ridge <= 0 or n_warmup_steps < 0:
            raise ValueError("n_min_trials >= 3, ridge > 0, choice_ridge > 0 and n_warmup_steps >= 0 "
                             "are required")
        self._threshold = threshold
        self._percentile = percentile
        self._n_min_trials = n_min_trials
        self._n_warmup_steps = n_warmup_steps
        self._ridge = ridge
        self._use_params = use_params
        self._use_choices = use_choices
        self._choice_ridge = choice_ridge
        # A finished trial's choices never change: encode each once per layout.
        self._encoded: dict[int, tuple[tuple[str, ...], dict[str, Any], list[float]]] = {}
        self._fallback = LearningCurvePruner(threshold=threshold, percentile=percentile,
                                             n_warmup_steps=n_warmup_steps)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if len(study.directions) > 1:
            raise ValueError("PredictorPruner does not support multi-objective studies")
        step = trial.last_step
        if step is None:
            return False
        _, _, diverged = clean_curve(trial, study)
        if diverged:
            return True
        if step < self._n_warmup_steps:
            return False
        finals, usual_last = _finished_finals(study)
        if usual_last is not None and step >= usual_last:
            return False
        sign = _oriented(study, 1.0)  # once: study.direction is a storage call
        mine = _curve_prefix(trial, sign, step)
        if mine is None:
            return self._fallback.prune(study, trial)
        train: list[tuple[FrozenTrial, np.ndarray]] = []
        for t in study._get_trials(deepcopy=False, states=(TrialState.COMPLETE,), use_cache=True):
            prefix = _curve_prefix(t, sign, step)
            if prefix is None or t.value is None or not math.isfinite(t.value):
                continue
            if self._use_params and "params" not in t.user_attrs:
                continue
            train.append((t, prefix))
        if len(train) < self._n_min_trials:
            return self._fallback.prune(study, trial)
        if self._use_params and "params" not in trial.user_attrs:
            return self._fallback.prune(study, trial)
        layout = _choice_layout([t for t, _ in train] + [trial]) if self._use_choices else {}

        names = tuple(layout)

        def row(t: FrozenTrial, prefix: np.ndarray) -> np.ndarray:
            curve = _features(prefix, t.user_attrs.get("params") if self._use_params else None)
            return np.concatenate([curve, self._choices_of(t, layout, names)])

        x = np.array([row(t, prefix) for t, prefix in train])
        y = sign * np.array([t.value for t, _ in train], dtype=float)
        penalty = np.full(x.shape[1], self._ridge)
        penalty[x.shape[1] - sum(map(_width, layout.values())):] = self._choice_ridge
        penalty[0] = 0.0  # the intercept is not shrunk
        mean, sd = _fit_predict(x, y, row(trial, mine), penalty)
        target = target_value(finals, self._percentile)
        return float(ndtr((mean - target) / sd)) < self._threshold


    def _choices_of(self, trial: FrozenTrial, layout: dict[str, BaseDistribution],
                    names: tuple[str, ...]) -> list[float]:
        """The trial's encoded choices, remembered for finished trials. The params are compared
        on each hit, so a pruner shared by studies whose trial ids collide stays correct."""
        if trial.state != TrialState.COMPLETE:
            return _choice_features(trial, layout)
        cached = self._encoded.get(trial._trial_id)
        if cached is None or cached[0] != names or cached[1] != trial.params:
            cached = (names, dict(trial.params), _choice_features(trial, layout))
            self._encoded[trial._trial_id] = cached
        return cached[2]


def _fit_predict(x: np.ndarray, y: np.ndarray, query: np.ndarray, penalty: np.ndarray) -> tuple[float, float]:
    """Ridge prediction at ``query`` (one penalty per feature) and its leave-one-out error."""
    inv = np.linalg.pinv(x.T @ x + np.diag(penalty))
    coef = inv @ x.T @ y
    hat = np.sum((x @ inv) * x, axis=1)  # the hat matrix's diagonal, through BLAS
    loo = (y - x @ coef) / np.clip(1.0 - hat, 1e-6, None)
    sd = math.sqrt(float(np.mean(loo**2)) + 1e-10)
    return float(query @ coef), sd
