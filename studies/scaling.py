"""Throughput and search quality against the number of workers, per storage and NAS sampler.

    nice -n 10 python studies/scaling.py                 # about 15 minutes on 2 loaded cores
    nice -n 10 python studies/scaling.py --seeds 1 --storages journal --sleep-runs ''   # 1 min

For 1, 2, 4 and 8 worker processes on one study (PostgreSQL, a Redis journal, a journal file),
NAS samplers run trials of the NB201 x MNIST-1D table in two ways:

* ``tabular``: each trial is looked up in microseconds, so what is timed is the sampler and the
  storage: the most a study can do, and where the storage becomes the bottleneck. Every
  storage with every sampler, ``--seeds`` times;
* ``sleep``: each of a trial's 10 epochs also sleeps ``--sleep`` seconds, the stand-in for
  training (the workers of a real study spend their time in their own training). Sleeping
  costs wall time only, so fewer runs (``--sleep-runs``).

Trials per minute are counted from the storage, from the first trial's start to the last one's
end, so process start-up is not counted. Regret (best validation accuracy in the table minus the
best found, in percentage points) after the same number of trials comes from the tabular runs,
pooled over storages and seeds (the storage does not change which architectures a sampler
picks, only when), with its standard error. Workers are unseeded, as ``optunas worker`` users
are told to run them (each run is then an independent draw). Worker processes are forked once, from a parent that has
imported torch, and reused, so none pays for start-up during a measurement. The Redis journal
lives in its own database (``--redis-db``, emptied first) so that no other study's log is
replayed. Needs the PostgreSQL and Redis servers of the tests (tests/conftest.py).
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import statistics
import tempfile
import time
import uuid
from typing import Any

import optuna

from optunas._storage import open_storage
from optunas.benchmarks import TabularObjective, load_nb201_table
from optunas.samplers import get_sampler

POSTGRESQL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS = "redis://127.0.0.1:6379"


class _Sleeping:
    """A trial whose every reported epoch first sleeps: training that takes time."""

    def __init__(self, trial: optuna.Trial, seconds: float) -> None:
        self._trial = trial
        self._seconds = seconds

    def report(self, value: float, step: int) -> None:
        time.sleep(self._seconds)
        self._trial.report(value, step)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trial, name)


#: Each pool process opens a storage once per URL and keeps it, as a worker does: a storage
#: per study would leak database connections and pay for connecting in every run.
_STORAGES: dict[str, optuna.storages.BaseStorage] = {}


def _work(url: str, name: str, sampler: str, n_trials: int, sleep: float) -> None:
    """One worker: its share of the study's trials (run in a pool process)."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    if url not in _STORAGES:
        _STORAGES[url] = open_storage(url)
    table_objective = TabularObjective(objectives=["accuracy"])

    def objective(trial: optuna.Trial) -> float:
        return table_objective(_Sleeping(trial, sleep) if sleep else trial)

    study = optuna.load_study(
        study_name=name,
        storage=_STORAGES[url],
        # No seed, as a worker of `optunas worker` without --seed: ReinforceSampler takes its
        # controller from the study and its sampling noise from the process (one seed in
        # every worker would make workers that see the same trials propose the same cell).
        sampler=get_sampler(sampler, None),
        pruner=optuna.pruners.NopPruner(),
    )
    study.optimize(objective, n_trials=n_trials)


def _url(kind: str, folder: str, redis_db: int) -> str:
    if kind == "postgresql":
        return POSTGRESQL
    if kind == "redis":
        return f"{REDIS}/{redis_db}"
    return f"journal:{os.path.join(folder, uuid.uuid4().hex + '.log')}"


