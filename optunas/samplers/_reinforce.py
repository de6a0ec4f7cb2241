"""RL-NAS: an LSTM controller that emits the architecture choice by choice, trained with
REINFORCE on the study's finished trials (Zoph & Le 2017; Pham et al. 2018)."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from optuna.distributions import BaseDistribution, CategoricalDistribution, IntDistribution
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from optunas.samplers._common import _stable_hash

_DTYPE = torch.float64  # double precision keeps replays in different processes bit-close


@dataclass
class _Decision:
    key: str  # the param name and its choices: one output head per key
    size: int  # number of choices
    index: int  # the choice made


@dataclass
class _Token:
    """Per-key weights: what the controller reads before deciding, what it decides, and how
    the decision is fed to the next step."""

    query: torch.Tensor  # (hidden,)
    embed: torch.Tensor  # (size, hidden)
    head_w: torch.Tensor  # (size, hidden)
    head_b: torch.Tensor  # (size,)

    def tensors(self) -> list[torch.Tensor]:
        return [self.query, self.embed, self.head_w, self.head_b]


@dataclass
class _Controller:
    """A one-layer LSTM over the trial's decisions, with weights created per key on first
    sight from a seed derived from the key, so that every process builds the same weights
    whatever order it meets the keys in. Adam is written out so that weights can join late."""

    hidden: int
    seed: int
    lr: float
    lstm: torch.nn.LSTMCell = field(init=False)
    start: torch.Tensor = field(init=False)
    tokens: dict[str, _Token] = field(default_factory=dict)
    moments: dict[int, tuple[torch.Tensor, torch.Tensor, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lstm = torch.nn.LSTMCell(self.hidden, self.hidden, dtype=_DTYPE)
        generator = torch.Generator().manual_seed(_stable_hash(self.seed, "lstm"))
        with torch.no_grad():
            for p in self.lstm.parameters():
                p.uniform_(-0.1, 0.1, generator=generator)  # as in ENAS
        self.start = self._uniform((self.hidden,), "start")

    def _uniform(self, shape: tuple[int, ...], *name: object) -> torch.Tensor:
        generator = torch.Generator().manual_seed(_stable_hash(self.seed, *name))
        return torch.empty(shape, dtype=_DTYPE).uniform_(-0.1, 0.1, generator=generator).requires_grad_()

    def token(self, key: str, size: int) -> _Token:
        token = self.tokens.get(key)
        if token is None:
            token = _Token(
                self._uniform((self.hidden,), key, "query"),
                self._uniform((size, self.hidden), key, "embed"),
                self._uniform((size, self.hidden), key, "head"),
                torch.zeros(size, dtype=_DTYPE, requires_grad=True),
            )
            self.tokens[key] = token
        return token

    def step(
        self, state: tuple[torch.Tensor, torch.Tensor] | None, previous: _Decision | None,
        key: str, size: int, temperature: float, tanh_constant: float,
    ) -> tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """Feed the previous decision and the next key; return the new state and logits."""
        x = self.start if previous is None else self.token(previous.key, previous.size).embed[previous.index]
        token = self.token(key, size)
        h, c = self.lstm((x + token.query).unsqueeze(0), None if state is None else state)
        logits = token.head_w @ h[0] + token.head_b
        # ENAS's shaping: a temperature, then a bounded range, which keeps exploring.
        return (h, c), tanh_constant * torch.tanh(logits / temperature)

    def parameters(self) -> list[torch.Tensor]:
        params = [*self.lstm.parameters(), self.start]
        for key in sorted(self.tokens):
            params += self.tokens[key].tensors()
        return params

    def adam_step(self, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        with torch.no_grad():
            for p in self.parameters():
                if p.grad is None:
                    continue
                m, v, t = self.moments.get(id(p), (torch.zeros_like(p), torch.zeros_like(p), 0))
                t += 1
                m.mul_(betas[0]).add_(p.grad, alpha=1 - betas[0])
                v.mul_(betas[1]).addcmul_(p.grad, p.grad, value=1 - betas[1])
                m_hat = m / (1 - betas[0] ** t)
                v_hat = v / (1 - betas[1] ** t)
                p.sub_(self.lr * m_hat / (v_hat.sqrt() + eps))
                self.moments[id(p)] = (m, v, t)
                p.grad = None


class ReinforceSampler(BaseSampler):
    """An LSTM controller that picks each ``suggest_*`` choice given the choices already
    made in the trial, trained with REINFORCE on the study's finished trials.

    Optuna asks for one parameter at a time (``sample_independent``), in the order the
    objective suggests them, so the controller is autoregressive over the trial's own
    suggestions and conditional spaces come naturally: a layer's choices are asked for only
    when the layer exists, and the controller has seen that it does.

    What it models: categorical parameters (a softmax over the choices), and integer
    parameters with at most ``max_int_choices`` values and no log scale (treated as
    categorical over their values). Other parameters (floats, wide or log-scaled integers)
    go to a random sampler and are not part of the controller's sequence.

    Learning: each finished trial, in trial-number order, is one REINFORCE update: reward
    ``R`` is the objective value (negated for minimisation), the baseline ``b`` an exponential
    moving average of the rewards (decay ``baseline_decay``) corrected for its zero start as
    Adam's moments are, so that early on it is the mean reward so far; the loss
    ``-(R - b) log p(choices) - entropy_weight * H``, optimised with Adam. A PRUNED trial
    counts with its last reported value (usually low: the pruner judged it poor); a FAILED
    trial, or one without a value, teaches nothing. Logits are shaped as in ENAS:
    ``tanh_constant * tanh(logits / temperature)``.

    No state outside storage: the controller is a pure function of the seed, the arguments
    and the finished trials, rebuilt incrementally (a cache of the trials already learned
    from), so every process that sees the same history samples the same way, under any
    storage, ``n_jobs > 1``, many processes, ``ask``/``tell`` and restarts. Trials are
    learned from in number order; a trial still running when ``max_lag`` later trials have
    started is skipped, and so is one that finished after the start of the trial
    ``max_lag`` numbers later (this uses the storage's timestamps, so machines sharing a
    database should keep their clocks in sync).

    Multi-objective studies are refused with a ``ValueError``.

    Args:
        hidden_size: LSTM units (ENAS's code uses 64).
        lr: Adam's learning rate. ENAS used 0.0035 over thousands of sampled networks; the
            preset 0.03 lets the policy move within a few tens of trials (studies/sweep.py
            and studies/early_learning.py measure both, see BENCHMARKS.md).
        entropy_weight: Weight of the entropy bonus (ENAS: 1e-4).
        baseline_decay: Decay of the reward baseline (ENAS: 0.99).
        temperature: Logit temperature (ENAS ports: 5).
        tanh_constant: Logit range (ENAS: 1.1 to 2.5). It bounds how sure the controller can
            get of one choice (at 1.5, 83% of five), which keeps a fast learner exploring.
        max_int_choices: Integers with at most this many values are modelled.
        max_lag: How long a slow trial may hold up learning, in trials.
        seed: Seed of the controller's initial weights and of every sampling decision.

    Example:
        >>> import optuna
        >>> from optunas.samplers import ReinforceSampler
        >>> def objective(trial):
        ...     ops = [trial.suggest_categorical(f"layer_{i}", ["conv", "pool", "skip"])
        ...            for i in range(3)]
        ...     return ops.count("conv")
        >>> study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
        >>> study.optimize(objective, n_trials=40)
        >>> study.best_value
        3.0
    """

    def __init__(
        self,
        *,
        hidden_size: int = 64,
        lr: float = 0.03,
        entropy_weight: float = 1e-4,
        baseline_decay: float = 0.99,
        temperature: float = 5.0,
        tanh_constant: float = 1.5,
        max_int_choices: int = 32,
        max_lag: int = 64,
        seed: int | None = None,
    ) -> None:
        if hidden_size < 1 or max_int_choices < 1 or max_lag < 1:
            raise ValueError("hidden_size, max_int_choices and max_lag must be positive")
        if not 0.0 <= baseline_decay < 1.0:
            raise ValueError(f"baseline_decay must lie in [0, 1), got {baseline_decay}")
        if temperature <= 0 or tanh_constant <= 0 or lr <= 0:
            raise ValueError("temperature, tanh_constant and lr must be positive")
        self._hidden = hidden_size
        self._lr = lr
        self._entropy_weight = entropy_weight
        self._baseline_decay = baseline_decay
        self._temperature = temperature
        self._tanh_constant = tanh_constant
        self._max_int_choices = max_int_choices
        self._max_lag = max_lag
        self._seed = seed if seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        self._lock = threading.RLock()
        self._reset(None)

    def _reset(self, study_key: tuple[int, int] | None) -> None:
        self._study_key = study_key
        self._controller = _Controller(self._hidden, self._seed, self._lr)
        self._ema, self._n_rewards = 0.0, 0  # the reward baseline, before bias correction
        self._next = 0  # trials below this number have been learned from (or skipped)
        self._synced_for: int | None = None  # the trial whose start last read the storage
        self._live: OrderedDict[int, tuple[list[_Decision], Any]] = OrderedDict()

    def reseed_rng(self) -> None:
        # Sampling is seeded per decision from (seed, trial number, param name), so that
        # processes agree; there is no running generator to reseed.
        pass

    # -- Optuna's sampler interface -------------------------------------------------------

    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        self._check_single_objective(study)
        return {}

    def sample_relative(self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]) -> dict[str, Any]:
        self._check_single_objective(study)
        return {}

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock:
            self._sync(study, trial._trial_id)

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        with self._lock:
            self._live.pop(trial._trial_id, None)

    def sample_independent(self, study: Study, trial: FrozenTrial, param_name: str,
                           param_distribution: BaseDistribution) -> Any:
        self._check_single_objective(study)
        key_size = self._key(param_name, param_distribution)
        if key_size is None:
            fallback = RandomSampler(seed=_stable_hash(self._seed, trial.number, param_name) % 2**32)
            return fallback.sample_independent(study, trial, param_name, param_distribution)
        key, size = key_size
        with self._lock:
            self._sync(study, trial._trial_id)
            decisions, state = self._trial_state(trial)
            with torch.no_grad():
                state, logits = self._controller.step(
                    state, decisions[-1] if decisions else None, key, size,
                    self._temperature, self._tanh_constant,
                )
            probs = torch.softmax(logits, dim=0).numpy()
            rng = np.random.default_rng([self._seed, trial.number, _stable_hash(param_name)])
            index = int(rng.choice(size, p=probs / probs.sum()))
            decisions.append(_Decision(key, size, index))
            self._live[trial._trial_id] = (decisions, state)
            self._live.move_to_end(trial._trial_id)
            while len(self._live) > 1024:  # trials whose after_trial never ran (ask/tell)
                self._live.popitem(last=False)
        return self._value(param_distribution, index)

    # -- helpers --------------------------------------------------------------------------

    @staticmethod
    def _check_single_objective(study: Study) -> None:
        if len(study.directions) > 1:
            raise ValueError(
                "ReinforceSampler supports single-objective studies only; for several "
                "objectives use EvolutionSampler, NSGAIISampler or TPESampler"
            )

    def _key(self, name: str, dist: BaseDistribution) -> tuple[str, int] | None:
        if isinstance(dist, CategoricalDistribution):
            return f"{name}|{dist.choices!r}", len(dist.choices)
        if isinstance(dist, IntDistribution) and not dist.log:
            size = (dist.high - dist.low) // dist.step + 1
            if size <= self._max_int_choices:
                return f"{name}|int({dist.low},{dist.high},{dist.step})", size
        return None

    @staticmethod
    def _value(dist: BaseDistribution, index: int) -> Any:
        if isinstance(dist, CategoricalDistribution):
            return dist.choices[index]
        assert isinstance(dist, IntDistribution)
        return int(dist.low + index * dist.step)

    @staticmethod
    def _index(dist: BaseDistribution, value: Any) -> int:
        if isinstance(dist, CategoricalDistribution):
            return int(dist.to_internal_repr(value))
        assert isinstance(dist, IntDistribution)
        return int((value - dist.low) // dist.step)

    def _decisions(self, trial: FrozenTrial) -> list[_Decision]:
        """The modelled choices of a trial, in suggestion order (every storage keeps params
        in the order they were set)."""
        decisions = []
        for name, value in trial.params.items():
            dist = trial.distributions[name]
            key_size = self._key(name, dist)
            if key_size is not None:
                decisions.append(_Decision(key_size[0], key_size[1], self._index(dist, value)))
        return decisions

    def _trial_state(self, trial: FrozenTrial) -> tuple[list[_Decision], Any]:
        """The controller state after the trial's choices so far (cached, or replayed)."""
        done = self._decisions(trial)
        cached = self._live.get(trial._trial_id)
        if cached is not None and [d.index for d in cached[0]] == [d.index for d in done] \
                and [d.key for d in cached[0]] == [d.key for d in done]:
            return list(cached[0]), cached[1]
        state = None
        with torch.no_grad():
            for k, decision in enumerate(done):
                state, _ = self._controller.step(
                    state, done[k - 1] if k else None, decision.key, decision.size,
                    self._temperature, self._tanh_constant,
                )
        return done, state

    def _reward(self, study: Study, trial: FrozenTrial) -> float | None:
        if trial.state == TrialState.COMPLETE:
            value = trial.value
        elif trial.state == TrialState.PRUNED and trial.intermediate_values:
            value = trial.intermediate_values[max(trial.intermediate_values)]
        else:
            return None
        if value is None or not math.isfinite(value):
            return None
        return value if study.direction == StudyDirection.MAXIMIZE else -value

    def _sync(self, study: Study, trial_id: int) -> None:
        """Learn from the finished trials not learned from yet, in trial-number order; the
        storage is read once per trial, not once per suggestion."""
        study_key = (id(study._storage), study._study_id)
        if study_key != self._study_key:
            self._reset(study_key)
        elif trial_id == self._synced_for:
            return
        self._synced_for = trial_id
        trials = study._get_trials(deepcopy=False, use_cache=True)
        while self._next < len(trials):
            trial = trials[self._next]
            later = self._next + self._max_lag
            reference = trials[later] if later < len(trials) else None
            if trial.state.is_finished():
                on_time = (
                    reference is None or trial.datetime_complete is None
                    or reference.datetime_start is None
                    or trial.datetime_complete <= reference.datetime_start
                )
                if on_time:
                    self._learn(study, trial)
            elif reference is None:
                break  # wait for it: it may still finish in time
            self._next += 1

    def _learn(self, study: Study, trial: FrozenTrial) -> None:
        reward = self._reward(study, trial)
        decisions = self._decisions(trial)
        if reward is None or not decisions:
            return
        # The baseline is an exponential moving average corrected for its zero start, as in
        # Adam: plain, it would start at the first reward and stay near it for some hundred
        # trials, so one lucky or unlucky first cell would skew every early update.
        decay = self._baseline_decay
        self._ema = decay * self._ema + (1 - decay) * reward
        self._n_rewards += 1
        advantage = reward - self._ema / (1 - decay**self._n_rewards)
        state, log_prob, entropy = None, 0.0, 0.0
        for k, decision in enumerate(decisions):
            state, logits = self._controller.step(
                state, decisions[k - 1] if k else None, decision.key, decision.size,
                self._temperature, self._tanh_constant,
            )
            log_probs = torch.log_softmax(logits, dim=0)
            log_prob = log_prob + log_probs[decision.index]
            entropy = entropy - (log_probs.exp() * log_probs).sum()
        loss = -advantage * log_prob - self._entropy_weight * entropy
        loss.backward()
        self._controller.adam_step()
