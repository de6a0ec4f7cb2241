"""A pruner that learns, across trials, to predict the final value from the early curve
(Baker et al. 2017)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from optuna.distributions import BaseDistribution, CategoricalDistribution
from optuna.pruners import BasePruner
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState
from scipy.special import ndtr

from optunas._compat import study_key, trial_id_of
from optunas.pruners._learning_curve import (
    LearningCurvePruner,
    _finished_finals,
    _oriented,
    clean_curve,
    final_report,
    target_value,
)

#: The user attrs of an architecture's size, newest first: optunas records ``n_parameters``;
#: studies made before it, and users' own objectives, may hold ``params``.
_SIZE_ATTRS = ("n_parameters", "params")


def _size(trial: FrozenTrial) -> float | None:
    """The trial's recorded size (parameter count), or None."""
    for name in _SIZE_ATTRS:
        if name in trial.user_attrs:
            size: float | None = trial.user_attrs[name]
            return size
    return None


def _features(values: np.ndarray, params: float | None) -> np.ndarray:
    """The curve's values and optionally log10(params). First differences would be linear
    combinations of the values: on the tables they changed neither the epochs saved nor the
    regret beyond noise (studies/predictor_settings.py), so they are left out."""
    extra = [] if params is None else [math.log10(max(params, 1.0))]
    return np.concatenate([[1.0], values, extra])


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


def _reported_steps(trial: FrozenTrial, step: int) -> tuple[int, ...]:
    """The steps up to ``step`` at which the trial reported a finite value, in order."""
    values = trial.intermediate_values
    return tuple(s for s in sorted(values) if s <= step and math.isfinite(values[s]))


def _curve_prefix(trial: FrozenTrial, sign: float, steps: tuple[int, ...]) -> np.ndarray | None:
    """The trial's values at ``steps`` times ``sign`` (larger is better), or None if any is
    missing or not finite. Curves are lined up by the steps reported, so a study may count its
    epochs from 0 or from 1 and report every epoch or every fifth."""
    values = trial.intermediate_values
    try:
        prefix = np.array([values[s] for s in steps], dtype=float)
    except KeyError:
        return None
    return sign * prefix if np.isfinite(prefix).all() else None