def run_one(pool, kind, sampler, workers, trials, sleep, folder, redis_db) -> dict:
    url = _url(kind, folder, redis_db)
    name = f"scaling-{uuid.uuid4().hex[:10]}"
    if url not in _STORAGES:
        _STORAGES[url] = open_storage(url)
    storage = _STORAGES[url]
    optuna.create_study(study_name=name, storage=storage, direction="maximize")
    shares = [trials // workers + (k < trials % workers) for k in range(workers)]
    jobs = [pool.apply_async(_work, (url, name, sampler, share, sleep)) for share in shares]
    for job in jobs:
        job.get(timeout=1800)
    study = optuna.load_study(study_name=name, storage=storage)
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(done) == trials, (kind, sampler, workers, len(done))
    span = (
        max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)
    ).total_seconds()
    best = max(t.value for t in done)
    if kind == "postgresql":
        optuna.delete_study(study_name=name, storage=storage)
    return {"per_minute": 60 * trials / span, "best": best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--storages", default="postgresql,redis,journal")
    parser.add_argument("--samplers", default="reinforce,evolution")
    parser.add_argument("--workers", default="1,2,4,8")
    parser.add_argument("--trials", type=int, default=16, help="trials per tabular study")
    parser.add_argument("--seeds", type=int, default=1, help="repeats of the tabular runs")
    parser.add_argument(
        "--sleep-runs",
        default="postgresql:evolution,postgresql:reinforce,journal:evolution",
        help="storage:sampler pairs run with the sleeping objective ('' for none)",
    )
    parser.add_argument("--sleep-trials", type=int, default=16, help="trials per sleep study")
    parser.add_argument("--sleep", type=float, default=0.5, help="seconds per epoch (x10)")
    parser.add_argument("--redis-db", type=int, default=11)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    workers = [int(w) for w in args.workers.split(",")]
    runs = [
        ("tabular", kind, sampler, seed)
        for seed in range(args.seeds)
        for kind in args.storages.split(",")
        for sampler in args.samplers.split(",")
    ]
    runs += [("sleep", *pair.split(":"), 0) for pair in args.sleep_runs.split(",") if pair]
    if any(kind == "redis" for _, kind, _, _ in runs):
        import redis

        redis.Redis.from_url(f"{REDIS}/{args.redis_db}").flushdb()
    table_best = float(load_nb201_table().valid.max())
    started = time.monotonic()
    rates: dict[tuple, list[float]] = {}
    regrets: dict[tuple, list[float]] = {}
    with multiprocessing.get_context("fork").Pool(max(workers)) as pool:
        with tempfile.TemporaryDirectory() as folder:
            for objective, kind, sampler, seed in runs:
                trials = args.trials if objective == "tabular" else args.sleep_trials
                sleep = args.sleep if objective == "sleep" else 0.0
                for k in workers:
                    result = run_one(pool, kind, sampler, k, trials, sleep, folder, args.redis_db)
                    rates.setdefault((objective, kind, sampler, k), []).append(result["per_minute"])
                    if objective == "tabular":
                        regrets.setdefault((sampler, k), []).append(
                            100 * (table_best - result["best"])
                        )
                    print(
                        f"[{time.monotonic() - started:5.0f} s] {objective} {kind} {sampler} "
                        f"x{k} seed {seed}: {result['per_minute']:.0f} trials/min, best "
                        f"{result['best']:.4f}",
                        flush=True,
                    )
    _print_tables(args, workers, rates, regrets)
    print(f"\nTotal {time.monotonic() - started:.0f} s")


def _header(workers: list[int]) -> str:
    return " | ".join(f"{k} worker{'s' * (k > 1)}" for k in workers)


def _print_tables(args, workers, rates, regrets) -> None:
    print(
        f"\nTrials per minute (speed-up over 1 worker); tabular: {args.trials} trials, mean of "
        f"{args.seeds} seeds; sleep: {args.sleep_trials} trials of 10 x {args.sleep} s\n"
    )
    print(f"| objective | storage | sampler | {_header(workers)} |")
    print("|---|---|---|" + "---|" * len(workers))
    for objective, kind, sampler in dict.fromkeys(key[:3] for key in rates):
        base = statistics.fmean(rates[(objective, kind, sampler, workers[0])])
        cells = []
        for k in workers:
            rate = statistics.fmean(rates[(objective, kind, sampler, k)])
            cells.append(f"{rate:,.0f} ({rate / base:.1f}x)")
        print(f"| {objective} | {kind} | {sampler} | " + " | ".join(cells) + " |")
    if not regrets:
        return
    print(
        f"\nRegret after {args.trials} trials, pp: mean ± standard error over storages and "
        "seeds (n draws)\n"
    )
    print(f"| sampler | {_header(workers)} |")
    print("|---|" + "---|" * len(workers))
    for sampler in dict.fromkeys(key[0] for key in regrets):
        cells = []
        for k in workers:
            values = regrets[(sampler, k)]
            se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
            cells.append(f"{statistics.fmean(values):.2f} ± {se:.2f} (n={len(values)})")
        print(f"| {sampler} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
