"""ReinforceSampler on SQLite: a worker joining a long study, and a whole study against TPE.

    python studies/reinforce_timing.py --join-at 1000 --trials 300 --repeats 3

Two figures, each the median of ``--repeats`` runs, on the tabular objective (NopPruner, so
every trial runs its curve to the end and the sampler sees every value), all with
``seed=None`` as the CLI's workers run:

* *first suggestion*: ReinforceSampler runs ``--join-at`` trials into a SQLite study (storing
  its policy snapshots as it goes); then a new worker process opens the study and is timed
  from ``load_study`` to its first architecture (six choices), the time a worker added to a
  running study waits before it proposes anything. Three kinds of worker join the same
  study: ReinforceSampler, ReinforceSampler with ``snapshot_every=None`` (a full replay of
  the history, as before snapshots) and the TPE preset, whose time is what reading the
  study costs any sampler.
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
    trial = study.ask()
    NB201().suggest(trial)  # the first choice waits for the replay; the others are cheap
    print(time.perf_counter() - started)
    study.tell(trial, state=optuna.trial.TrialState.FAIL)  # leave the study as it was found
    """
)
WORKERS = {"reinforce": "reinforce", "reinforce, full replay": "replay", "tpe": "tpe"}


def first_suggestions(n: int, repeats: int, directory: str | None) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in WORKERS}
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
                times[name].append(float(out.stdout.strip().splitlines()[-1]))
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
        for name, runs in first_suggestions(args.join_at, args.repeats, args.dir).items():
            print(row(f"first suggestion after {args.join_at} trials, {name}", runs), flush=True)
    if args.trials > 0:
        names = args.samplers.split(",")
        runs = {name: [] for name in names}
        for _ in range(args.repeats):
            for name in names:
                runs[name].append(study_seconds(name, args.trials, args.dir))
        for name in names:
            print(row(f"{args.trials}-trial study, {name}", runs[name]), flush=True)
