"""ReinforceSampler: Optuna's generic sampler tests, determinism, learning, many workers."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import subprocess
import sys
import textwrap

import optuna
import pytest
import torch
from optuna.testing.pytest_samplers import (
    BasicSamplerTestCase,
    SingleOnlySamplerTestCase,
)

from optunas._storage import open_storage
from optunas.samplers import ReinforceSampler, get_sampler


class TestReinforceBasic(BasicSamplerTestCase):
    @pytest.fixture
    def sampler(self):
        return lambda: ReinforceSampler(seed=0)


class TestReinforceBasicUnseeded(BasicSamplerTestCase):
    @pytest.fixture
    def sampler(self):
        return lambda: ReinforceSampler()


class TestReinforceSingleOnly(SingleOnlySamplerTestCase):
    @pytest.fixture
    def sampler(self):
        return lambda: ReinforceSampler(seed=0)


def _cells(trial: optuna.Trial) -> float:
    ops = [trial.suggest_categorical(f"cell/edge_{e}", ["a", "b", "c", "d", "e"]) for e in range(6)]
    return ops.count("a") + 0.5 * ops.count("b")


@pytest.mark.slow
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


@pytest.mark.slow
def test_same_seed_and_history_give_the_same_next_architecture(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}"
    study = optuna.create_study(
        storage=url, study_name="h", direction="maximize", sampler=ReinforceSampler(seed=3)
    )
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
    study = optuna.create_study(
        direction="maximize",
        sampler=ReinforceSampler(seed=0),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=9),
    )

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


# A worker as the CLI starts one (seed=None): it opens the study, starts a trial (which brings
# its controller up to date with the finished trials) and prints what it would propose from.
WORKER = textwrap.dedent(
    """
    import hashlib, json, sys, optuna, torch
    from optunas.samplers import ReinforceSampler
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = ReinforceSampler()
    study = optuna.load_study(study_name=sys.argv[2], storage=sys.argv[1], sampler=sampler)
    cells = []
    for _ in range(3):
        trial = study.ask()
        cells.append([trial.suggest_categorical(f"cell/edge_{e}", ["a", "b", "c", "d", "e"])
                      for e in range(6)])
    params = torch.cat([p.detach().reshape(-1) for p in sampler._controller.parameters()])
    logits = sampler._controller.step(None, None, "cell/edge_0|('a', 'b', 'c', 'd', 'e')", 5, 5.0, 1.5)[1]
    print(json.dumps({"digest": hashlib.sha256(params.numpy().tobytes()).hexdigest(),
                      "probs": torch.softmax(logits, 0).tolist(), "cells": cells}))
    """
)


def _digest(sampler: ReinforceSampler) -> str:
    params = torch.cat([p.detach().reshape(-1) for p in sampler._controller.parameters()])
    return hashlib.sha256(params.numpy().tobytes()).hexdigest()


@pytest.mark.slow
def test_unseeded_workers_rebuild_one_controller_and_keep_their_own_noise(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    study = optuna.create_study(
        storage=url, study_name="w", direction="maximize", sampler=ReinforceSampler()
    )
    study.optimize(_cells, n_trials=40)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    outs = []
    for _ in range(2):  # two new processes, one after the other, on the same storage
        proc = subprocess.run(
            [sys.executable, "-c", WORKER, url, "w"],
            capture_output=True,
            text=True,
            check=False,
            env=env,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    # Both replayed the same 40 trials into the same weights, hence the same policy ...
    assert outs[0]["digest"] == outs[1]["digest"]
    assert outs[0]["probs"] == outs[1]["probs"]
    # ... the one the process that ran the study learnt trial by trial (its 41st trial
    # brings it up to date) ...
    study.ask()
    assert _digest(study.sampler) == outs[0]["digest"]
    # ... and one that learnt: not the uniform policy of a controller that saw nothing.
    assert max(outs[0]["probs"]) - min(outs[0]["probs"]) > 0.01
    # Each process draws its own architectures from it (18 choices alike by chance: < 1e-8).
    assert outs[0]["cells"] != outs[1]["cells"]


@pytest.mark.slow
def test_a_copied_study_keeps_its_controller(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    study = optuna.create_study(
        storage=url, study_name="original", direction="maximize", sampler=ReinforceSampler()
    )
    study.optimize(_cells, n_trials=30)
    study.ask()
    optuna.copy_study(
        from_study_name="original", from_storage=url, to_storage=url, to_study_name="copy"
    )
    copy = optuna.load_study(study_name="copy", storage=url, sampler=ReinforceSampler())
    copy.ask()
    assert _digest(copy.sampler) == _digest(study.sampler)
    # Another study (another name, its own stored seed) starts from other weights.
    other = optuna.create_study(storage=url, study_name="other", sampler=ReinforceSampler())
    other.ask()
    fresh = optuna.create_study(storage=url, study_name="fresh", sampler=ReinforceSampler())
    fresh.ask()
    assert _digest(other.sampler) != _digest(fresh.sampler)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", "journal"])
def test_a_joining_worker_replays_only_the_trials_after_the_snapshot(kind, tmp_path) -> None:
    url = (
        f"sqlite:///{tmp_path / 's.db'}"
        if kind == "sqlite"
        else open_storage(f"journal:{tmp_path / 's.log'}", heartbeat=False)  # ask, no optimize
    )
    study = optuna.create_study(
        storage=url,
        study_name="s",
        direction="maximize",
        sampler=ReinforceSampler(snapshot_every=50),
    )
    study.optimize(_cells, n_trials=130)
    study.ask()  # the study's own sampler learns from all 130 trials
    joined = optuna.load_study(
        study_name="s", storage=url, sampler=ReinforceSampler(snapshot_every=50)
    )
    joined.ask()
    replayed = optuna.load_study(
        study_name="s", storage=url, sampler=ReinforceSampler(snapshot_every=None)
    )
    replayed.ask()
    # The snapshot covered trials 0-99: the new worker learnt from the last 30 only, where a
    # worker without snapshots replays all 130 ...
    assert joined.sampler._updates == 30
    assert replayed.sampler._updates == 130
    # ... and all three hold the same controller, bit for bit.
    for a, b in [(joined.sampler, study.sampler), (replayed.sampler, study.sampler)]:
        assert a._ema == b._ema
        for p, q in zip(a._controller.parameters(), b._controller.parameters(), strict=True):
            assert torch.equal(p, q)
    with pytest.raises(ValueError):
        ReinforceSampler(snapshot_every=0)


def test_torch_keeps_its_thread_count() -> None:
    # The controller runs on one thread while it works; the objective's training must not.
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
        study.optimize(_cells, n_trials=5, n_jobs=2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


EDGE = optuna.distributions.CategoricalDistribution(["a", "b", "c", "d", "e"])
COMPLETE = optuna.trial.TrialState.COMPLETE


def _trial(ops: str, state: optuna.trial.TrialState, **kwargs) -> optuna.trial.FrozenTrial:
    """A finished trial whose cell is ``ops`` (one letter an edge)."""
    return optuna.trial.create_trial(
        state=state,
        params={f"cell/edge_{e}": op for e, op in enumerate(ops)},
        distributions={f"cell/edge_{e}": EDGE for e in range(len(ops))},
        **kwargs,
    )


def _learnt(trials: list[optuna.trial.FrozenTrial], direction: str) -> ReinforceSampler:
    """A sampler that has learnt from ``trials`` (finished, in this order)."""
    study = optuna.create_study(direction=direction, sampler=ReinforceSampler(seed=5))
    for trial in trials:
        study.add_trial(trial)
    study.ask()  # brings the controller up to date
    return study.sampler


def _same_controller(a: ReinforceSampler, b: ReinforceSampler) -> bool:
    return a._ema == b._ema and all(
        torch.equal(p, q)
        for p, q in zip(a._controller.parameters(), b._controller.parameters(), strict=True)
    )


@pytest.mark.parametrize("direction", ["maximize", "minimize"])
def test_a_pruned_trial_teaches_its_last_value_and_a_failed_one_nothing(direction) -> None:
    complete, pruned, failed = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.FAIL,
    )
    before = [_trial("abcdea", complete, value=2.0), _trial("bbbbbb", complete, value=1.0)]
    after = [_trial("aaaaaa", complete, value=3.0)]
    # Steps reported out of order: the last step's value is neither the first, the best nor
    # the latest reported.
    curve = {2: 0.7, 0: 0.3, 1: 0.9}
    as_pruned = _learnt(
        [*before, _trial("ccdcce", pruned, intermediate_values=curve), *after], direction
    )
    as_complete = _learnt([*before, _trial("ccdcce", complete, value=0.7), *after], direction)
    assert _same_controller(as_pruned, as_complete)
    # A failed trial, even with a curve, and a pruned one that reported nothing: as if absent.
    without = _learnt([*before, *after], direction)
    for silent in [
        _trial("ccdcce", failed, intermediate_values=curve),
        _trial("ccdcce", pruned),
    ]:
        assert _same_controller(_learnt([*before, silent, *after], direction), without)
    # The pruned trial did teach something.
    assert not _same_controller(as_pruned, without)
    assert as_pruned._updates == without._updates + 1 == 4


def test_a_slow_trial_is_learnt_from_only_if_it_ends_within_max_lag_trials() -> None:
    # Trial 0 is slow: it ends after trial 2 started. With max_lag=2 it is skipped, by the
    # process that ran the study and by one that joins later (from the timestamps), ...
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0, max_lag=2))
    slow = study.ask()
    trial = study.ask()
    study.tell(trial, _cells(trial))
    assert study.sampler._updates == 0  # one trial behind trial 0: learning waits for it
    trial = study.ask()
    study.tell(trial, _cells(trial))
    assert study.sampler._updates == 1  # two behind: trial 0 skipped, trial 1 learnt
    study.tell(slow, _cells(slow))
    for _ in range(2):
        trial = study.ask()
        study.tell(trial, _cells(trial))
    study.ask()
    assert study.sampler._updates == 4  # trials 1-4, not 0
    joined = optuna.load_study(
        study_name=study.study_name,
        storage=study._storage,
        sampler=ReinforceSampler(seed=0, max_lag=2),
    )
    joined.ask()
    assert joined.sampler._updates == 4
    assert _same_controller(joined.sampler, study.sampler)
    # ... while with max_lag=3 it ended in time: the controller waited for it.
    waited = optuna.load_study(
        study_name=study.study_name,
        storage=study._storage,
        sampler=ReinforceSampler(seed=0, max_lag=3),
    )
    waited.ask()
    assert waited.sampler._updates == 5


def _attr_sizes(study: optuna.Study) -> dict[str, int]:
    """The bytes of each study system attr as Optuna stores it (JSON in a TEXT column)."""
    attrs = study._storage.get_study_system_attrs(study._study_id)
    return {key: len(json.dumps(value).encode()) for key, value in attrs.items()}


@pytest.mark.slow
def test_snapshots_fit_every_storage_and_a_joining_worker_starts_from_one(
    storage_url, study_name
) -> None:
    # MySQL and MariaDB keep an attr in a TEXT column of 65,535 bytes: a 1.2 MB snapshot in
    # one attr stopped every study there at its first snapshot.
    def open_study(snapshot_every: int | None = 50) -> optuna.Study:
        return optuna.load_study(
            study_name=study_name,
            storage=open_storage(storage_url, heartbeat=False),
            sampler=ReinforceSampler(seed=0, snapshot_every=snapshot_every),
        )

    rng = random.Random(0)

    def grow(study: optuna.Study, size: int) -> None:
        """Finished trials up to ``size``, of one choice each: the snapshot's size is the
        LSTM's, whatever the cell, and a trial added costs a fraction of a sampled one's
        storage writes."""
        ops = rng.choices("abcde", k=size - len(study.get_trials(deepcopy=False)))
        study.add_trials([_trial(op, COMPLETE, value=float(op == "a")) for op in ops])

    study = optuna.create_study(
        storage=open_storage(storage_url, heartbeat=False),
        study_name=study_name,
        direction="maximize",
        sampler=ReinforceSampler(seed=0, snapshot_every=50),
    )
    for size in (50, 100, 150, 200):  # a snapshot at each, the two slots in turn
        grow(study, size)
        trial = study.ask()
        study.tell(trial, _cells(trial))
    # A worker joins after trial 200: it learns from that trial only, the snapshot
    # covering the 200 before it.
    joined = open_study()
    trial = joined.ask()
    assert joined.sampler._updates == 1
    joined.tell(trial, _cells(trial))
    grow(joined, 250)
    # A snapshot is the state a full replay reaches, bit for bit ...
    restored, replayed = open_study(), open_study(snapshot_every=None)
    restored.ask()  # from the snapshot covering 200 trials (and stores one covering 250)
    replayed.ask()
    assert (restored.sampler._updates, replayed.sampler._updates) == (50, 250)
    assert _same_controller(restored.sampler, replayed.sampler)
    again = open_study()
    again.ask()
    assert again.sampler._updates == 0
    assert _same_controller(again.sampler, replayed.sampler)
    # ... every attr fits MySQL's column, and the study holds one snapshot (1.06 MB), not two.
    sizes = _attr_sizes(study)
    assert max(sizes.values()) < 65_535, max(sizes.items(), key=lambda kv: kv[1])
    assert sum(sizes.values()) < 1_200_000


def _snapshot_key(sampler: ReinforceSampler) -> str:
    return sampler._snapshot_key


def test_a_torn_snapshot_is_never_loaded() -> None:
    # Two workers that store snapshots at once may mix their chunks in one slot: the reader
    # finds that the chunks are not those the manifest was written for, and replays instead.
    study = optuna.create_study(
        direction="maximize", sampler=ReinforceSampler(seed=0, snapshot_every=50)
    )
    study.optimize(_cells, n_trials=60)
    key = _snapshot_key(study.sampler)
    attrs = study._storage.get_study_system_attrs(study._study_id)
    manifest = attrs[key]
    chunk = f"{key}:{manifest['slot']}:1"
    torn = attrs[chunk][:100] + ("A" if attrs[chunk][100] != "A" else "B") + attrs[chunk][101:]
    study._storage.set_study_system_attr(study._study_id, chunk, torn)

    def joined() -> ReinforceSampler:
        fresh = optuna.load_study(
            study_name=study.study_name,
            storage=study._storage,
            sampler=ReinforceSampler(seed=0, snapshot_every=1000),  # it stores none itself
        )
        fresh.ask()
        return fresh.sampler

    sampler = joined()
    assert sampler._updates == 60  # the whole history replayed, no torn weights loaded
    study.ask()
    assert _same_controller(sampler, study.sampler)
    # The chunks missing altogether (the other slot holds none yet): the same.
    study._storage.set_study_system_attr(study._study_id, key, {**manifest, "slot": 1})
    assert joined()._updates == 60


def test_a_snapshot_stored_before_the_chunks_is_still_read() -> None:
    # Studies on PostgreSQL, SQLite or journals hold snapshots written as one attr (version 1).
    study = optuna.create_study(
        direction="maximize", sampler=ReinforceSampler(seed=0, snapshot_every=None)
    )
    study.optimize(_cells, n_trials=50)
    trial = study.ask()  # learns from the 50 trials
    sampler = study.sampler
    meta, data = sampler._controller.state()
    old = {
        "version": 1,
        "covers": 50,
        "ema": sampler._ema,
        "n_rewards": sampler._n_rewards,
        "controller": {**meta, "data": base64.b64encode(data.astype("<f8").tobytes()).decode()},
    }
    study._storage.set_study_system_attr(study._study_id, _snapshot_key(sampler), old)
    study.tell(trial, _cells(trial))
    study.optimize(_cells, n_trials=10)
    joined = optuna.load_study(
        study_name=study.study_name,
        storage=study._storage,
        sampler=ReinforceSampler(seed=0, snapshot_every=100),
    )
    joined.ask()
    assert joined.sampler._updates == 11
    study.ask()
    assert _same_controller(joined.sampler, study.sampler)
