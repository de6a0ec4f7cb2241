"""ReinforceSampler on SQLite: a worker joining a long study, and a whole study against TPE.

    python studies/reinforce_timing.py --join-at 1000 --trials 300 --repeats 3

Two figures, each the median of ``--repeats`` runs, on the tabular objective (NopPruner, so
every trial runs its curve to the end and the sampler sees every value), all with
``seed=None`` as the CLI's workers run:

* *first suggestion*: ReinforceSampler runs ``--join-at`` trials into a SQLite study (storing
  its policy snapshots as it goes); then a new worker process opens the study and is timed
  from ``load_study`` to its first architecture (six choices), the time a worker added to a
  running study waits before it proposes anything, split into ``load_study``, the first
  ``ask`` and the first trial's six suggestions. Four kinds of worker join the same study:
  ReinforceSampler, ReinforceSampler with ``snapshot_every=None`` (a full replay of the
  history, as before snapshots), the TPE preset, and Optuna's RandomSampler, which reads
  nothing: its time is what opening the study and starting a trial cost any sampler (Optuna's
  ``ask`` reads every trial of the study into its cache before it calls the sampler).
* *study*: the wall time of one process running ``--trials`` trials into a new SQLite study,
  ReinforceSampler against the TPE preset (``get_sampler("tpe")``), the two alternating.

SQLite commits wait for the disk, so on a shared machine ``--dir /dev/shm`` (a RAM disk)
times the samplers rather than the disk.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import optuna

from optunas.benchmarks import TabularObjective
from optunas.samplers import ReinforceSampler, get_sampler

# A fresh interpreter, so that nothing the history's process learnt or cached is reused;
# the clock starts after the imports, which every worker pays whatever its sampler.
JOIN = textwrap.dedent(
    """
    import sys, time, optuna
    from optunas.samplers import ReinforceSampler, get_sampler
    from optunas.spaces import NB201
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    kind = sys.argv[2]
    started = time.perf_counter()
    sampler = ReinforceSampler(snapshot_every=None) if kind == "replay" else get_sampler(kind)
    study = optuna.load_study(study_name="s", storage=sys.argv[1], sampler=sampler)
    loaded = time.perf_counter()
    trial = study.ask()  # ReinforceSampler learns here, in before_trial
    asked = time.perf_counter()
    NB201().suggest(trial)
    done = time.perf_counter()
    print(done - started, loaded - started, asked - loaded, done - asked)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)  # leave the study as it was found
    """
)
WORKERS = {
    "reinforce": "reinforce",
    "reinforce, full replay": "replay",
    "tpe": "tpe",
    "random": "random",
}
PARTS = ("total", "load_study", "first ask", "six suggestions")


def first_suggestions(n: int, repeats: int, directory: str | None) -> dict[str, list[list[float]]]:
    """Per worker, one list of seconds per part of :data:`PARTS`."""
    times: dict[str, list[list[float]]] = {name: [[] for _ in PARTS] for name in WORKERS}
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        url = f"sqlite:///{Path(tmp) / 'join.db'}"
        study = optuna.create_study(
            study_name="s",
            storage=url,
            direction="maximize",
            sampler=ReinforceSampler(),
            pruner=optuna.pruners.NopPruner(),
        )
        study.optimize(TabularObjective(), n_trials=n)
        for _ in range(repeats):
            for name, kind in WORKERS.items():
                out = subprocess.run(
                    [sys.executable, "-c", JOIN, url, kind],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                seconds = out.stdout.strip().splitlines()[-1].split()
                for part, value in zip(times[name], seconds, strict=True):
                    part.append(float(value))
    return times


def study_seconds(sampler: str, n: int, directory: str | None) -> float:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        study = optuna.create_study(
            storage=f"sqlite:///{Path(tmp) / 'study.db'}",
            direction="maximize",
            sampler=get_sampler(sampler, seed=None),
            pruner=optuna.pruners.NopPruner(),
        )
        objective = TabularObjective()
        started = time.perf_counter()
        study.optimize(objective, n_trials=n)
        return time.perf_counter() - started


def row(measure: str, runs: list[float]) -> str:
    return f"| {measure} | {statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--join-at", type=int, default=1000, help="finished trials before the worker joins"
    )
    parser.add_argument("--trials", type=int, default=300, help="trials of the whole-study timing")
    parser.add_argument("--samplers", default="reinforce,tpe")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--dir", default=None, help="where the SQLite files go (default: the system's temp)"
    )
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    print("| measure | seconds (median) | runs |")
    print("|---|---|---|")
    if args.join_at > 0:
        for name, parts in first_suggestions(args.join_at, args.repeats, args.dir).items():
            for part, runs in zip(PARTS, parts):
                measure = f"first suggestion after {args.join_at} trials, {name}: {part}"
                print(row(measure, runs), flush=True)
    if args.trials > 0:
        names = args.samplers.split(",")
        runs = {name: [] for name in names}
        for _ in range(args.repeats):
            for name in names:
                runs[name].append(study_seconds(name, args.trials, args.dir))
        for name in names:
            print(row(f"{args.trials}-trial study, {name}", runs[name]), flush=True)
