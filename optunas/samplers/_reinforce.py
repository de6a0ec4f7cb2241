"""RL-NAS: an LSTM controller that emits the architecture choice by choice, trained with
REINFORCE on the study's finished trials (Zoph & Le 2017; Pham et al. 2018)."""

from __future__ import annotations

import math
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    IntDistribution,
)
from optuna.samplers import BaseSampler, RandomSampler
from optuna.study import Study, StudyDirection
from optuna.trial import FrozenTrial, TrialState

from optunas._compat import (
    get_study_system_attrs,
    get_trials_cached,
    set_study_system_attr,
    set_trial_system_attr,
    storage_of,
    study_id_of,
    study_key,
    trial_id_of,
)
from optunas.samplers._chunked import write_chunked
from optunas.samplers._common import REINFORCE_ENTROPY_ATTR, _stable_hash
from optunas.samplers._controller import (
    SNAPSHOT_VERSION,
    Controller,
    Decision,
    load_snapshot,
    one_thread,
    pack,
)

#: Study system attrs: the controller's initial seed when the sampler has none, and the
#: policy snapshots (one per sampler configuration, the latest only).
_INIT_SEED_ATTR = "optunas:reinforce:init_seed"
_SNAPSHOT_ATTR = "optunas:reinforce:snapshot:"


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

    No state outside storage: the controller is a pure function of its initial seed, the
    arguments and the finished trials, rebuilt incrementally (a cache of the trials already
    learned from), so every process that sees the same history holds the same controller,
    under any storage, ``n_jobs > 1``, many processes, ``ask``/``tell`` and restarts.

    With ``seed=None`` (the CLI's workers) the initial seed comes from the study: the first
    process to use the study stores one in the study's system attrs
    (``optunas:reinforce:init_seed``) and every process reads it from there. The value it
    stores is a hash of the study name, so processes that start at the same moment store
    the same value; once stored it goes wherever the study's attrs go, so a copy under
    another name (``optuna.copy_study``) keeps the original's controller, as it keeps its
    trials. The sampling noise stays each process's own (drawn from the OS's entropy), so
    workers sharing a controller still propose different architectures. With a seed, that
    seed sets both, and two processes with one seed and one history propose the same.

    Replaying a long history is what a joining worker would otherwise wait for (some
    milliseconds an update: 5 to 15 s for 1,000 trials), so every ``snapshot_every``
    trials learned the policy (weights, Adam's moments, the reward baseline) is stored in
    the study's system attrs with the number of trials it covers, and a new process loads
    it and replays only the trials after it. The snapshot is bit for bit the state a full
    replay reaches, so it changes no suggestion. It is stored compressed, in attrs of 50,000
    characters (MySQL and MariaDB hold at most 64 KB in one), in one of two slots in turn
    with a manifest written last, so a reader never loads a snapshot half written: for an
    NB201 cell 22 chunks, 1.06 MB of storage per sampler configuration (the slot replaced
    is blanked). Snapshots stored in one attr by earlier versions are read.

    Trials are learned from in number order; a trial still running when ``max_lag`` later
    trials have started is skipped, and so is one that finished after the start of the
    trial ``max_lag`` numbers later (this uses the storage's timestamps, so machines
    sharing a database should keep their clocks in sync).

    At each trial's end the policy's entropy over the choices it made for the trial goes to
    the trial's system attr ``optunas:reinforce:entropy`` (nats, beside a uniform policy's),
    which :class:`optunas.dashboard.StudyCharts` draws: one storage write per trial.

    Multi-objective studies are refused with a ``ValueError``.

    Args:
        hidden_size: LSTM units (ENAS's code uses 64).
        lr: Adam's learning rate. ENAS used 0.0035 over thousands of sampled networks; the
            preset 0.03 lets the policy move within a few tens of trials (studies/sweep.py
            and studies/early_learning.py measure both, see BENCHMARKS.md).
        entropy_weight: Weight of the entropy bonus (ENAS: 1e-4).
        baseline_decay: Decay of the reward baseline (ENAS: 0.99). The preset 0.9 follows the
            last tens of rewards: on NAS-Bench-201 it lowered the regret after 100 trials on
            the tuning and the check datasets alike (docs/research/samplers.md, section 7).
        temperature: Logit temperature (ENAS ports: 5).
        tanh_constant: Logit range (ENAS: 1.1 to 2.5). It bounds how sure the controller can
            get of one choice (at 1.5, 83% of five), which keeps a fast learner exploring.
        max_int_choices: Integers with at most this many values are modelled.
        max_lag: How long a slow trial may hold up learning, in trials.
        snapshot_every: Trials learned between stored policy snapshots; ``None`` stores none
            (every new process then replays the whole history).
        seed: Seed of the controller's initial weights and of every sampling decision. With
            ``None``, the weights come from the study and the sampling from the OS's entropy.

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
        baseline_decay: float = 0.9,
        temperature: float = 5.0,
        tanh_constant: float = 1.5,
        max_int_choices: int = 32,
        max_lag: int = 64,
        snapshot_every: int | None = 100,
        seed: int | None = None,
    ) -> None:
        if hidden_size < 1 or max_int_choices < 1 or max_lag < 1:
            raise ValueError("hidden_size, max_int_choices and max_lag must be positive")
        if snapshot_every is not None and snapshot_every < 1:
            raise ValueError(f"snapshot_every must be positive or None, got {snapshot_every}")
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
        self._snapshot_every = snapshot_every
        self._seed = seed
        self._lock = threading.RLock()
        self.reseed_rng()
        self._updates = 0  # REINFORCE updates this object has run (replays included)
        self._study_key: tuple[int, int] | None = None
        self._controller: Controller | None = None
        self._live: OrderedDict[int, tuple[list[Decision], Any]] = OrderedDict()
        # Per running trial: (entropy, uniform entropy) of the choices sampled so far.
        self._entropy: OrderedDict[int, tuple[float, float]] = OrderedDict()

    def _reset(self, study: Study) -> None:
        self._study_key = study_key(study)
        attrs = get_study_system_attrs(study)
        init_seed = self._seed if self._seed is not None else self._study_seed(study, attrs)
        self._controller = Controller(self._hidden, init_seed, self._lr)
        self._ema, self._n_rewards = 0.0, 0  # the reward baseline, before bias correction
        self._next = 0  # trials below this number have been learned from (or skipped)
        self._synced_for: int | None = None  # the trial whose start last read the storage
        self._live = OrderedDict()
        # The snapshot's key names everything the policy depends on besides the trials.
        self._snapshot_key = _SNAPSHOT_ATTR + format(
            _stable_hash(
                init_seed,
                self._hidden,
                self._lr,
                self._entropy_weight,
                self._baseline_decay,
                self._temperature,
                self._tanh_constant,
                self._max_int_choices,
                self._max_lag,
            ),
            "016x",
        )
        self._snapshot_at = 0  # the trials the latest snapshot known to be stored covers
        if self._snapshot_every is not None:
            self._restore(attrs)

    @staticmethod
    def _study_seed(study: Study, attrs: dict[str, Any]) -> int:
        seed = attrs.get(_INIT_SEED_ATTR)
        if seed is None:
            # Deterministic, not random: processes that meet a new study at the same
            # moment all write the same value, whoever writes last.
            seed = _stable_hash("reinforce", study.study_name) % 2**31
            set_study_system_attr(study, _INIT_SEED_ATTR, seed)
        return int(seed)

    def _restore(self, attrs: dict[str, Any]) -> None:
        assert self._controller is not None
        loaded = load_snapshot(attrs, self._snapshot_key)
        if loaded is None:
            return
        snapshot, data = loaded
        try:
            self._controller.load(snapshot["controller"], data)
            ema, n_rewards, covers = (
                float(snapshot["ema"]),
                int(snapshot["n_rewards"]),
                int(snapshot["covers"]),
            )
        except (KeyError, TypeError, ValueError):
            # Not one this version can read: start over and replay, as without snapshots.
            self._controller = Controller(self._hidden, self._controller.seed, self._lr)
            return
        self._ema, self._n_rewards = ema, n_rewards
        self._next = self._snapshot_at = covers

    def _store_snapshot(self, study: Study) -> None:
        assert self._controller is not None
        stored = get_study_system_attrs(study).get(self._snapshot_key)
        if isinstance(stored, dict) and int(stored.get("covers", 0)) >= self._next:
            self._snapshot_at = int(stored["covers"])  # another worker got there first
            return
        meta, data = self._controller.state()
        snapshot = {
            "covers": self._next,
            "ema": self._ema,
            "n_rewards": self._n_rewards,
            "controller": meta,
        }
        write_chunked(
            storage_of(study),
            study_id_of(study),
            self._snapshot_key,
            pack(snapshot, data),
            {"version": SNAPSHOT_VERSION, "covers": self._next},
            previous=stored,
        )
        self._snapshot_at = self._next

    def reseed_rng(self) -> None:
        # With a seed, every sampling decision is seeded from (seed, trial number, param
        # name), so that processes with one seed agree; without, the process's own noise.
        if self._seed is None:
            self._rng = np.random.default_rng(int.from_bytes(os.urandom(16), "little"))
            self._random = RandomSampler(seed=int.from_bytes(os.urandom(4), "little"))

    # -- Optuna's sampler interface -------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        self._check_single_objective(study)
        return {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        self._check_single_objective(study)
        return {}

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        with self._lock, one_thread():
            self._sync(study, trial_id_of(trial))

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        with self._lock:
            self._live.pop(trial_id_of(trial), None)
            entropy = self._entropy.pop(trial_id_of(trial), None)
        if entropy is not None:
            # Optuna calls after_trial before it closes the trial, so the trial still takes
            # attrs: one write per trial.
            set_trial_system_attr(
                study,
                trial,
                REINFORCE_ENTROPY_ATTR,
                {"nats": round(entropy[0], 4), "uniform": round(entropy[1], 4)},
            )

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        self._check_single_objective(study)
        key_size = self._key(param_name, param_distribution)
        if key_size is None:
            if self._seed is None:
                with self._lock:
                    return self._random.sample_independent(
                        study, trial, param_name, param_distribution
                    )
            fallback = RandomSampler(
                seed=_stable_hash(self._seed, trial.number, param_name) % 2**32
            )
            return fallback.sample_independent(study, trial, param_name, param_distribution)
        key, size = key_size
        with self._lock, one_thread():
            self._sync(study, trial_id_of(trial))
            assert self._controller is not None
            decisions, state = self._trial_state(trial)
            with torch.no_grad():
                state, logits = self._controller.step(
                    state,
                    decisions[-1] if decisions else None,
                    key,
                    size,
                    self._temperature,
                    self._tanh_constant,
                )
            probs = torch.softmax(logits, dim=0).numpy()
            if self._seed is None:
                rng = self._rng
            else:
                rng = np.random.default_rng([self._seed, trial.number, _stable_hash(param_name)])
            index = int(rng.choice(size, p=probs / probs.sum()))
            self._add_entropy(trial_id_of(trial), probs, size)
            decisions.append(Decision(key, size, index))
            self._live[trial_id_of(trial)] = (decisions, state)
            self._live.move_to_end(trial_id_of(trial))
            while len(self._live) > 1024:  # trials whose after_trial never ran (ask/tell)
                self._live.popitem(last=False)
        return self._value(param_distribution, index)

    # -- helpers --------------------------------------------------------------------------

    def _add_entropy(self, trial_id: int, probs: np.ndarray, size: int) -> None:
        """Add a choice's entropy to its trial's sum (bounded as ``_live`` is)."""
        p = probs[probs > 0] / probs.sum()
        nats, uniform = self._entropy.pop(trial_id, (0.0, 0.0))
        self._entropy[trial_id] = (nats - float((p * np.log(p)).sum()), uniform + math.log(size))
        while len(self._entropy) > 1024:
            self._entropy.popitem(last=False)

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

    def _decisions(self, trial: FrozenTrial) -> list[Decision]:
        """The modelled choices of a trial, in suggestion order (every storage keeps params
        in the order they were set)."""
        decisions = []
        for name, value in trial.params.items():
            dist = trial.distributions[name]
            key_size = self._key(name, dist)
            if key_size is not None:
                decisions.append(Decision(key_size[0], key_size[1], self._index(dist, value)))
        return decisions

    def _trial_state(self, trial: FrozenTrial) -> tuple[list[Decision], Any]:
        """The controller state after the trial's choices so far (cached, or replayed)."""
        assert self._controller is not None
        done = self._decisions(trial)
        cached = self._live.get(trial_id_of(trial))
        if (
            cached is not None
            and [d.index for d in cached[0]] == [d.index for d in done]
            and [d.key for d in cached[0]] == [d.key for d in done]
        ):
            return list(cached[0]), cached[1]
        state = None
        with torch.no_grad():
            for k, decision in enumerate(done):
                state, _ = self._controller.step(
                    state,
                    done[k - 1] if k else None,
                    decision.key,
                    decision.size,
                    self._temperature,
                    self._tanh_constant,
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
        if study_key(study) != self._study_key:
            self._reset(study)
        elif trial_id == self._synced_for:
            return
        self._synced_for = trial_id
        trials = get_trials_cached(study)
        while self._next < len(trials):
            trial = trials[self._next]
            later = self._next + self._max_lag
            reference = trials[later] if later < len(trials) else None
            if trial.state.is_finished():
                on_time = (
                    reference is None
                    or trial.datetime_complete is None
                    or reference.datetime_start is None
                    or trial.datetime_complete <= reference.datetime_start
                )
                if on_time:
                    self._learn(study, trial)
            elif reference is None:
                break  # wait for it: it may still finish in time
            self._next += 1
        if (
            self._snapshot_every is not None
            and self._next - self._snapshot_at >= self._snapshot_every
        ):
            self._store_snapshot(study)

    def _learn(self, study: Study, trial: FrozenTrial) -> None:
        assert self._controller is not None
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
        # log_prob and entropy are tensors from the first choice on.
        log_prob: Any
        entropy: Any
        state, log_prob, entropy = None, 0.0, 0.0
        for k, decision in enumerate(decisions):
            state, logits = self._controller.step(
                state,
                decisions[k - 1] if k else None,
                decision.key,
                decision.size,
                self._temperature,
                self._tanh_constant,
            )
            log_probs = torch.log_softmax(logits, dim=0)
            log_prob = log_prob + log_probs[decision.index]
            entropy = entropy - (log_probs.exp() * log_probs).sum()
        loss = -advantage * log_prob - self._entropy_weight * entropy
        loss.backward()
        self._controller.adam_step()
        self._updates += 1