class PredictorPruner(BasePruner):
    """Prune when a regression trained on finished trials predicts a poor final value.

    For a trial that has reported the steps ``s_1 < ... < s_k``, every COMPLETE trial with
    finite values at those same steps is a training example (steps may start anywhere and
    skip: curves are lined up by the steps reported): features are its values at them and,
    with ``use_params``, log10 of the user attr ``n_parameters`` (an architecture's size, as
    optunas's objectives record it; ``params`` is read too) and, with
    ``use_choices``, the trial's own choices (every ``trial.suggest_*`` value: one-hot over a
    categorical's choices, numbers scaled to [0, 1] over their range); the target is its final
    value, the value it reported at its last step (not what the objective returned: the
    pruner compares curves with curves, as :class:`LearningCurvePruner` does). The choices let the regression learn which architectures end well, which a short
    curve alone cannot tell (Baker et al. used both; BENCHMARKS.md measures what it buys). A ridge regression fitted in closed form predicts the trial's final value,
    and its leave-one-out residuals give the error. The trial is pruned when
    ``P(final >= target) < threshold`` under a normal with that mean and error, where the target
    is the best final value so far or ``percentile`` of the finished finals. Until
    ``n_min_trials`` trials have completed, :class:`LearningCurvePruner` decides instead; it
    also does, with a warning (once per pruner), when enough trials have completed but too few
    of them reported the steps the trial did (curves that cannot be lined up).

    With ``model="chain"`` the final value is reached one step at a time instead: for each
    step ``s`` that COMPLETE trials report a ridge regression of the value at ``s`` on the
    ``lags`` values reported before it (and
    the params and choices, as above) is fitted on every COMPLETE *and PRUNED* trial that got
    that far (the trial being decided must have reported those steps too), so the early steps
    learn from every trial rather than from the finished ones
    only; the trial's curve is run on through these links to the final step, and the error is
    each link's leave-one-out variance times the square of its effect on the final. The links
    are refitted only when a trial has ended. It prunes harder at the same threshold; BENCHMARKS.md measures it.

    NaN or infinite values: a trial whose latest value is not finite is pruned; finished
    trials with non-finite values are left out of the training set. Both directions work.
    The ended trials are read from storage at each decision, so those that other workers or
    threads finished while the trial ran count at once.

    Args:
        threshold: Prune below this probability of reaching the target. The default, 0.004,
            is the largest of 0.002, 0.003, 0.004, 0.005 and 0.01 whose loss against no
            pruning stayed within 0.1 pp of final accuracy (up to one standard error) on every
            curve set measured, under random search and TPE, on the tuning seeds (BENCHMARKS.md,
            "The defaults on every curve set").
        percentile: None for the best final value; else a percentile (0-100, of values
            oriented so that larger is better) of finished finals.
        n_min_trials: Completed trials needed before the regression is trusted.
        n_warmup_steps: No pruning before this step.
        ridge: The ridge penalty on the curve's features.
        use_params: Add log10 of the user attr ``n_parameters`` (or ``params``) to the
            features.
        use_choices: Add the trial's parameters to the features. A parameter a trial did not
            sample (a branch of a conditional space) encodes as zeros.
        choice_ridge: The ridge penalty on the choices' features; larger than ``ridge``
            because a study has few finished trials per choice.
        model: ``"direct"`` (the final value regressed on the early curve) or ``"chain"``
            (step by step, learning from pruned trials too).
        lags: With ``model="chain"``, how many earlier values each step is regressed on.

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
        threshold: float = 0.004,
        percentile: float | None = None,
        n_min_trials: int = 20,
        n_warmup_steps: int = 2,
        ridge: float = 1e-3,
        use_params: bool = False,
        use_choices: bool = False,
        choice_ridge: float = 1.0,
        model: str = "direct",
        lags: int = 3,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must lie in (0, 1), got {threshold}")
        if model not in ("direct", "chain"):
            raise ValueError(f"model must be 'direct' or 'chain', got {model!r}")
        if n_min_trials < 3 or ridge <= 0 or choice_ridge <= 0 or n_warmup_steps < 0 or lags < 1:
            raise ValueError(
                "n_min_trials >= 3, ridge > 0, choice_ridge > 0, n_warmup_steps >= 0 "
                "and lags >= 1 are required"
            )
        self._threshold = threshold
        self._percentile = percentile
        self._n_min_trials = n_min_trials
        self._n_warmup_steps = n_warmup_steps
        self._ridge = ridge
        self._use_params = use_params
        self._use_choices = use_choices
        self._choice_ridge = choice_ridge
        self._model = model
        self._lags = lags
        # The chain's links change only when a trial ends: refit them only then.
        self._links: (
            tuple[tuple, tuple[tuple[int, ...], dict[int, tuple[np.ndarray, float]]] | None] | None
        ) = None
        # A finished trial's choices never change: encode each once per layout.
        self._encoded: dict[int, tuple[tuple[str, ...], dict[str, Any], list[float]]] = {}
        self._fallback = LearningCurvePruner(
            threshold=threshold, percentile=percentile, n_warmup_steps=n_warmup_steps
        )
        self._warned = False

    def _fall_back(
        self,
        study: Study,
        trial: FrozenTrial,
        completed: list[FrozenTrial],
        why: str | None = None,
    ) -> bool:
        """Let LearningCurvePruner decide on the COMPLETE trials already read; ``why``, when
        given, is worth a warning (once): the regression could have been fitted but the trials'
        curves do not line up."""
        if why is not None and not self._warned:
            self._warned = True
            warnings.warn(f"PredictorPruner falls back to LearningCurvePruner: {why}", stacklevel=2)
        return self._fallback._decide(study, trial, completed)

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
        # Read at each decision, as LearningCurvePruner does (completed_trials says why).
        ended = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))
        completed = [t for t in ended if t.state == TrialState.COMPLETE]
        finals, usual_last = _finished_finals(study, completed)
        if usual_last is not None and step >= usual_last:
            return False
        sign = _oriented(study, 1.0)  # once: study.direction is a storage call
        steps = _reported_steps(trial, step)
        mine = _curve_prefix(trial, sign, steps)
        if not steps or mine is None:
            return self._fall_back(study, trial, completed)
        train: list[tuple[FrozenTrial, np.ndarray, float]] = []  # trial, prefix, final
        usable = 0
        for t in completed:
            final = final_report(t)
            if final is None or (self._use_params and _size(t) is None):
                continue
            usable += 1
            prefix = _curve_prefix(t, sign, steps)
            if prefix is not None:
                train.append((t, prefix, sign * final))
        if len(train) < self._n_min_trials:
            why = None
            if usable >= self._n_min_trials:
                why = (
                    f"{usable} trials have completed but only {len(train)} reported a finite value "
                    f"at every step trial {trial.number} did ({_describe(steps)})"
                )
            return self._fall_back(study, trial, completed, why)
        if self._use_params and _size(trial) is None:
            return self._fall_back(
                study,
                trial,
                completed,
                f"trial {trial.number} has no user attr 'n_parameters' (use_params=True)",
            )
        layout = _choice_layout([t for t, _, _ in train] + [trial]) if self._use_choices else {}
        names = tuple(layout)
        target = target_value(finals, self._percentile)
        if self._model == "chain":
            chain = self._chain_links(study, ended, sign, usual_last, layout)  # type: ignore[arg-type]
            if chain is None:
                return self._fall_back(
                    study,
                    trial,
                    completed,
                    "a step of the completed trials' curves was reached by fewer than three trials",
                )
            grid, links = chain
            known = _curve_prefix(trial, sign, tuple(s for s in grid if s <= step))
            if known is None or not len(known):
                return self._fall_back(
                    study,
                    trial,
                    completed,
                    f"trial {trial.number} did not report every "
                    f"step the completed trials did ({_describe(grid)})",
                )
            mean, sd = _run_chain(
                links, known, np.array(self._extras(trial, layout, names)), self._lags
            )
            return float(ndtr((mean - target) / sd)) < self._threshold

        def row(t: FrozenTrial, prefix: np.ndarray) -> np.ndarray:
            curve = _features(prefix, _size(t) if self._use_params else None)
            return np.concatenate([curve, self._choices_of(t, layout, names)])

        x = np.array([row(t, prefix) for t, prefix, _ in train])
        y = np.array([final for _, _, final in train], dtype=float)
        penalty = np.full(x.shape[1], self._ridge)
        penalty[x.shape[1] - sum(map(_width, layout.values())) :] = self._choice_ridge
        penalty[0] = 0.0  # the intercept is not shrunk
        mean, sd = _fit_predict(x, y, row(trial, mine), penalty)
        return float(ndtr((mean - target) / sd)) < self._threshold

    def _extras(
        self, trial: FrozenTrial, layout: dict[str, BaseDistribution], names: tuple[str, ...]
    ) -> list[float]:
        """The chain's features beyond the curve: log10(params) with ``use_params``, the choices."""
        size = _size(trial) if self._use_params else None
        params = [] if size is None else [math.log10(max(size, 1.0))]
        return params + self._choices_of(trial, layout, names)

    def _chain_links(
        self,
        study: Study,
        ended: list[FrozenTrial],
        sign: float,
        last: int,
        layout: dict[str, BaseDistribution],
    ) -> tuple[tuple[int, ...], dict[int, tuple[np.ndarray, float]]] | None:
        """The steps COMPLETE trials reported up to ``last`` (the grid), and the chain's links
        for the grid's positions 1.., fitted on the ``ended`` trials (COMPLETE and PRUNED);
        None when a position has fewer than three trials to learn from. Cached until a trial
        ends."""
        names = tuple(layout)
        others = [t for t in ended if not self._use_params or _size(t) is not None]
        key = (
            *study_key(study),
            sign,
            last,
            names,
            tuple((trial_id_of(t), t.last_step) for t in others),
        )
        if self._links is not None and self._links[0] == key:
            return self._links[1]
        grid = tuple(
            sorted(
                {
                    s
                    for t in others
                    if t.state == TrialState.COMPLETE
                    for s in t.intermediate_values
                    if s <= last
                }
            )
        )
        column = {s: j for j, s in enumerate(grid)}
        curves = np.full((len(others), len(grid)), np.nan)
        for r, t in enumerate(others):
            for step, value in t.intermediate_values.items():
                if step in column and math.isfinite(value):
                    curves[r, column[step]] = sign * value
        extras = np.array([self._extras(t, layout, names) for t in others], dtype=float).reshape(
            len(others), -1
        )
        extra_penalty = np.full(extras.shape[1], self._choice_ridge)
        if self._use_params:
            extra_penalty[0] = self._ridge
        chain: tuple[tuple[int, ...], dict[int, tuple[np.ndarray, float]]] | None = (grid, {})
        for position in range(1, len(grid)):
            lo = max(0, position - self._lags)
            rows = np.isfinite(curves[:, lo : position + 1]).all(axis=1)
            if rows.sum() < 3:
                chain = None
                break
            x = np.column_stack([np.ones(rows.sum()), curves[rows, lo:position], extras[rows]])
            penalty = np.r_[0.0, np.full(position - lo, self._ridge), extra_penalty]
            chain[1][position] = _ridge_loo(x, curves[rows, position], penalty)  # type: ignore[index]
        if chain is not None and not chain[1]:
            chain = None  # a single step: nothing to chain
        self._links = (key, chain)
        return chain

    def _choices_of(
        self, trial: FrozenTrial, layout: dict[str, BaseDistribution], names: tuple[str, ...]
    ) -> list[float]:
        """The trial's encoded choices, remembered for ended trials. The params are compared
        on each hit, so a pruner shared by studies whose trial ids collide stays correct."""
        if trial.state not in (TrialState.COMPLETE, TrialState.PRUNED):
            return _choice_features(trial, layout)
        trial_id = trial_id_of(trial)
        cached = self._encoded.get(trial_id)
        if cached is None or cached[0] != names or cached[1] != trial.params:
            cached = (names, dict(trial.params), _choice_features(trial, layout))
            self._encoded[trial_id] = cached
        return cached[2]


