"""ReinforceSampler on SQLite: a worker joining a long study, and a whole study against TPE.

    python studies/reinforce_timing.py --join-at 1000 --trials 300 --repeats 3

Two figures, each the median of ``--repeats`` runs, on the tabular objective (NopPruner, so
every trial runs its curve to the end and the sampler sees every value):

* *first suggestion*: a SQLite study holds ``--join-at`` finished trials that ReinforceSampler
  workers ran (``--history random`` adds random trials with ``study.add_trials`` instead: no
  snapshot in storage, so the joining worker replays from scratch); a new worker process
  opens the study and is timed from ``load_study`` to its first architecture (six choices). That
  is the time a worker added to a running study waits before it proposes anything.
* *study*: the wall time of one process running ``--trials`` trials into a new SQLite study,
  ReinforceSampler against the TPE preset (``get_sampler("tpe")``).

Both run with ``seed=None``, as the CLI's workers do.
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
# the clock starts after the imports, which every worker pays whatever the sampler does.
JOIN = textwrap.dedent(
    """
    import sys, time, optuna
    from optunas.samplers import ReinforceSampler
    from optunas.spaces import NB201
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    started = time.perf_counter()
    study = optuna.load_study(study_name="s", storage=sys.argv[1], sampler=ReinforceSampler())
    trial = study.ask()
    NB201().suggest(trial)  # the first choice waits for the replay; the others are cheap
    print(time.perf_counter() - started)
    """
)


def history(url: str, n: int, kind: str) -> None:
    study = optuna.create_study(study_name="s", storage=url, direction="maximize",
                                pruner=optuna.pruners.NopPruner())
    if kind == "random":
        source = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0),
                                     pruner=optuna.pruners.NopPruner())
        source.optimize(TabularObjective(), n_trials=n)
        study.add_trials(source.trials)
    else:
        study.sampler = ReinforceSampler()
        study.optimize(TabularObjective(), n_trials=n)


def first_suggestion(n: int, kind: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'join.db'}"
        history(url, n, kind)
        out = subprocess.run([sys.executable, "-c", JOIN, url], capture_output=True, text=True, check=True)
        return float(out.stdout.strip().splitlines()[-1])


def study_seconds(sampler: str, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        study = optuna.create_study(storage=f"sqlite:///{Path(tmp) / 'study.db'}", direction="maximize",
                                    sampler=get_sampler(sampler, seed=None),
                                    pruner=optuna.pruners.NopPruner())
        objective = TabularObjective()
        started = time.perf_counter()
        study.optimize(objective, n_trials=n)
        return time.perf_counter() - started


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--join-at", type=int, default=1000, help="finished trials before the worker joins")
    parser.add_argument("--history", choices=("reinforce", "random"), default="reinforce")
    parser.add_argument("--trials", type=int, default=300, help="trials of the whole-study timing")
    parser.add_argument("--samplers", default="reinforce,tpe")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    print("| measure | seconds (median) | runs |")
    print("|---|---|---|")
    if args.join_at > 0:
        runs = [first_suggestion(args.join_at, args.history) for _ in range(args.repeats)]
        print(f"| first suggestion after {args.join_at} trials ({args.history} history) | "
              f"{statistics.median(runs):.2f} | {', '.join(f'{r:.2f}' for r in runs)} |", flush=True)
    if args.trials > 0:
        for name in args.samplers.split(","):
            runs = [study_seconds(name, args.trials) for _ in range(args.repeats)]
            print(f"| {args.trials}-trial study, {name} | {statistics.median(runs):.1f} | "
                  f"{', '.join(f'{r:.1f}' for r in runs)} |", flush=True)