def _describe(steps: tuple[int, ...]) -> str:
    shown = ", ".join(map(str, steps[:6]))
    return f"steps {shown}{', ...' if len(steps) > 6 else ''}"


def _ridge_loo(x: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, float]:
    """Ridge coefficients (one penalty per feature) and the mean squared leave-one-out residual."""
    inv = np.linalg.pinv(x.T @ x + np.diag(penalty))
    coef = inv @ x.T @ y
    hat = np.sum((x @ inv) * x, axis=1)  # the hat matrix's diagonal, through BLAS
    loo = (y - x @ coef) / np.clip(1.0 - hat, 1e-6, None)
    return coef, float(np.mean(loo**2))


def _fit_predict(
    x: np.ndarray, y: np.ndarray, query: np.ndarray, penalty: np.ndarray
) -> tuple[float, float]:
    """Ridge prediction at ``query`` (one penalty per feature) and its leave-one-out error."""
    coef, mse = _ridge_loo(x, y, penalty)
    return float(query @ coef), math.sqrt(mse + 1e-10)


def _run_chain(
    links: dict[int, tuple[np.ndarray, float]], prefix: np.ndarray, extra: np.ndarray, lags: int
) -> tuple[float, float]:
    """The final value predicted by running the links on from the end of ``prefix``, and its
    error: each later step's leave-one-out variance times its squared effect on the final."""
    last, known = max(links), len(prefix) - 1
    values = list(prefix)
    for step in range(known + 1, last + 1):
        coef, lo = links[step][0], max(0, step - lags)
        values.append(
            coef[0] + coef[1 : 1 + step - lo] @ values[lo:step] + coef[1 + step - lo :] @ extra
        )
    effect = np.zeros(last + 1)  # d final / d value at each step, back through the links
    effect[last] = 1.0
    for step in range(last, known, -1):
        lo = max(0, step - lags)
        effect[lo:step] += effect[step] * links[step][0][1 : 1 + step - lo]
    var = sum(effect[step] ** 2 * links[step][1] for step in range(known + 1, last + 1))
    return float(values[-1]), math.sqrt(var + 1e-10)
